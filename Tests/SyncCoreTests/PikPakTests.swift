import Foundation
import PikPakEmulator
import SyncHashes
import Testing

@testable import PutioEmulator

/// The PikPak connector end to end through the CLI, against the PikPak emulator (and Put.io's, for
/// the migration users ask for by name).
@Suite(.serialized) struct PikPakTests {
    /// Put.io accounts `a` and `b` (PutioWorld) and a PikPak account `p` in the same HOME, added
    /// through the CLI with the password and salts on standard input, as a user would.
    final class World {
        let putio: PutioWorld
        let pikpak: PikPakEmulator
        let password = "pw-" + UUID().uuidString

        let chunkSize: Int
        let cutoff: Int

        init(chunkSize: Int = 128 << 10, cutoff: Int = 256 << 10) throws {
            putio = try PutioWorld()
            pikpak = try PikPakEmulator(threads: 2)
            self.chunkSize = chunkSize
            self.cutoff = cutoff
            try pikpak.start()
            try addAccount("p")
        }

        /// A PikPak account of the emulator, added through the CLI under the same name.
        func addAccount(_ name: String) throws {
            pikpak.addAccount(name, password: password)
            let url = pikpak.baseURL
            let added = try putio.cli(
                [
                    "account", "add", "pikpak", name, "--set", "username=\(name)", "--set", "user_url=\(url)", "--set",
                    "api_url=\(url)", "--set", "storage_url=\(url)", "--set", "chunk_size=\(chunkSize)", "--set",
                    "upload_cutoff=\(cutoff)", "--stdin",
                ], stdin: "password=\(password)\ncaptcha_salts=s1,s2\n")
            #expect(added.status == 0, "\(added.stderr)")
        }

        /// Where the connector keeps the bytes of resumable uploads whose GCID it must compute.
        var spoolFolder: String {
            let cache = ProcessInfo.processInfo.environment["XDG_CACHE_HOME"].flatMap { $0.isEmpty ? nil : $0 }
            return (cache ?? putio.home + "/.cache") + "/sync-core/pikpak-uploads"
        }

        var spools: [String] {
            ((try? FileManager.default.contentsOfDirectory(atPath: spoolFolder)) ?? []).filter {
                $0.hasPrefix("sync-core-pikpak.")
            }
        }

        deinit { pikpak.stop() }

        func cli(_ args: [String]) throws -> TestSupport.Output { try putio.cli(args) }

        var config: String {
            (try? String(contentsOfFile: putio.home + "/.config/sync-core/config.toml", encoding: .utf8)) ?? ""
        }
    }

    static func bytes(_ count: Int, seed: UInt64) -> [UInt8] {
        var state = seed | 1
        return (0..<count).map { _ in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return UInt8(truncatingIfNeeded: state >> 33)
        }
    }

