import Foundation
import Testing

/// migrate and move: remembered, incremental, resumable after SIGKILL, verified before deleting.
@Suite(.serialized) struct MigrateTests {
    let home = TestSupport.temporaryDirectory("home")
    let work = TestSupport.temporaryDirectory("migrate")
    var state: String { work + "/state.db" }

    func cli(_ args: [String], environment: [String: String] = [:]) throws -> TestSupport.Output {
        try TestSupport.cli(
            args, home: home, environment: environment.merging(["SYNC_CORE_STATE": state]) { a, _ in a })
    }

    func makeTree(_ root: String, files: Int, bytes: Int) throws {
        for i in 0..<files {
            let dir = root + "/d\(i % 7)"
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            let data = Data((0..<bytes).map { j in UInt8(truncatingIfNeeded: i &* 31 &+ j &* 7) })
            try data.write(to: URL(fileURLWithPath: dir + "/f\(i).bin"))
        }
        try FileManager.default.createDirectory(atPath: root + "/empty/nested", withIntermediateDirectories: true)
    }

    func files(_ root: String) -> [String: Data] {
        var result: [String: Data] = [:]
        let enumerator = FileManager.default.enumerator(atPath: root)
        while let path = enumerator?.nextObject() as? String {
            var isDir: ObjCBool = false
            _ = FileManager.default.fileExists(atPath: root + "/" + path, isDirectory: &isDir)
            if !isDir.boolValue { result[path] = FileManager.default.contents(atPath: root + "/" + path) }
        }
        return result
    }

