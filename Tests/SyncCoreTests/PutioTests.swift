import EmulatorKit
import Foundation
import SyncConfig
import SyncConformance
import SyncHost
import Testing

@testable import PutioEmulator

/// An emulated Put.io with accounts `a` and `b`, and a private HOME whose config holds both
/// (added through the CLI, token on standard input, as a user would).
final class PutioWorld {
    let emulator: PutioEmulator
    let home = TestSupport.temporaryDirectory("putio-home")
    let state: String
    var tokens: [String: String] = [:]

    init(chunkSize: Int = 8 << 20) throws {
        emulator = try PutioEmulator(threads: 2)
        try emulator.start()
        state = home + "/state.db"
        for name in ["a", "b"] {
            let token = emulator.addAccount(name)
            tokens[name] = token
            let added = try cli(
                [
                    "account", "add", "putio", name, "--set", "api_url=\(emulator.baseURL)", "--set",
                    "upload_url=\(emulator.baseURL)", "--set", "chunk_size=\(chunkSize)", "--stdin",
                ], stdin: "token=\(token)\n")
            #expect(added.status == 0, "\(added.stderr)")
        }
    }

    deinit {
        emulator.stop()
        try? FileManager.default.removeItem(atPath: home)
    }

    func cli(_ args: [String], stdin: String? = nil) throws -> TestSupport.Output {
        try TestSupport.cli(args, home: home, environment: ["SYNC_CORE_STATE": state], stdin: stdin)
    }

    /// Every file of `a` under `from` is in `b` under `to` with the same bytes, and nothing else is.
    /// `rename` maps a source path to the destination's spelling (names the destination encodes).
    func expectSameTree(
        _ from: String = "", _ to: String = "", sourceAccount: String = "a", destination: String = "b",
        rename: (String) -> String = { $0 }
    ) {
        // Keyed by bytes: String equality would take NFC and NFD spellings for one name.
        func byBytes(_ tree: [PutioTreeEntry], under prefix: String, _ map: (String) -> String) -> [[UInt8]:
            PutioTreeEntry]
        {
            var out: [[UInt8]: PutioTreeEntry] = [:]
            for var entry in tree {
                if !prefix.isEmpty {
                    guard entry.path.utf8.starts(with: (prefix + "/").utf8) else { continue }
                    entry.path = String(decoding: entry.path.utf8.dropFirst(prefix.utf8.count + 1), as: UTF8.self)
                }
                out[Array(map(entry.path).utf8)] = entry
            }
            return out
        }
        let left = byBytes(emulator.tree(of: sourceAccount), under: from, rename)
        let right = byBytes(emulator.tree(of: destination), under: to, { $0 })
        let missing = left.filter { right[$0.key] == nil }.map(\.value.path).sorted()
        let extra = right.filter { left[$0.key] == nil }.map(\.value.path).sorted()
        #expect(missing.isEmpty && extra.isEmpty, "missing at the destination: \(missing), extra there: \(extra)")
        for (key, l) in left {
            guard let r = right[key] else { continue }
            #expect(l.isFolder == r.isFolder && l.size == r.size && l.crc32 == r.crc32, "\(l.path)")
            if !l.isFolder {
                let a = emulator.contents(of: from.isEmpty ? l.path : from + "/" + l.path, in: sourceAccount)
                let b = emulator.contents(of: to.isEmpty ? r.path : to + "/" + r.path, in: destination)
                #expect(a != nil && a == b, "bytes of \(l.path)")
            }
        }
        #expect(emulator.duplicateNames(in: destination).isEmpty)
        #expect(emulator.pendingUploads(of: destination) == 0, "\(emulator.pendingUploadNames(of: destination))")
    }
}