    @Test func conformanceSuitePasses() throws {
        let emulator = try PikPakEmulator(threads: 2)
        emulator.addAccount("c", password: "pw-c")
        try emulator.start()
        defer { emulator.stop() }
        let home = TestSupport.temporaryDirectory("pikpak-conformance")
        defer { try? FileManager.default.removeItem(atPath: home) }
        let url = emulator.baseURL
        let run = try TestSupport.cli(
            [
                "plugin", "test", "pikpak", "--set", "username=c", "--set", "user_url=\(url)", "--set",
                "api_url=\(url)",
                "--set", "storage_url=\(url)", "--set", "chunk_size=131072", "--set", "upload_cutoff=1000000",
            ], home: home,
            environment: ["SYNC_CORE_OPTION_PASSWORD": "pw-c", "SYNC_CORE_OPTION_CAPTCHA_SALTS": "s1,s2"])
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        #expect(run.stdout.contains("22 passed, 0 failed, 4 skipped"), "\(run.stdout)")
        let skipped = Set(
            run.stdout.split(separator: "\n").filter { $0.contains(" skip ") }.compactMap {
                $0.split(separator: " ").first.map(String.init)
            })
        // PikPak cannot set modification times and has no hash on demand; every upload's size is
        // known first.
        #expect(
            skipped == ["write-unknown-size", "mtime", "hash-on-demand", "reader-entry"], "\(run.stdout)"
        )
        #expect(!(run.stdout + run.stderr).contains("pw-c"))
        // Both multipart (over the cutoff) and single uploads went through the storage host.
        #expect(
            (emulator.requestStats["storage/multipart"] ?? 0) > 0 && (emulator.requestStats["storage/put"] ?? 0) > 0)
    }

    /// Put.io → PikPak, byte for byte, then back out to a local folder; a re-run sends nothing.
    @Test func putioToPikPakAndBack() throws {
        let world = try World()
        let files: [(String, [UInt8])] = [
            ("Shows/S01/E01 – pilot.mkv", Self.bytes(300_000, seed: 1)),  // several upload parts
            ("Shows/S01/E01 – pilot.srt", Array("1\n00:00:01 --> 00:00:02\nhello\n".utf8)),
            ("Music/café/01.flac", Self.bytes(70_000, seed: 2)),
            ("Music/cafe\u{301}/01.flac", Self.bytes(5_000, seed: 3)),  // NFD: another folder
            ("Empty/.keep", []),
            ("日本語/歌.txt", Array("うた".utf8)),
        ]
        for (path, bytes) in files { _ = world.putio.emulator.addFile(path, contents: bytes, in: "a") }
        let first = try world.cli(["migrate", "putio:a", "pikpak:p/from-putio"])
        #expect(first.status == 0, "\(first.stdout)\(first.stderr)")
        for (path, bytes) in files {
            #expect(world.pikpak.contents("p", path: "from-putio/" + path) == bytes, "\(path)")
        }
        let again = try world.cli(["migrate", "putio:a", "pikpak:p/from-putio", "--json"])
        #expect(again.status == 0 && again.stdout.contains(#""copied":0"#), "\(again.stdout)")
        // Verified on the way: Put.io's CRC-32 of what was read, PikPak's GCID of what landed.
        #expect(!first.stderr.contains("corrupt"), "\(first.stderr)")

        // The two share no hash and PikPak keeps no times: check reads the Put.io side for the
        // GCID PikPak lists. A copy with one byte changed (same size) is found.
        let check = try world.cli(["check", "putio:a", "pikpak:p/from-putio"])
        #expect(check.status == 0 && check.stderr.contains("6 matching, 0 different"), "\(check.stderr)")
        for (path, bytes) in files {
            var altered = bytes
            if path.hasSuffix("pilot.mkv") { altered[100] ^= 1 }
            world.pikpak.seed("p", path: "altered/" + path, bytes: altered)
        }
        let differs = try world.cli(["check", "putio:a", "pikpak:p/altered", "--json"])
        #expect(differs.status != 0, "\(differs.stdout)")
        let lines = differs.stdout.split(separator: "\n").filter { $0.contains(#""event":"differs""#) }
        #expect(
            lines.count == 1 && lines[0].contains("pilot.mkv") && lines[0].contains("gcid"),
            "\(differs.stdout)\(differs.stderr)")

        let out = TestSupport.temporaryDirectory("pikpak-out")
        defer { try? FileManager.default.removeItem(atPath: out) }
        let down = try world.cli(["copy", "pikpak:p/from-putio", out])
        #expect(down.status == 0, "\(down.stderr)")
        for (path, bytes) in files {
            #expect(FileManager.default.contents(atPath: out + "/" + path).map(Array.init) == bytes, "\(path)")
        }
        #expect(!(first.stdout + first.stderr + down.stderr).contains(world.password))
    }

    /// Content PikPak already has (the same bytes anywhere, any account) completes at the ticket:
    /// no bytes go to the storage host.
    @Test func knownContentIsNotSentAgain() throws {
        let world = try World()
        let src = TestSupport.temporaryDirectory("pikpak-src")
        defer { try? FileManager.default.removeItem(atPath: src) }
        let big = Self.bytes(400_000, seed: 9)
        #expect(FileManager.default.createFile(atPath: src + "/movie.mkv", contents: Data(big)))
        #expect(try world.cli(["copy", src, "pikpak:p/one"]).status == 0)
        world.pikpak.resetRequestStats()
        let second = try world.cli(["copy", src, "pikpak:p/two"])
        #expect(second.status == 0, "\(second.stderr)")
        #expect(world.pikpak.contents("p", path: "two/movie.mkv") == big)
        let stats = world.pikpak.requestStats
        #expect((stats["storage/put"] ?? 0) + (stats["storage/multipart"] ?? 0) == 0, "\(stats)")
        // A re-run of `copy` (no mtime on PikPak's side to compare) replaces the file with the
        // same bytes: the connector sees the GCID is the one already there and changes nothing.
        world.pikpak.resetRequestStats()
        let again = try world.cli(["copy", src, "pikpak:p/two"])
        #expect(again.status == 0, "\(again.stderr)")
        let churn = world.pikpak.requestStats
        #expect(churn.keys.allSatisfy { !$0.contains("batch") && !$0.contains("storage") }, "\(churn)")
        #expect(world.pikpak.contents("p", path: "two/movie.mkv") == big)
    }

    /// From one PikPak account to another, the content is PikPak's already: the source lists each
    /// file's GCID, the host hands it to the writer (ABI 1.3), and the ticket completes the file.
    /// No byte is downloaded or uploaded, and each file is still verified by the GCID it lands with.
    @Test func pikpakToPikPakMovesNoBytes() throws {
        let world = try World()
        try world.addAccount("q")
        let files: [(String, [UInt8])] = [
            ("Films/big.mkv", Self.bytes(600_000, seed: 21)),  // several parts, were it sent
            ("Films/big.srt", Self.bytes(3_000, seed: 22)),
            ("notes/empty.txt", []),
        ]
        for (path, bytes) in files { world.pikpak.seed("p", path: path, bytes: bytes) }
        world.pikpak.resetRequestStats()
        let run = try world.cli(["copy", "pikpak:p", "pikpak:q/from-p", "--json"])
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        for (path, bytes) in files {
            #expect(world.pikpak.contents("q", path: "from-p/" + path) == bytes, "\(path)")
        }
        let stats = world.pikpak.requestStats
        #expect((stats["storage/put"] ?? 0) + (stats["storage/multipart"] ?? 0) == 0, "\(stats)")
        #expect(world.pikpak.servedDownloadBytes == 0)
        #expect(run.stdout.components(separatedBy: #""event":"copied""#).count - 1 == files.count, "\(run.stdout)")
        #expect(!run.stdout.contains(#""event":"resumed""#), "\(run.stdout)")
        #expect(run.stdout.contains(#""bytes":603000"#), "\(run.stdout)")
        let check = try world.cli(["check", "pikpak:p", "pikpak:q/from-p"])
        #expect(check.status == 0 && check.stderr.contains("3 matching, 0 different"), "\(check.stderr)")
    }

    /// An expired access token is refreshed and the run goes on; the rotated refresh token is
    /// saved; a revoked session with a wrong password ends in one clear line.
    @Test func tokensRefreshRotateAndFailClearly() throws {
        let world = try World()
        let listed = try world.cli(["ls", "pikpak:p"])
        #expect(listed.status == 0, "\(listed.stderr)")
        let before = world.config
        #expect(before.contains("refresh_token"))
        world.pikpak.expireAccessTokens(of: "p")
        let after = try world.cli(["ls", "pikpak:p"])
        #expect(after.status == 0, "\(after.stderr)")
        #expect(world.config != before, "the rotated refresh token was not saved")
        world.pikpak.revokeSessions(of: "p")
        world.pikpak.setPassword("changed", for: "p")
        let refused = try world.cli(["ls", "pikpak:p"])
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("refused the user name or password"), "\(refused.stderr)")
        #expect(refused.stderr.split(separator: "\n").count == 1, "\(refused.stderr)")
        #expect(!(refused.stdout + refused.stderr).contains(world.password))
    }

    /// An offline download, then delivered to a local folder with --then, as for Put.io.
    @Test func offlineDownloadDeliveredWithThen() throws {
        let world = try World()
        let nas = TestSupport.temporaryDirectory("pikpak-nas")
        defer { try? FileManager.default.removeItem(atPath: nas) }
        let magnet = "magnet:?xt=urn:btih:4344503b7e797ebf31582327a5baae35b11bda01&dn=Big+Buck+Bunny.mkv"
        let run = try world.cli([
            "fetch", "pikpak:p", magnet, "--to", "Downloads", "--then", nas, "--poll", "0.05", "--json",
        ])
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        let states = run.stdout.split(separator: "\n").compactMap {
            (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any]
        }.filter { $0["event"] as? String == "job" }.compactMap { $0["state"] as? String }
        #expect(states.last == "completed", "\(states)")
        let stored = world.pikpak.contents("p", path: "Downloads/Big Buck Bunny.mkv")
        #expect(stored?.isEmpty == false)
        #expect(FileManager.default.contents(atPath: nas + "/Big Buck Bunny.mkv").map(Array.init) == stored)
    }

    /// putio:a → pikpak → putio:b with CONNECTORS.md's awkward tree: spaces, NFC and NFD, emoji, CJK,
    /// a 200-byte name, 20 levels deep, empty files and folders, a file of several upload parts.
    /// The structure is kept and every byte is the same; a re-run copies nothing and reads nothing.
    @Test func roundTripThroughPikPak() throws {
        let world = try World()
        let long = "A very long title " + String(repeating: "x", count: 200 - 18 - 4) + ".mkv"
        #expect(long.utf8.count == 200)
        let deep = (1...20).map { "level \($0)" }.joined(separator: "/")
        let files: [(String, [UInt8])] = [
            ("Films/" + long, Self.bytes(400_000, seed: 5)),  // four parts of 128 KiB
            ("Films/extras/notes and spaces.txt", Array("notes".utf8)),
            (deep + "/leaf.bin", Self.bytes(1_000, seed: 6)),
            ("emoji 🎬/clip.mp4", Self.bytes(2_000, seed: 7)),
            ("Musique/café/01.flac", Self.bytes(3_000, seed: 8)),
            ("Musique/cafe\u{301}/01.flac", Self.bytes(3_001, seed: 9)),
            ("日本語/歌 1.txt", Array("うた".utf8)),
            ("empty/zero.bin", []),
            // Names PikPak refuses arrive encoded and come back as they were.
            ("Names/a:b.mkv", Self.bytes(100, seed: 10)),
            ("Names/what?.srt", Self.bytes(101, seed: 11)),
            ("Names/say \"hi\" <now> | * .txt", Self.bytes(102, seed: 12)),
            ("Names/trailing dot.", Self.bytes(103, seed: 13)),
            ("Names/trailing space ", Self.bytes(104, seed: 14)),
        ]
        for (path, bytes) in files { _ = world.putio.emulator.addFile(path, contents: bytes, in: "a") }
        _ = world.putio.emulator.makeFolders("Empty folder/inside", in: "a")
        let there = try world.cli(["migrate", "putio:a", "pikpak:p/trip"])
        #expect(there.status == 0, "\(there.stderr)")
        let back = try world.cli(["migrate", "pikpak:p/trip", "putio:b"])
        #expect(back.status == 0, "\(back.stderr)")
        world.putio.expectSameTree()
        let stored = try world.cli(["ls", "pikpak:p/trip/Names"])
        #expect(stored.status == 0 && stored.stdout.split(separator: "\n").count == 5, "\(stored.stdout)")
        #expect(!stored.stdout.contains(":b.mkv") && !stored.stdout.contains("?"), "\(stored.stdout)")
        world.pikpak.resetRequestStats()
        let again = try world.cli(["migrate", "putio:a", "pikpak:p/trip", "--json"])
        #expect(again.status == 0 && again.stdout.contains(#""copied":0"#), "\(again.stdout)")
        #expect(world.pikpak.servedDownloadBytes == 0)
        #expect(world.pikpak.requestStats.keys.allSatisfy { !$0.hasPrefix("storage") }, "\(world.pikpak.requestStats)")
    }

    /// Faults on both directions end with identical bytes and nothing left half-made: 429s with and
    /// without Retry-After (in seconds and as an HTTP date), 5xx, "too frequent", a refused captcha token, connections dropped
    /// mid-upload and mid-download, a download link that expires between reads.
    @Test func faultsAreSurvived() throws {
        let world = try World(chunkSize: 128 << 10, cutoff: 200 << 10)
        let src = TestSupport.temporaryDirectory("pikpak-faults")
        defer { try? FileManager.default.removeItem(atPath: src) }
        var files: [String: [UInt8]] = [:]
        for i in 0..<6 {
            let bytes = Self.bytes(i == 0 ? 600_000 : 50_000 + i * 1_000, seed: UInt64(40 + i))
            files["f\(i).bin"] = bytes
            #expect(FileManager.default.createFile(atPath: "\(src)/f\(i).bin", contents: Data(bytes)))
        }
        world.pikpak.setFaults {
            $0.rateLimited = 2
            $0.retryAfter = 1
            $0.serverErrors = 2
            $0.tooFrequent = 1
            $0.captchaRejections = 1
            $0.droppedUploads = 2
        }
        let up = try world.cli(["copy", src, "pikpak:p/in", "--retry-delay", "0.05"])
        #expect(up.status == 0, "\(up.stdout)\(up.stderr)")
        for (name, bytes) in files { #expect(world.pikpak.contents("p", path: "in/" + name) == bytes, "\(name)") }

        // The same faults for uploads whose GCID is computed from a spool (Put.io lists none).
        var spooled: [String: [UInt8]] = [:]
        for i in 0..<4 {
            let bytes = Self.bytes(i == 0 ? 500_000 : 60_000 + i * 1_000, seed: UInt64(60 + i))
            spooled["g\(i).bin"] = bytes
            _ = world.putio.emulator.addFile("g\(i).bin", contents: bytes, in: "a")
        }
        world.pikpak.setFaults {
            $0.rateLimited = 1
            $0.retryAfter = 1
            $0.retryAfterAsDate = true
            $0.serverErrors = 2
            $0.droppedUploads = 2
        }
        let spoolUp = try world.cli(["copy", "putio:a", "pikpak:p/spooled", "--retry-delay", "0.05"])
        #expect(spoolUp.status == 0, "\(spoolUp.stdout)\(spoolUp.stderr)")
        for (name, bytes) in spooled {
            #expect(world.pikpak.contents("p", path: "spooled/" + name) == bytes, "\(name)")
        }
        let spooledNames = try world.cli(["ls", "pikpak:p/spooled"])
        #expect(spooledNames.stdout.split(separator: "\n").count == spooled.count, "\(spooledNames.stdout)")

        world.pikpak.downloadLinkLifetime = 12  // taken with 10 s left at most: a fresh link per open
        world.pikpak.setFaults {
            $0.rateLimited = 1
            $0.retryAfter = nil
            $0.droppedDownloads = 2
            $0.truncatedDownloads = 1
            $0.serverErrors = 1
        }
        let out = TestSupport.temporaryDirectory("pikpak-faults-out")
        defer { try? FileManager.default.removeItem(atPath: out) }
        let down = try world.cli(["copy", "pikpak:p/in", out, "--retry-delay", "0.05"])
        #expect(down.status == 0, "\(down.stdout)\(down.stderr)")
        for (name, bytes) in files {
            #expect(FileManager.default.contents(atPath: out + "/" + name).map(Array.init) == bytes, "\(name)")
        }
        let names = try world.cli(["ls", "pikpak:p/in"])
        #expect(names.stdout.split(separator: "\n").count == files.count, "\(names.stdout)")
    }

    /// A migration killed while a large file's parts go up: the next run sends only the parts the
    /// store lacks (at most one part again). From a local disk, which computes the GCID first, the
    /// parts go up as the bytes come and nothing is spooled; from Put.io, whose listing has no GCID,
    /// the bytes wait in a spool, which the next run finds.
    @Test(arguments: ["local", "putio"]) func aKilledUploadResumesWithTheRemainingParts(from origin: String) throws {
        let world = try World(chunkSize: 128 << 10, cutoff: 256 << 10)
        let src = TestSupport.temporaryDirectory("pikpak-kill")
        defer { try? FileManager.default.removeItem(atPath: src) }
        let big = Self.bytes(4 << 20, seed: 77)  // 32 parts of 128 KiB
        #expect(FileManager.default.createFile(atPath: src + "/big.bin", contents: Data(big)))
        _ = world.putio.emulator.addFile("big.bin", contents: big, in: "a")
        let source = origin == "local" ? src : "putio:a"
        world.pikpak.storageDelay = 0.1
        let process = try TestSupport.startCLI(
            ["migrate", source, "pikpak:p/k", "--no-progress"], home: world.putio.home, state: world.putio.state)
        let midway = TestSupport.waitUntil(60) { (world.pikpak.requestStats["storage/multipart"] ?? 0) >= 10 }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        #expect(midway, "the upload never got midway")
        #expect(world.pikpak.contents("p", path: "k/big.bin") == nil, "a half file is visible")
        #expect(world.spools.count == (origin == "local" ? 0 : 1), "\(world.spools)")
        let before = world.pikpak.requestStats["storage/multipart"] ?? 0

        world.pikpak.storageDelay = 0
        world.pikpak.resetRequestStats()
        let rerun = try world.cli(["migrate", source, "pikpak:p/k", "--json"])
        #expect(rerun.status == 0, "\(rerun.stdout)\(rerun.stderr)")
        #expect(world.pikpak.contents("p", path: "k/big.bin") == big)
        // 32 parts, an initiation and a completion in all. `before` counts the initiation and the
        // part in flight when the process died (it never completed); of the parts that did, the
        // last may not have reached the state database. The rerun sends the parts missing, that
        // one again at most, and the completion.
        let sent = world.pikpak.requestStats["storage/multipart"] ?? 0
        let completedBefore = before - 2
        #expect(sent <= (32 - completedBefore) + 1 + 1, "\(before) storage requests before the kill, \(sent) after")
        #expect(rerun.stdout.contains(#""event":"resumed""#), "\(rerun.stdout)")
        let names = try world.cli(["ls", "pikpak:p/k"])
        let listed = names.stdout.split(separator: "\n").compactMap { $0.split(separator: " ").last.map(String.init) }
        #expect(listed == ["big.bin"], "\(names.stdout)")
        #expect(world.spools.isEmpty, "\(world.spools)")
    }

    /// A link that runs out in the middle of a large download: the rest comes through a new one,
    /// and the file still verifies (by GCID, which the local disk computes too).
    @Test func aLinkExpiringMidDownloadIsRefreshed() throws {
        let world = try World()
        let big = Self.bytes(3 << 20, seed: 91)
        world.pikpak.seed("p", path: "films/long.mkv", bytes: big)
        world.pikpak.setFaults { $0.linksExpiringMidDownload = 2 }
        world.pikpak.resetRequestStats()
        let out = TestSupport.temporaryDirectory("pikpak-expiry")
        defer { try? FileManager.default.removeItem(atPath: out) }
        let run = try world.cli(["copy", "pikpak:p/films", out, "--retry-delay", "0.05"])
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        #expect(FileManager.default.contents(atPath: out + "/long.mkv").map(Array.init) == big)
        // One link for the first read and one for each continuation after an expiry.
        #expect((world.pikpak.requestStats["drive/files/{id}"] ?? 0) >= 3, "\(world.pikpak.requestStats)")
        #expect((world.pikpak.requestStats["download"] ?? 0) >= 3)
    }
}
