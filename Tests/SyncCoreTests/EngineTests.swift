import Foundation
import Testing

/// The engine end to end through the CLI, on local folders and the C connectors.
@Suite struct EngineTests {
    let home = TestSupport.temporaryDirectory("home")
    let work = TestSupport.temporaryDirectory("engine")
    var src: String { work + "/src" }
    var dst: String { work + "/dst" }

    init() throws {
        let fm = FileManager.default
        for dir in ["Series/Show/Season 1", "Series/Show/Season 2", "Empty folder", "Unicode ✓"] {
            try fm.createDirectory(atPath: src + "/" + dir, withIntermediateDirectories: true)
        }
        try write("Series/Show/Season 1/E01.mkv", bytes: 3 << 20, seed: 1)
        try write("Series/Show/Season 1/E01.en.srt", bytes: 1000, seed: 2)
        try write("Series/Show/Season 2/E01.mkv", bytes: 200_000, seed: 3)
        try write("empty.txt", bytes: 0, seed: 4)
        try write("Unicode ✓/caf\u{E9}.txt", bytes: 10, seed: 5)  // NFC
        try write("Unicode ✓/cafe\u{301}.txt", bytes: 11, seed: 6)  // NFD: a different file
        try write("Unicode ✓/emoji 🎬.txt", bytes: 12, seed: 7)
    }

    func write(_ relative: String, bytes: Int, seed: UInt64, root: String? = nil) throws {
        var state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
        let data = (0..<bytes).map { _ -> UInt8 in
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            return UInt8(truncatingIfNeeded: state)
        }
        try Data(data).write(to: URL(fileURLWithPath: (root ?? src) + "/" + relative))
    }

    func cli(_ args: [String], environment: [String: String] = [:]) throws -> TestSupport.Output {
        try TestSupport.cli(args, home: home, environment: environment)
    }

    /// Every file and folder below `root`: relative path (compared by unicode scalars) → content
    /// (nil for folders).
    func snapshot(_ root: String) throws -> [String: Data?] {
        var result: [String: Data?] = [:]
        func walk(_ relative: String) throws {
            let dir = relative.isEmpty ? root : root + "/" + relative
            for name in try FileManager.default.contentsOfDirectory(atPath: dir) {
                let path = relative.isEmpty ? name : relative + "/" + name
                var isDir: ObjCBool = false
                _ = FileManager.default.fileExists(atPath: root + "/" + path, isDirectory: &isDir)
                let key = path.unicodeScalars.map { String($0.value, radix: 16) }.joined(separator: ".")
                if isDir.boolValue {
                    result[key] = .some(nil)
                    try walk(path)
                } else {
                    result[key] = try Data(contentsOf: URL(fileURLWithPath: root + "/" + path))
                }
            }
        }
        try walk("")
        return result
    }

    func summary(_ output: TestSupport.Output) -> [String: Any] {
        for line in output.stdout.split(separator: "\n").reversed() {
            if let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                object["event"] as? String == "summary"
            {
                return object
            }
        }
        return [:]
    }