@Suite(.serialized) struct PutioTests {
    /// The whole suite against an emulator in a process of its own: the memory check then measures
    /// the connector and the host, not the emulator's buffers.
    @Test func conformanceSuitePassesAgainstTheEmulator() throws {
        let dir = TestSupport.temporaryDirectory("putio-emulator")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: TestSupport.binDirectory + "/sync-emulator")
        process.arguments = ["putio", "--port", "0", "--accounts", "a,b", "--tokens-file", dir + "/tokens.json"]
        _ = FileManager.default.createFile(atPath: dir + "/out", contents: nil)
        process.standardOutput = FileHandle(forWritingAtPath: dir + "/out")
        try process.run()
        defer {
            process.terminate()
            process.waitUntilExit()
        }
        var base: String?
        for _ in 0..<200 where base == nil {
            let out = (try? String(contentsOfFile: dir + "/out", encoding: .utf8)) ?? ""
            if let range = out.range(of: "http://127.0.0.1:[0-9]+", options: .regularExpression),
                FileManager.default.fileExists(atPath: dir + "/tokens.json")
            {
                base = String(out[range])
            } else {
                Thread.sleep(forTimeInterval: 0.05)
            }
        }
        let url = try #require(base, "the emulator did not start")
        let tokens = try #require(
            JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/tokens.json")))
                as? [String: String])
        // The suite itself runs in a process of its own too (`sync-core plugin test`, as an author
        // runs it): its memory check reads resident size, which tests beside it here would inflate.
        let home = TestSupport.temporaryDirectory("putio-conformance")
        defer { try? FileManager.default.removeItem(atPath: home) }
        let run = try TestSupport.cli(
            [
                "plugin", "test", "putio", "--set", "api_url=\(url)", "--set", "upload_url=\(url)", "--set",
                "chunk_size=\(8 << 20)",
            ], home: home, environment: ["SYNC_CORE_OPTION_TOKEN": tokens["b"]!])
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        #expect(run.stdout.contains("22 passed, 0 failed, 4 skipped"), "\(run.stdout)")
        let skipped = Set(
            run.stdout.split(separator: "\n").filter { $0.contains(" skip ") }.compactMap {
                $0.split(separator: " ").first.map(String.init)
            })
        #expect(skipped == ["write-unknown-size", "hash-on-demand", "reader-entry", "remove-many"], "\(run.stdout)")
        #expect(!(run.stdout + run.stderr).contains(tokens["b"]!))
        let host = PluginHost(locations: [.init(path: TestSupport.binDirectory, onlyConnectorPrefixed: true)])
        let session = try Session(
            plugin: try #require(host.plugin(named: "putio")),
            config: ["token": .string(tokens["b"]!), "api_url": .string(url), "upload_url": .string(url)])
        defer { session.close() }
        var left: [String] = []
        try session.list("") { left.append($0.path) }
        #expect(left.isEmpty, "the suite cleans up: \(left)")
    }

    /// Aborted and suspended uploads, checked on the emulator's side: nothing is left behind.
    @Test func theEmulatorsTimestampsFollowRFC3339() {
        #expect(PutioJSON.time(1_600_000_000) == "2020-09-13T12:26:40")
        #expect(PutioJSON.time(0) == "1970-01-01T00:00:00")
        for text in [
            "2020-09-13T12:26:40", "2020-09-13T12:26:40Z", "2020-09-13T12:26:40.123Z", "2020-09-13T14:26:40+02:00",
            "2020-09-13T10:56:40-01:30", "1600000000",
        ] {
            #expect(PutioJSON.parseTime(text) == 1_600_000_000, "\(text)")
        }
        for bad in [
            "", "2020-09-13", "2020-13-13T12:26:40", "2020-09-13T12:26:40+2", "2020-09-13T12:26:40Zx", "yesterday",
        ] {
            #expect(PutioJSON.parseTime(bad) == nil, "\(bad)")
        }
    }

    @Test func abortedUploadsLeaveNothingOnTheServer() throws {
        let world = try PutioWorld()
        let host = PluginHost(locations: [.init(path: TestSupport.binDirectory, onlyConnectorPrefixed: true)])
        let session = try Session(
            plugin: try #require(host.plugin(named: "putio")),
            config: [
                "token": .string(world.tokens["b"]!), "api_url": .string(world.emulator.baseURL),
                "upload_url": .string(world.emulator.baseURL), "chunk_size": .int(8 << 20),
            ])
        defer { session.close() }
        let suite = ConformanceSuite(session: session, scratch: ConformanceSuite.scratchName())
        let results = suite.run(only: ["abort-leaves-nothing", "exists-and-replace", "short-write-refused"])
        for r in results { #expect(r.failure == nil, "putio \(r.name): \(r.failure ?? "")") }
        #expect(world.emulator.tree(of: "b").isEmpty, "the checks clean up")
        #expect(world.emulator.pendingUploads(of: "b") == 0, "no tus upload left behind")
    }

    @Test func migratesOneAccountIntoAnotherByteForByte() throws {
        let world = try PutioWorld(chunkSize: 1 << 20)
        let e = world.emulator
        e.seedDemoLibrary(in: "a", scale: 0.02)
        // Edge cases beside the library: empty, chunk-sized and multi-chunk files, NFC and NFD
        // spellings side by side, a backslash (which the server would turn into '-').
        e.addFile("Edge/empty.txt", contents: [], in: "a")
        e.addGeneratedFile("Edge/exactly-one-chunk.bin", size: 1 << 20, seed: 3, in: "a")
        e.addGeneratedFile("Edge/three-chunks-and-a-bit.bin", size: 3 << 20 + 17, seed: 4, in: "a")
        e.addFile("Edge/caf\u{E9}.txt", contents: Array("nfc".utf8), in: "a")
        e.addFile("Edge/cafe\u{301}.txt", contents: Array("nfd".utf8), in: "a")
        e.addFile("Edge/back\\slash.txt", contents: Array("b".utf8), in: "a")
        e.makeFolders("Edge/empty folder", in: "a")

        let first = try world.cli(["migrate", "putio:a", "putio:b", "-v"])
        #expect(first.status == 0, "\(first.stdout)\(first.stderr)")
        // '\\' is forbidden there (the server would make it '-'): it travels as U+FF3C and back.
        world.expectSameTree(rename: { $0.replacingOccurrences(of: "\\", with: "\u{FF3C}") })
        // Neither the tokens nor the signed download URLs' signatures reach the logs.
        for token in world.tokens.values {
            #expect(!first.stdout.contains(token) && !first.stderr.contains(token))
        }
        #expect(!first.stderr.contains("?u=") || first.stderr.contains("u=***"))

        let stats = e.requestStats
        #expect(stats["download"] ?? 0 > 0 && stats["tus/patch"] ?? 0 > 0)

        e.resetRequestStats()
        let second = try world.cli(["migrate", "putio:a", "putio:b"])
        #expect(second.status == 0)
        #expect((second.stdout + second.stderr).contains("copied 0 files"), "\(second.stdout)\(second.stderr)")
        // A re-run lists, reads nothing and uploads nothing.
        let again = e.requestStats
        #expect(again["download"] == nil && again["tus/post"] == nil && again["files/upload"] == nil, "\(again)")

        let check = try world.cli(["check", "putio:a", "putio:b"])
        #expect(check.status == 0, "\(check.stdout)")
    }

    @Test func injectedFaultsAreSurvivedWithNothingLostOrDuplicated() throws {
        let world = try PutioWorld(chunkSize: 1 << 20)
        let e = world.emulator
        for i in 0..<12 {
            e.addGeneratedFile("Set/file-\(i).bin", size: Int64(200_000 + i * 150_000), seed: UInt64(i + 1), in: "a")
        }
        e.addGeneratedFile("Set/big.bin", size: 5 << 20, seed: 99, in: "a")
        e.setFaults {
            $0.rateLimited = 3
            $0.retryAfterSeconds = 1
            $0.serverErrors = 4
            $0.serverErrorStatus = 502
            $0.droppedDownloads = 2
            $0.truncatedDownloads = 2
        }
        let run = try world.cli(["migrate", "putio:a", "putio:b", "--retries", "8", "--retry-delay", "0.05"])
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        world.expectSameTree()
        e.setFaults { f in
            #expect(f.rateLimited == 0 && f.serverErrors == 0 && f.droppedDownloads == 0 && f.truncatedDownloads == 0)
        }
    }

    @Test func serverSideCopyQuirkAndTrashLockAreHandled() throws {
        let world = try PutioWorld()
        let e = world.emulator
        e.addFile(
            "Docs/one.txt", contents: Array("one".utf8), in: "a", modified: Date(timeIntervalSince1970: 1_600_000_000))
        e.setFaults {
            $0.spuriousCopyConflicts = 1
            $0.trashLockTimeouts = 1
        }
        let host = PluginHost(locations: [.init(path: TestSupport.binDirectory, onlyConnectorPrefixed: true)])
        let session = try Session(
            plugin: try #require(host.plugin(named: "putio")),
            config: [
                "token": .string(world.tokens["a"]!), "api_url": .string(e.baseURL), "upload_url": .string(e.baseURL),
            ])
        defer { session.close() }
        try session.copy("Docs/one.txt", to: "Docs/two.txt")
        let copied = try session.stat("Docs/two.txt")
        let expected: Int64 = 1_600_000_000 * 1_000_000_000
        #expect(copied.mtimeNanoseconds == expected, "mtime re-applied after the copy")
        #expect(e.contents(of: "Docs/two.txt", in: "a") == Array("one".utf8))
        #expect(e.duplicateNames(in: "a").isEmpty)
        // TRASH_LOCK_TIMEOUT is temporary: the first delete fails with a retryable code.
        #expect(throws: ConnectorError.self) { try session.remove("Docs/two.txt") }
        do {
            try session.remove("Docs/two.txt")
        } catch { Issue.record("second delete: \(error)") }
        #expect(e.contents(of: "Docs/two.txt", in: "a") == nil)
    }

    @Test func aRevokedTokenIsOneClearErrorWithoutTheToken() throws {
        let world = try PutioWorld()
        world.emulator.addFile("x.txt", contents: Array("x".utf8), in: "a")
        world.emulator.revokeTokens(of: "b")
        for i in 0..<40 { world.emulator.addFile("Many/f\(i).txt", contents: Array("\(i)".utf8), in: "a") }
        let run = try world.cli(["migrate", "putio:a", "putio:b"])
        #expect(run.status != 0)
        // One line for the account, whatever the number of files: what refused, how to fix it.
        let refusals = run.stderr.split(separator: "\n").filter { $0.contains("refused its credentials") }
        #expect(refusals.count == 1, "\(run.stderr)")
        #expect(refusals.first?.contains("putio:b") == true)
        #expect(refusals.first?.contains("sync-core account add putio b") == true, "\(run.stderr)")
        #expect(run.stderr.split(separator: "\n").count <= 2, "\(run.stderr)")
        #expect(!run.stderr.contains(world.tokens["b"]!) && !run.stdout.contains(world.tokens["b"]!))
        #expect(world.emulator.tree(of: "b").isEmpty)
    }

    @Test func fetchTakesAMagnetFromQueuedToCompletedAndDeliversItWithThen() throws {
        let world = try PutioWorld()
        world.emulator.transferDuration = 0.4
        let nas = TestSupport.temporaryDirectory("putio-nas")
        defer { try? FileManager.default.removeItem(atPath: nas) }
        let magnet = "magnet:?xt=urn:btih:4344503b7e797ebf31582327a5baae35b11bda01&dn=Big+Buck+Bunny&xl=3000000"
        let run = try world.cli([
            "fetch", "putio:a", magnet, "--to", "Downloads", "--then", nas, "--poll", "0.1", "--json",
        ])
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        let states = run.stdout.split(separator: "\n").compactMap {
            (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any]
        }.filter { $0["event"] as? String == "job" }.compactMap { $0["state"] as? String }
        #expect(states.first == "queued" && states.contains("running") && states.last == "completed", "\(states)")
        for name in ["Big Buck Bunny.mkv", "Big Buck Bunny.en.srt"] {
            let stored = world.emulator.contents(of: "Downloads/Big Buck Bunny/\(name)", in: "a")
            #expect(stored != nil)
            #expect(FileManager.default.contents(atPath: "\(nas)/Big Buck Bunny/\(name)").map(Array.init) == stored)
        }
        // Account to account works the same way.
        let toB = try world.cli([
            "fetch", "putio:a/Downloads", "magnet:?xt=urn:btih:ab&dn=Sintel.mkv&xl=123456", "--then", "putio:b/Films",
            "--poll", "0.1",
        ])
        #expect(toB.status == 0, "\(toB.stdout)\(toB.stderr)")
        #expect(
            world.emulator.contents(of: "Films/Sintel.mkv", in: "b")
                == world.emulator.contents(of: "Downloads/Sintel.mkv", in: "a"))
    }

    @Test func fetchOfAURLDownloadsFromALocalServerAndReportsFailures() throws {
        let world = try PutioWorld()
        world.emulator.transferDuration = 0.2
        let payload = (0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let server = EmulatorServer(threads: 1)
        try server.start(routes: StaticFiles(["/files/report.pdf": payload]))
        defer { server.stop() }
        let nas = TestSupport.temporaryDirectory("putio-nas")
        defer { try? FileManager.default.removeItem(atPath: nas) }
        // Given on standard input: a URL may hold a passkey that has no place in the process list.
        let run = try world.cli(
            ["fetch", "putio:a", "-", "--to", "Incoming", "--then", nas, "--poll", "0.1"],
            stdin: "http://127.0.0.1:\(server.port)/files/report.pdf\n")
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        #expect(world.emulator.contents(of: "Incoming/report.pdf", in: "a") == payload)
        #expect(FileManager.default.contents(atPath: nas + "/report.pdf").map(Array.init) == payload)

        let missing = try world.cli(
            ["fetch", "putio:a", "http://127.0.0.1:\(server.port)/nothing-here", "--wait", "--poll", "0.1"])
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("HTTP 404"), "\(missing.stderr)")
        let local = try world.cli(["fetch", "local:/tmp", "magnet:?xt=urn:btih:ab"])
        #expect(local.status == 2 && local.stderr.contains("no cloud downloads"), "\(local.stderr)")
    }

    @Test func oauthAuthorizesThroughTheLoopbackRedirectAndRefreshesAfterExpiry() throws {
        let world = try PutioWorld()
        let e = world.emulator
        e.registerClient(id: "4131", secret: "app-secret-123")
        e.approveAuthorizations(as: "a")
        e.setTokenLifetime(3)
        e.addFile("Inbox/hello.txt", contents: Array("hello".utf8), in: "a")
        // The "browser" follows the authorize page's redirect to the loopback listener.
        let browser = ["BROWSER": "curl -sfL -o /dev/null"]
        let settings = [
            "--set", "client_id=4131", "--set", "api_url=\(e.baseURL)", "--set", "upload_url=\(e.baseURL)", "--set",
            "oauth_url=\(e.baseURL)", "--set", "oauth_timeout=20", "--stdin",
        ]
        let added = try TestSupport.cli(
            ["account", "add", "putio", "web"] + settings, home: world.home,
            environment: browser.merging(["SYNC_CORE_STATE": world.state]) { a, _ in a },
            stdin: "client_secret=app-secret-123\n")
        #expect(added.status == 0, "\(added.stdout)\(added.stderr)")
        #expect(added.stderr.contains("Open this address") && added.stderr.contains("code_challenge_method=S256"))
        #expect(!added.stderr.contains("app-secret-123") && !added.stdout.contains("app-secret-123"))
        let configPath = world.home + "/.config/sync-core/config.toml"
        let config = try String(contentsOfFile: configPath, encoding: .utf8)
        #expect(config.contains("refresh_token") && config.contains("token_expiry"))
        let mode = (try FileManager.default.attributesOfItem(atPath: configPath)[.posixPermissions] as? NSNumber)?
            .intValue
        #expect(mode == 0o600)
        let first = try world.cli(["ls", "-R", "putio:web"])
        #expect(first.status == 0 && first.stdout.contains("Inbox/hello.txt"), "\(first.stderr)")
        #expect(!first.stdout.contains("tok-") && !first.stderr.contains("tok-"))

        // Expired: the next run refreshes before its first request and stores the new token (which,
        // from now on, lives an hour).
        Thread.sleep(forTimeInterval: 3.5)
        e.setTokenLifetime(3600)
        let second = try world.cli(["cat", "putio:web/Inbox/hello.txt"])
        #expect(second.status == 0 && second.stdout == "hello", "\(second.stderr)")
        let refreshed = try String(contentsOfFile: configPath, encoding: .utf8)
        #expect(refreshed != config, "the refreshed token was saved")

        // Rejected long before its expiry (revoked on the server): a 401, one refresh, success.
        e.revokeTokens(of: "a")
        let third = try world.cli(["ls", "putio:web"])
        #expect(third.status == 0 && third.stdout.contains("Inbox"), "\(third.stderr)")
        let afterRejection = try String(contentsOfFile: configPath, encoding: .utf8)
        #expect(afterRejection != refreshed, "refreshed after the 401 and saved")
    }

    @Test func anAuthorizationThatNeverArrivesIsOneClearError() throws {
        let world = try PutioWorld()
        let e = world.emulator
        e.registerClient(id: "4131", secret: "app-secret-123")
        e.approveAuthorizations(as: nil)  // the user says no: the authorize page redirects nowhere
        let run = try TestSupport.cli(
            [
                "account", "add", "putio", "web", "--set", "client_id=4131", "--set", "oauth_url=\(e.baseURL)",
                "--set", "oauth_timeout=2", "--stdin",
            ], home: world.home, environment: ["BROWSER": "curl -sfL -o /dev/null"],
            stdin: "client_secret=app-secret-123\n")
        #expect(run.status != 0)
        #expect(run.stderr.contains("no authorization arrived"), "\(run.stderr)")
        let config = (try? String(contentsOfFile: world.home + "/.config/sync-core/config.toml", encoding: .utf8)) ?? ""
        #expect(!config.contains("[putio.web]"))
        // Neither a token nor OAuth settings, and nobody at a terminal: say how to give one.
        let none = try TestSupport.cli(["account", "add", "putio", "bare", "--stdin"], home: world.home, stdin: "")
        #expect(none.status != 0 && none.stderr.contains("no token"), "\(none.stderr)")
    }

    @Test func videoMp4TakesPutiosConversionsAndNeverDeletesTheOriginal() throws {
        let world = try PutioWorld()
        let e = world.emulator
        e.addGeneratedFile("Movies/Film.mkv", size: 300_000, seed: 11, in: "a")
        e.addFile("Movies/Film.en.srt", contents: Array("1\n00:00:01,000 --> 00:00:02,000\nHi\n".utf8), in: "a")
        e.addGeneratedFile("Movies/Other.mkv", size: 120_000, seed: 12, in: "a")
        e.convertToMP4("Movies/Film.mkv", in: "a")
        let added = try world.cli(
            [
                "account", "add", "putio", "amp4", "--set", "api_url=\(e.baseURL)", "--set", "upload_url=\(e.baseURL)",
                "--set", "video=mp4", "--stdin",
            ], stdin: "token=\(world.tokens["a"]!)\n")
        #expect(added.status == 0, "\(added.stderr)")
        let listing = try world.cli(["ls", "putio:amp4/Movies"])
        #expect(listing.stdout.contains("Film.mp4") && listing.stdout.contains("Other.mkv"), "\(listing.stdout)")
        #expect(!listing.stdout.contains("Film.mkv"))

        let nas = TestSupport.temporaryDirectory("putio-mp4")
        defer { try? FileManager.default.removeItem(atPath: nas) }
        let run = try world.cli(["migrate", "putio:amp4/Movies", nas])
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        let mp4 = try #require(e.mp4Contents(of: "Movies/Film.mkv", in: "a"))
        #expect(FileManager.default.contents(atPath: nas + "/Film.mp4").map(Array.init) == mp4)
        #expect(
            FileManager.default.contents(atPath: nas + "/Other.mkv").map(Array.init)
                == e.contents(of: "Movies/Other.mkv", in: "a"))
        #expect(!FileManager.default.fileExists(atPath: nas + "/Film.mkv"))
        let again = try world.cli(["migrate", "putio:amp4/Movies", nas])
        #expect((again.stdout + again.stderr).contains("copied 0 files"), "\(again.stdout)\(again.stderr)")
        // A conversion named on its own (a single-file source) is found through its folder's listing.
        let single = try world.cli(["copy", "putio:amp4/Movies/Film.mp4", nas + "/single"])
        #expect(single.status == 0, "\(single.stderr)")
        #expect(FileManager.default.contents(atPath: nas + "/single/Film.mp4").map(Array.init) == mp4)
        // Ranged reads of a conversion.
        let host = PluginHost(locations: [.init(path: TestSupport.binDirectory, onlyConnectorPrefixed: true)])
        let session = try Session(
            plugin: try #require(host.plugin(named: "putio")),
            config: [
                "token": .string(world.tokens["a"]!), "api_url": .string(e.baseURL), "upload_url": .string(e.baseURL),
                "video": .string("mp4"),
            ])
        defer { session.close() }
        let reader = try session.openReader("Movies/Film.mp4", offset: 1000, length: 5000)
        var got: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = try buffer.withUnsafeMutableBytes { try reader.read(into: $0) }
            if n == 0 { break }
            got += buffer[0..<n]
        }
        reader.close()
        #expect(got == Array(mp4[1000..<6000]))

        // Offloading with --delete-source must not take the original with the conversion.
        let offload = TestSupport.temporaryDirectory("putio-mp4-off")
        defer { try? FileManager.default.removeItem(atPath: offload) }
        let off = try world.cli(["migrate", "putio:amp4/Movies", offload, "--delete-source"])
        #expect(off.status == 1)
        #expect((off.stdout + off.stderr).contains("MP4 conversion"), "\(off.stdout)\(off.stderr)")
        #expect(e.contents(of: "Movies/Film.mkv", in: "a") != nil, "the original stays")
        #expect(e.contents(of: "Movies/Other.mkv", in: "a") == nil, "ordinary files are offloaded")
    }

    @Test func repeatedNamesInASourceFolderAllTravelUnderNamesOfTheirOwn() throws {
        let world = try PutioWorld()
        let e = world.emulator
        // Two uploads of "a.txt" into one folder make two files (Put.io allows it), beside a file
        // that already has the first free name.
        e.addFile(
            "Dup/a.txt", contents: Array("first".utf8), in: "a", modified: Date(timeIntervalSince1970: 1_600_000_000))
        e.addFile(
            "Dup/a.txt", contents: Array("second!".utf8), in: "a", modified: Date(timeIntervalSince1970: 1_600_000_100))
        e.addFile("Dup/a (2).txt", contents: Array("real".utf8), in: "a")
        let nas = TestSupport.temporaryDirectory("putio-dups")
        defer { try? FileManager.default.removeItem(atPath: nas) }
        let run = try world.cli(["migrate", "putio:a/Dup", nas])
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        #expect(run.stderr.contains("stored as 'a (3).txt'"), "\(run.stderr)")
        func read(_ name: String) -> String? {
            FileManager.default.contents(atPath: nas + "/" + name).map { String(decoding: $0, as: UTF8.self) }
        }
        #expect(read("a.txt") == "first" && read("a (2).txt") == "real" && read("a (3).txt") == "second!")
        // The same names when the folder is sorted on disk (runs of one entry each).
        let spilled = TestSupport.temporaryDirectory("putio-dups-spilled")
        defer { try? FileManager.default.removeItem(atPath: spilled) }
        let onDisk = try world.cli(["migrate", "putio:a/Dup", spilled, "--spill-after", "1"])
        #expect(onDisk.status == 0, "\(onDisk.stdout)\(onDisk.stderr)")
        #expect(onDisk.stderr.contains("stored as 'a (3).txt'"), "\(onDisk.stderr)")
        #expect(
            try FileManager.default.contentsOfDirectory(atPath: spilled).sorted() == [
                "a (2).txt", "a (3).txt", "a.txt",
            ])
        #expect(FileManager.default.contents(atPath: spilled + "/a (3).txt") == Data("second!".utf8))
        let again = try world.cli(["migrate", "putio:a/Dup", nas])
        #expect((again.stdout + again.stderr).contains("copied 0 files"), "\(again.stdout)\(again.stderr)")
        // Account to account: the destination gets three distinct names, no duplicate.
        let toB = try world.cli(["copy", "putio:a/Dup", "putio:b/Dup"])
        #expect(toB.status == 0, "\(toB.stderr)")
        #expect(e.contents(of: "Dup/a (3).txt", in: "b") == Array("second!".utf8))
        #expect(e.duplicateNames(in: "b").isEmpty)
        // Offloading never deletes by a name two files share.
        let offload = TestSupport.temporaryDirectory("putio-dups-off")
        defer { try? FileManager.default.removeItem(atPath: offload) }
        let off = try world.cli(["migrate", "putio:a/Dup", offload, "--delete-source"])
        #expect(off.status == 1)
        #expect(off.stderr.contains("kept in the source"), "\(off.stderr)")
        #expect(e.tree(of: "a").filter { $0.path == "Dup/a.txt" }.count == 2)
        #expect(e.contents(of: "Dup/a (2).txt", in: "a") == nil, "the file with a name of its own was offloaded")
    }

    @Test func withinOneAccountTheStoreCopiesAndTheCopyIsVerified() throws {
        let world = try PutioWorld()
        let e = world.emulator
        for n in 0..<3 {
            e.addGeneratedFile("Src/part \(n).bin", size: Int64(100_000 + n), seed: UInt64(n + 40), in: "a")
        }
        e.resetRequestStats()
        let run = try world.cli(["migrate", "putio:a/Src", "putio:a/Dst"])
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        let stats = e.requestStats
        #expect(stats["files/copy"] == 3, "\(stats)")
        #expect(stats["download"] == nil && stats["tus/post"] == nil && stats["files/upload"] == nil, "\(stats)")
        world.expectSameTree("Src", "Dst", sourceAccount: "a", destination: "a")
        let again = try world.cli(["migrate", "putio:a/Src", "putio:a/Dst"])
        #expect((again.stdout + again.stderr).contains("copied 0 files"), "\(again.stdout)\(again.stderr)")
        // Another account is another store: bytes stream through the host there.
        e.resetRequestStats()
        let across = try world.cli(["migrate", "putio:a/Src", "putio:b/Dst"])
        #expect(across.status == 0)
        #expect(e.requestStats["files/copy"] == nil && e.requestStats["download"] == 3)
    }

    @Test func anUploadCutOffMidwayContinuesWithinTheRun() throws {
        let world = try PutioWorld(chunkSize: 1 << 20)
        let e = world.emulator
        e.addGeneratedFile("Big/one.bin", size: 5 << 20, seed: 77, in: "a")
        e.resetRequestStats()
        // The second PATCH of the upload is cut halfway: 1.5 MiB are on the server by then.
        e.setFaults {
            $0.droppedUploads = 1
            $0.patchesBeforeDrop = 1
        }
        let run = try world.cli(["copy", "putio:a/Big", "putio:b/Big", "--retry-delay", "0.05", "--json"])
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        world.expectSameTree("Big", "Big")
        let stats = e.requestStats
        #expect(stats["tus/post"] == 1, "one upload, continued rather than started again: \(stats)")
        #expect((stats["tus/head"] ?? 0) >= 1, "\(stats)")
        // The writer went on from the server's offset out of the chunk it kept: the copy never
        // failed, so the engine resumed nothing and read no byte of the source twice.
        #expect(!run.stdout.contains("\"event\":\"resumed\""), "\(run.stdout)")
        #expect(!run.stdout.contains("\"failed\":1"), "\(run.stdout)")
        #expect(e.servedDownloadBytes == 5 << 20, "\(e.servedDownloadBytes)")
    }
}

/// Serves fixed bytes by path: the "local HTTP server" a URL transfer fetches from.
final class StaticFiles: EmulatorRoutes, @unchecked Sendable {
    let files: [String: [UInt8]]
    init(_ files: [String: [UInt8]]) { self.files = files }
    func bodySink(for request: EmulatorRequest) -> BodySink? { nil }
    func handle(_ request: EmulatorRequest) -> EmulatorResponse {
        guard let bytes = files[request.path] else { return EmulatorResponse(status: 404) }
        return EmulatorResponse(status: 200, headers: [("Content-Type", "application/pdf")], body: .bytes(bytes))
    }
}