    func summary(_ output: TestSupport.Output) -> [String: Any] {
        output.stdout.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }.last { $0["event"] as? String == "summary" } ?? [:]
    }

    /// Starts the CLI in the background.
    func start(_ args: [String]) throws -> Process {
        try TestSupport.startCLI(args, home: home, state: state)
    }

    func waitUntil(_ seconds: Double, _ condition: () -> Bool) -> Bool {
        TestSupport.waitUntil(seconds, condition)
    }

    @Test func aSecondMigrateTransfersNothingAndReadsNoFile() throws {
        let src = work + "/src"
        try makeTree(src, files: 30, bytes: 5000)
        // The source through the faulty connector, so that reads can be forbidden.
        let plugin = try TestSupport.buildFaultyConnector(in: work + "/plugin")
        let env = ["SYNC_CORE_PLUGIN_PATH": plugin]
        #expect(try cli(["account", "add", "faulty", "src", "--set", "root=\(src)"], environment: env).status == 0)
        let first = try cli(["migrate", "faulty:src", work + "/dst", "--json"], environment: env)
        #expect(first.status == 0, "\(first.stderr)")
        #expect(summary(first)["copied"] as? Int == 30)
        #expect(FileManager.default.fileExists(atPath: work + "/dst/empty/nested"))  // empty folders kept
        let second = try cli(
            ["migrate", "faulty:src", work + "/dst", "--json"],
            environment: env.merging(["FAULTY_NO_READS": "1"]) { a, _ in a })
        #expect(second.status == 0, "\(second.stderr)")
        #expect(summary(second)["copied"] as? Int == 0)
        #expect(summary(second)["skipped"] as? Int == 30)
        #expect(files(work + "/dst") == files(src))

        let history = try cli(["history", "--json"])
        let runs = history.stdout.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        #expect(runs.count == 2)
        #expect(runs.first?["copied"] as? Int == 0 && runs.last?["copied"] as? Int == 30)
        #expect(runs.allSatisfy { $0["status"] as? String == "ok" && $0["mode"] as? String == "migrate" })
        var st = stat()
        #expect(lstat(state, &st) == 0 && st.st_mode & 0o777 == 0o600)
    }

    @Test func whereListingsCannotTellTheStateDecides() throws {
        let src = work + "/src"
        try makeTree(src, files: 12, bytes: 2000)
        let plugin = try TestSupport.buildFaultyConnector(in: work + "/plugin")
        // A destination that keeps no modification times and lists no hashes, like many clouds.
        let env = ["SYNC_CORE_PLUGIN_PATH": plugin, "FAULTY_NO_MTIME": "1"]
        try FileManager.default.createDirectory(atPath: work + "/cloud", withIntermediateDirectories: true)
        #expect(
            try cli(["account", "add", "faulty", "cloud", "--set", "root=\(work)/cloud"], environment: env).status == 0)
        for _ in 0..<2 { #expect(try cli(["migrate", src, "faulty:cloud/m"], environment: env).status == 0) }
        let again = try cli(["migrate", src, "faulty:cloud/m", "--json"], environment: env)
        #expect(summary(again)["copied"] as? Int == 0)  // the state remembers what it sent
        // Without state, the same comparison cannot tell, and copy sends everything again.
        _ = try cli(["copy", src, "faulty:cloud/c"], environment: env)
        let copyAgain = try cli(["copy", src, "faulty:cloud/c", "--json"], environment: env)
        #expect(summary(copyAgain)["copied"] as? Int == 12)
    }

    @Test func aKilledMigrationResumesWithEveryFileExactlyOnce() throws {
        let src = work + "/src"
        let dst = work + "/dst"
        try makeTree(src, files: 150, bytes: 64 << 10)
        // Slowed down so that the kill lands mid-run: 150 × 64 KiB at 2 MiB/s is about 5 s.
        let process = try start(["migrate", src, dst, "--bwlimit", "2M", "--transfers", "2"])
        let started = waitUntil(20) { files(dst).count >= 20 }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        #expect(started, "the run never got going")
        let before = files(dst)
        let complete = before.filter { $0.key.hasSuffix(".bin") && !$0.key.contains(".sc-partial") }
        #expect(complete.count < 150, "the kill came too late to test anything")
        // Whatever is visible is whole: the atomic rename never shows half a file.
        for (path, data) in complete {
            #expect(data == FileManager.default.contents(atPath: src + "/" + path), "\(path)")
        }

        let rerun = try cli(["migrate", src, dst, "--json"])
        #expect(rerun.status == 0, "\(rerun.stderr)")
        #expect(summary(rerun)["copied"] as? Int == 150 - complete.count)  // finished files are not sent again
        #expect(files(dst) == files(src))  // exactly the source: no duplicates, no partial files left
        #expect(FileManager.default.fileExists(atPath: dst + "/empty/nested"))
    }

    @Test func aLargeUploadKilledMidwayContinuesFromItsConfirmedOffset() throws {
        let src = work + "/src"
        let dst = work + "/dst"
        try FileManager.default.createDirectory(atPath: src, withIntermediateDirectories: true)
        var words = [UInt64](repeating: 0, count: (48 << 20) / 8)
        var x: UInt64 = 88_172_645_463_325_252
        for i in words.indices {
            x ^= x << 13
            x ^= x >> 7
            x ^= x << 17
            words[i] = x
        }
        let data = words.withUnsafeBytes { Data($0) }
        try data.write(to: URL(fileURLWithPath: src + "/big.bin"))
        let partial = dst + "/.big.bin.sc-partial"
        let process = try start(["migrate", src, dst, "--bwlimit", "8M"])
        // The partial file is preallocated to full size, so its size tells nothing: time does. At
        // 8 MiB/s (after a one-second burst), two seconds in is about 24 MiB: checkpoints at 8 and 16.
        let midway = waitUntil(30) { FileManager.default.fileExists(atPath: partial) }
        Thread.sleep(forTimeInterval: 2)
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        #expect(midway, "the upload never got midway")
        #expect(!FileManager.default.fileExists(atPath: dst + "/big.bin"), "a half file is visible")

        let rerun = try cli(["migrate", src, dst, "--json"])
        #expect(rerun.status == 0, "\(rerun.stderr)")
        let resumed = rerun.stdout.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }.first { $0["event"] as? String == "resumed" }
        let offset = resumed?["offset"] as? Int ?? 0
        #expect(offset >= 8 << 20 && offset < 48 << 20, "resumed at \(offset)")
        #expect(FileManager.default.contents(atPath: dst + "/big.bin") == data)
        #expect(!FileManager.default.fileExists(atPath: partial))
    }

    @Test func moveDeletesEachSourceFileOnlyAfterItsCopyIsVerified() throws {
        let src = work + "/src"
        let dst = work + "/dst"
        try makeTree(src, files: 12, bytes: 3000)
        let original = files(src)
        // One file is already at the destination, identical; another is there with different content
        // but the same size and time, which only a hash can tell.
        try FileManager.default.createDirectory(atPath: dst + "/d0", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: src + "/d0/f0.bin", toPath: dst + "/d0/f0.bin")
        try FileManager.default.createDirectory(atPath: dst + "/d1", withIntermediateDirectories: true)
        var wrong = original["d1/f1.bin"]!
        wrong[10] ^= 0xFF
        try wrong.write(to: URL(fileURLWithPath: dst + "/d1/f1.bin"))
        let time = try FileManager.default.attributesOfItem(atPath: src + "/d1/f1.bin")[.modificationDate]!
        try FileManager.default.setAttributes([.modificationDate: time], ofItemAtPath: dst + "/d1/f1.bin")

        let dry = try cli(["move", src, dst, "--dry-run"])
        #expect(dry.status == 0)
        #expect(files(src) == original)

        let out = try cli(["move", src, dst, "--json"])
        #expect(out.status == 0, "\(out.stderr)")
        #expect(summary(out)["source_deleted"] as? Int == 12)
        #expect(files(src).isEmpty)
        #expect(files(dst) == original)  // the wrong copy was detected and replaced before its source went
        #expect(FileManager.default.fileExists(atPath: src + "/d0"))  // folders stay
    }
}