    func events(_ output: TestSupport.Output, _ kind: String) -> [[String: Any]] {
        output.stdout.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }.filter { $0["event"] as? String == kind }
    }

    @Test func copyPreservesTheTreeAndASecondRunCopiesNothing() throws {
        let first = try cli(["copy", src, dst, "--json"])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(summary(first)["copied"] as? Int == 7)
        #expect(try snapshot(dst) == snapshot(src))  // bytes, empty files and empty folders
        let srcAttributes = try FileManager.default.attributesOfItem(atPath: src + "/Series/Show/Season 1/E01.mkv")
        let dstAttributes = try FileManager.default.attributesOfItem(atPath: dst + "/Series/Show/Season 1/E01.mkv")
        #expect(srcAttributes[.modificationDate] as? Date == dstAttributes[.modificationDate] as? Date)

        let second = try cli(["copy", src, dst, "--json"])
        #expect(second.status == 0)
        #expect(summary(second)["copied"] as? Int == 0)
        #expect(summary(second)["skipped"] as? Int == 7)

        let check = try cli(["check", src, dst])
        #expect(check.status == 0, "\(check.stdout)\(check.stderr)")
    }

    @Test func checkFindsEveryDifference() throws {
        _ = try cli(["copy", src, dst])
        // Same size, same modification time, one byte different: only the content can tell.
        let file = dst + "/Series/Show/Season 2/E01.mkv"
        var data = try Data(contentsOf: URL(fileURLWithPath: file))
        data[1000] ^= 0xFF
        let attributes = try FileManager.default.attributesOfItem(atPath: file)
        try data.write(to: URL(fileURLWithPath: file))
        try FileManager.default.setAttributes([.modificationDate: attributes[.modificationDate]!], ofItemAtPath: file)
        try FileManager.default.removeItem(atPath: dst + "/empty.txt")
        try write("extra.bin", bytes: 5, seed: 9, root: dst)

        let check = try cli(["check", src, dst, "--json"])
        #expect(check.status == 1)
        let differences = Dictionary(
            uniqueKeysWithValues: events(check, "differs").map { ($0["path"] as! String, $0["reason"] as! String) })
        #expect(differences.count == 3, "\(differences)")
        #expect(differences["Series/Show/Season 2/E01.mkv"]?.contains("crc32") == true)
        #expect(differences["empty.txt"] == "only in the source")
        #expect(differences["extra.bin"] == "only in the destination")
    }

    @Test func dryRunChangesNothing() throws {
        _ = try cli(["copy", src, dst])
        try write("extra.bin", bytes: 5, seed: 9, root: dst)
        try write("new.bin", bytes: 50, seed: 10)
        let before = try snapshot(dst)
        for command in ["copy", "sync"] {
            let out = try cli([command, src, dst, "--dry-run"])
            #expect(out.status == 0, "\(out.stderr)")
            #expect(out.stdout.contains("would copy: new.bin"))
            #expect(try snapshot(dst) == before)
        }
        let out = try cli(["sync", src, dst, "--dry-run"])
        #expect(out.stdout.contains("would delete: extra.bin"))
        let fresh = try cli(["copy", src, work + "/never", "--dry-run"])
        #expect(fresh.status == 0)
        #expect(!FileManager.default.fileExists(atPath: work + "/never"))
    }

    @Test func syncDeletesExtrasOnlyWithinItsLimits() throws {
        _ = try cli(["copy", src, dst])
        try FileManager.default.createDirectory(atPath: dst + "/old/deeper", withIntermediateDirectories: true)
        try write("old/deeper/a.bin", bytes: 5, seed: 11, root: dst)
        try write("old/b.bin", bytes: 5, seed: 12, root: dst)
        try write("stale.bin", bytes: 5, seed: 13, root: dst)
        let limited = try cli(["sync", src, dst, "--max-delete", "4"])
        #expect(limited.status == 1)
        #expect(limited.stderr.contains("5 deletions exceed --max-delete 4"), "\(limited.stderr)")
        #expect(FileManager.default.fileExists(atPath: dst + "/stale.bin"))

        let sync = try cli(["sync", src, dst, "--json"])
        #expect(sync.status == 0, "\(sync.stderr)")
        #expect(summary(sync)["deleted"] as? Int == 5)
        #expect(try snapshot(dst) == snapshot(src))

        let empty = work + "/empty-source"
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
        let refused = try cli(["sync", empty, dst])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("the source is empty"), "\(refused.stderr)")
        #expect(try snapshot(dst) == snapshot(src))
        let allowed = try cli(["sync", empty, dst, "--allow-empty-source"])
        #expect(allowed.status == 0)
        #expect(try snapshot(dst).isEmpty)
    }

    /// Builds the faulty connector and adds an account of it over `root`.
    func faultyAccount(_ name: String, root: String) throws -> [String: String] {
        let dir = try TestSupport.buildFaultyConnector(in: work + "/plugin")
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        let env = ["SYNC_CORE_PLUGIN_PATH": dir]
        let add = try cli(["account", "add", "faulty", name, "--set", "root=\(root)"], environment: env)
        #expect(add.status == 0, "\(add.stderr)")
        return env
    }

    @Test func aCorruptedTransferIsDetectedDeletedAndSentAgain() throws {
        var env = try faultyAccount("store", root: dst)
        env["FAULTY_FLIP_WRITES"] = "1"
        let out = try cli(["copy", src, "faulty:store", "--json", "--transfers", "1"], environment: env)
        #expect(out.status == 0, "\(out.stderr)")
        #expect(summary(out)["corruptions_retried"] as? Int == 1)
        #expect(events(out, "corruption_retried").count == 1)
        #expect(try snapshot(dst) == snapshot(src))
    }

    @Test func aFileThatKeepsFailingVerificationFailsAloneAndBlocksDeletions() throws {
        var env = try faultyAccount("store", root: dst)
        try write("stale.bin", bytes: 5, seed: 13, root: dst)
        env["FAULTY_FLIP_WRITES"] = "1000"
        let out = try cli(["sync", src, "faulty:store", "--json", "--retries", "2"], environment: env)
        #expect(out.status == 1)
        let failed = events(out, "failed")
        #expect(failed.count == 6, "\(failed)")  // every non-empty file; the empty one has no bytes to flip
        #expect(failed.allSatisfy { ($0["reason"] as? String)?.contains("destination reports crc32") == true })
        #expect(
            events(out, "deletions_skipped").first?["reason"] as? String
                == "some files failed; deletions happen only after every copy succeeded")
        #expect(FileManager.default.fileExists(atPath: dst + "/stale.bin"))
        // No bad copy is left where a reader would take it for the real file.
        #expect(!FileManager.default.fileExists(atPath: dst + "/Series/Show/Season 1/E01.mkv"))
        #expect(FileManager.default.fileExists(atPath: dst + "/empty.txt"))
    }

    @Test func jsonProgressEventsForScripts() throws {
        let out = try cli(["copy", src, dst, "--json", "--progress", "--bwlimit", "1M"])
        #expect(out.status == 0, "\(out.stderr)")
        let progress = events(out, "progress")
        #expect(!progress.isEmpty)  // 3.2 MB at 1 MiB/s after a one-second burst: at least one tick
        #expect(progress.allSatisfy { $0["bytes"] is Int && $0["files_queued"] is Int && $0["active"] is [Any] })
        #expect(!out.stderr.contains("\u{1B}["))  // no terminal drawing in JSON mode
    }

    @Test func anAccountsOwnTransferLimitCapsItsSideOfTheRun() throws {
        var env = try faultyAccount("narrow", root: work + "/narrow")
        env["FAULTY_SLOW_OPEN_MS"] = "300"
        let log = work + "/writers"
        env["FAULTY_WRITERS_LOG"] = log
        func most() -> Int {
            Int(
                (try? String(contentsOfFile: log, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
                    ?? "") ?? 0
        }
        // Without a limit, four transfers overlap at the destination (the test would see a limit ignored).
        let wide = try cli(["copy", src, "faulty:narrow", "--transfers", "4"], environment: env)
        #expect(wide.status == 0, "\(wide.stderr)")
        #expect(most() > 1)
        // By flag.
        try? FileManager.default.removeItem(atPath: log)
        let flagged = try cli(
            [
                "copy", src, work + "/narrow-out", "--transfers", "4", "--destination-transfers", "9",
                "--source-transfers", "4",
            ],
            environment: env)
        #expect(flagged.status == 0, "\(flagged.stderr)")
        func emptyStore() throws {
            try FileManager.default.removeItem(atPath: work + "/narrow")
            try FileManager.default.createDirectory(atPath: work + "/narrow", withIntermediateDirectories: true)
            try? FileManager.default.removeItem(atPath: log)
        }
        try emptyStore()
        let byFlag = try cli(
            ["copy", src, "faulty:narrow", "--transfers", "4", "--destination-transfers", "1"], environment: env)
        #expect(byFlag.status == 0, "\(byFlag.stderr)")
        #expect(most() == 1)
        // By the account's own setting (kept from the connector, which knows no such option).
        try emptyStore()
        let add = try cli(
            ["account", "add", "faulty", "narrow", "--set", "root=\(work)/narrow", "--set", "max_transfers=1"],
            environment: env)
        #expect(add.status == 0, "\(add.stderr)")
        let byConfig = try cli(["copy", src, "faulty:narrow", "--transfers", "4"], environment: env)
        #expect(byConfig.status == 0, "\(byConfig.stderr)")
        #expect(most() == 1)
        #expect(try snapshot(work + "/narrow") == snapshot(src))
        let bad = try cli(
            ["account", "add", "faulty", "x", "--set", "root=/tmp", "--set", "max_transfers=0"], environment: env)
        #expect(bad.status == 2 && bad.stderr.contains("max_transfers"), "\(bad.stderr)")
    }

    @Test func temporaryFailuresAndRateLimitsAreRetried() throws {
        for (code, retryAfter) in [("5", "0"), ("4", "150")] {  // TRANSIENT; RATE_LIMITED with retry-after
            let store = work + "/store-\(code)"
            var env = try faultyAccount("s\(code)", root: store)
            env["FAULTY_FAIL_WRITERS"] = "3"
            env["FAULTY_FAIL_CODE"] = code
            env["FAULTY_RETRY_AFTER_MS"] = retryAfter
            let out = try cli(["copy", src, "faulty:s\(code)", "--json", "--retry-delay", "0.01"], environment: env)
            #expect(out.status == 0, "code \(code): \(out.stderr)")
            #expect(summary(out)["copied"] as? Int == 7)
            #expect(try snapshot(store) == snapshot(src))
        }
    }

    @Test func retriesAreBoundedAndOnlyForRetryableCodes() throws {
        var env = try faultyAccount("store", root: dst)
        env["FAULTY_FAIL_WRITERS"] = "1000"
        let bounded = try cli(
            ["copy", src, "faulty:store", "--json", "--retries", "2", "--retry-delay", "0.01"], environment: env)
        #expect(bounded.status == 1)
        let failed = events(bounded, "failed")
        #expect(failed.count == 7)
        #expect(failed.allSatisfy { ($0["reason"] as? String)?.contains("injected failure") == true })
        // QUOTA is not retried: the one failure injected fails its file, although a second attempt
        // would have succeeded; every other file goes through.
        env["FAULTY_FAIL_WRITERS"] = "1"
        env["FAULTY_FAIL_CODE"] = "6"
        let quota = try cli(
            ["copy", src, "faulty:store", "--json", "--transfers", "1", "--retry-delay", "0.01"], environment: env)
        #expect(quota.status == 1)
        #expect(events(quota, "failed").count == 1)
        #expect(summary(quota)["copied"] as? Int == 6)
    }

    @Test func expiredCredentialsReopenTheSessionOnceAndTheRunGoesOn() throws {
        var env = try faultyAccount("store", root: dst)
        env["FAULTY_AUTH"] = "first"
        let out = try cli(["copy", src, "faulty:store", "--json", "--retry-delay", "0.01"], environment: env)
        #expect(out.status == 0, "\(out.stderr)")
        #expect(summary(out)["copied"] as? Int == 7)
        #expect(try snapshot(dst) == snapshot(src))
    }

    @Test func revokedCredentialsAreOneLineWithAdviceAndNoRetryStorm() throws {
        var env = try faultyAccount("store", root: dst)
        env["FAULTY_AUTH"] = "always"
        let out = try cli(["copy", src, "faulty:store", "--json", "--retry-delay", "0.01"], environment: env)
        #expect(out.status == 1)
        // No file is reported on its own: the account's refusal is said once, in the summary.
        #expect(events(out, "failed").isEmpty, "\(out.stdout)")
        let refusals = summary(out)["refusals"] as? [String] ?? []
        #expect(refusals.count == 1)
        #expect(
            refusals.allSatisfy { $0.contains("faulty:store") && $0.contains("sync-core account add faulty store") },
            "\(refusals)")
        let notTransferred = summary(out)["not_transferred"] as? Int ?? 0
        #expect(notTransferred >= 1 && notTransferred <= 7)
        // Only writers are refused by this fault: folders were made, no file landed.
        #expect(try snapshot(dst).values.allSatisfy { $0 == nil })

        // As a person reads it: the summary, and one line that names the account and the command.
        let text = try cli(["copy", src, "faulty:store", "--retry-delay", "0.01"], environment: env)
        #expect(text.status == 1)
        let lines = text.stderr.split(separator: "\n")
        #expect(lines.count == 2, "\(text.stderr)")
        #expect(
            lines.filter { $0.contains("refused its credentials") && $0.contains("sync-core account add faulty store") }
                .count == 1, "\(text.stderr)")
    }

    @Test func hostileNamesAreRefusedWhileTheRestProceeds() throws {
        var env = try faultyAccount("source", root: src)
        env["FAULTY_HOSTILE"] = "1"
        let out = try cli(["copy", "faulty:source", dst, "--json"], environment: env)
        #expect(out.status == 1)
        let reasons = events(out, "failed").compactMap { $0["reason"] as? String }
        // One of each per folder listed, the root included.
        #expect(reasons.filter { $0.contains("could escape the tree") }.count == 7, "\(reasons)")
        #expect(reasons.filter { $0.contains("not valid UTF-8") }.count == 7)
        #expect(summary(out)["copied"] as? Int == 7)
        #expect(try snapshot(dst) == snapshot(src))
    }

    /// Also with every folder sorted on disk (`--spill-after 1`): decoding, folded keys and the
    /// collision report must come out the same.
    @Test(arguments: [[], ["--spill-after", "1"]])
    func destinationNameRulesAreAppliedReversibly(spill: [String]) throws {
        let store = work + "/store"
        var env = try faultyAccount("strict", root: store)
        env["FAULTY_FORBIDDEN"] = ":?*"
        env["FAULTY_NAME_FLAGS"] = String(0x1 | 0x4)  // case-insensitive, no trailing dot
        env["FAULTY_MAX_NAME"] = "60"
        let media = work + "/media"
        try FileManager.default.createDirectory(atPath: media + "/Season: One", withIntermediateDirectories: true)
        for name in ["Season: One/E01?.mkv", "notes.", "Readme.txt", "README.TXT", String(repeating: "n", count: 61)] {
            try write(name, bytes: 100, seed: UInt64(name.count), root: media)
        }
        let first = try cli(["migrate", media, "faulty:strict", "--json"] + spill, environment: env)
        #expect(first.status == 1)
        let failures = events(first, "failed").map { ($0["path"] as! String, $0["reason"] as! String) }
        #expect(failures.count == 2, "\(failures)")
        #expect(failures.contains { $0.0 == "Readme.txt" && $0.1.contains("collides with 'README.TXT'") })
        #expect(
            failures.contains { $0.0.hasPrefix("nnn") && $0.1.contains("61 bytes, longer than the destination's 60") })
        // What landed is encoded, and nothing else landed.
        let stored = Set(try FileManager.default.subpathsOfDirectory(atPath: store))
        #expect(stored == ["Season： One", "Season： One/E01？.mkv", "notes．", "README.TXT"], "\(stored)")
        #expect(
            FileManager.default.contents(atPath: store + "/Season： One/E01？.mkv")
                == FileManager.default.contents(atPath: media + "/Season: One/E01?.mkv"))

        // Read back decoded: the next run pairs every stored file with its source and copies nothing.
        let second = try cli(["migrate", media, "faulty:strict", "--json"] + spill, environment: env)
        #expect(summary(second)["copied"] as? Int == 0)
        #expect(summary(second)["skipped"] as? Int == 3)
        let listing = try cli(["ls", "-R", "faulty:strict"], environment: env)
        #expect(listing.stdout.contains("Season： One/E01？.mkv"))
        let sync = try cli(["sync", media, "faulty:strict", "--json"] + spill, environment: env)
        #expect(summary(sync)["deleted"] as? Int == 0)  // encoded names are not mistaken for extras
        #expect(Set(try FileManager.default.subpathsOfDirectory(atPath: store)) == stored)
    }

    @Test func aFileAsTheSourceIsCopiedIntoTheDestinationFolder() throws {
        try write("file.bin", bytes: 70_000, seed: 5, root: work)
        let first = try cli(["copy", work + "/file.bin", dst, "--json"])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(summary(first)["copied"] as? Int == 1)
        #expect(
            FileManager.default.contents(atPath: dst + "/file.bin")
                == FileManager.default.contents(
                    atPath: work + "/file.bin"))
        let second = try cli(["copy", work + "/file.bin", dst, "--json"])
        #expect(summary(second)["copied"] as? Int == 0 && summary(second)["skipped"] as? Int == 1)
    }

    @Test func badRootsGetOneLine() throws {
        try write("file.bin", bytes: 1, seed: 1, root: work)
        for (args, fragment) in [
            (["copy", work + "/missing", dst], "not found"),
            (["copy", src, work + "/file.bin"], "is a file, not a folder"),
            (["copy", src, dst, "--transfers", "0"], "--transfers must be between 1 and 256"),
        ] {
            let out = try cli(args)
            #expect(out.status != 0, "\(args)")
            #expect(
                out.stderr.split(separator: "\n").count == 1 && out.stderr.contains(fragment), "\(args): \(out.stderr)")
        }
    }
}

/// Filters through the CLI: each kind selects exactly what it should, and sync never deletes what
/// the filters exclude.
@Suite struct EngineFilterTests {
    let home = TestSupport.temporaryDirectory("home")
    let work = TestSupport.temporaryDirectory("filters")

    func make(_ relative: String, bytes: Int = 10, ageSeconds: Double = 0) throws {
        let path = work + "/src/" + relative
        try FileManager.default.createDirectory(
            atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(repeating: 1, count: bytes).write(to: URL(fileURLWithPath: path))
        if ageSeconds > 0 {
            try FileManager.default.setAttributes(
                [.modificationDate: Date(timeIntervalSinceNow: -ageSeconds)], ofItemAtPath: path)
        }
    }

    func copied(_ args: [String]) throws -> Set<String> {
        let dst = work + "/dst-\(UUID().uuidString.prefix(6))"
        let out = try TestSupport.cli(["copy", work + "/src", dst] + args, home: home)
        #expect(out.status == 0, "\(args): \(out.stderr)")
        var files = Set<String>()
        let enumerator = FileManager.default.enumerator(atPath: dst)
        while let path = enumerator?.nextObject() as? String {
            var isDir: ObjCBool = false
            _ = FileManager.default.fileExists(atPath: dst + "/" + path, isDirectory: &isDir)
            if !isDir.boolValue { files.insert(path) }
        }
        return files
    }

    init() throws {
        try make("Completed/Show/e1.mkv", bytes: 5000, ageSeconds: 10 * 86_400)
        try make("Completed/Show/e1.en.srt", bytes: 100, ageSeconds: 10 * 86_400)
        try make("Completed/Show/e1.sample.mkv", bytes: 300, ageSeconds: 10 * 86_400)
        try make("Completed/Show/info.nfo", bytes: 50, ageSeconds: 10 * 86_400)
        try make("Completed/New/e2.mkv", bytes: 5000)  // just arrived: still downloading, maybe
        try make("Downloads/partial.mkv", bytes: 5000, ageSeconds: 10 * 86_400)
    }

    @Test func eachFilterKindSelectsExactlyWhatItShould() throws {
        #expect(
            try copied(["--type", "video", "--type", "subtitle", "--min-age", "1d"])
                == [
                    "Completed/Show/e1.mkv", "Completed/Show/e1.en.srt", "Completed/Show/e1.sample.mkv",
                    "Downloads/partial.mkv",
                ])
        // Order matters: the exclude first keeps samples out; the other way round lets them in.
        #expect(
            try copied(["--exclude", "*.sample.mkv", "--include", "*.mkv"])
                == ["Completed/Show/e1.mkv", "Completed/New/e2.mkv", "Downloads/partial.mkv"])
        #expect(
            try copied(["--include", "*.mkv", "--exclude", "*.sample.mkv"]).contains("Completed/Show/e1.sample.mkv"))
        #expect(try copied(["--exclude", "/Downloads/"]).allSatisfy { !$0.hasPrefix("Downloads/") })
        #expect(try copied(["--min-size", "1k"]).count == 3)
        #expect(try copied(["--max-size", "100"]) == ["Completed/Show/e1.en.srt", "Completed/Show/info.nfo"])
        #expect(try copied(["--max-age", "1h"]) == ["Completed/New/e2.mkv"])
        let rules = work + "/rules.txt"
        try "- Downloads/\n+ *.nfo\n- *\n".write(toFile: rules, atomically: true, encoding: .utf8)
        #expect(try copied(["--filter-from", rules]) == ["Completed/Show/info.nfo"])
    }

    @Test func syncLeavesExcludedFilesAlone() throws {
        let dst = work + "/mirror"
        try FileManager.default.createDirectory(atPath: dst + "/Completed/Show", withIntermediateDirectories: true)
        try "keep".write(toFile: dst + "/Completed/Show/notes.txt", atomically: true, encoding: .utf8)
        try "stale".write(toFile: dst + "/Completed/Show/old.mkv", atomically: true, encoding: .utf8)
        let out = try TestSupport.cli(["sync", work + "/src", dst, "--type", "video"], home: home)
        #expect(out.status == 0, "\(out.stderr)")
        #expect(FileManager.default.fileExists(atPath: dst + "/Completed/Show/notes.txt"))  // excluded: kept
        #expect(!FileManager.default.fileExists(atPath: dst + "/Completed/Show/old.mkv"))  // selected, extra: deleted
        #expect(FileManager.default.fileExists(atPath: dst + "/Completed/Show/e1.mkv"))
        #expect(!FileManager.default.fileExists(atPath: dst + "/Completed/Show/e1.en.srt"))
    }

    @Test func badFiltersGetOneLine() throws {
        for (args, fragment) in [
            (["--type", "movies"], "--type movies: expected one of"), (["--min-size", "big"], "is not a size"),
            (["--include", "[abc"], "unclosed '['"), (["--filter-from", "/nonexistent"], "cannot read filter file"),
        ] {
            let out = try TestSupport.cli(["copy", work + "/src", work + "/x"] + args, home: home)
            #expect(out.status == 2, "\(args)")
            #expect(out.stderr.contains(fragment), "\(args): \(out.stderr)")
            #expect(!FileManager.default.fileExists(atPath: work + "/x"))
        }
    }
}
