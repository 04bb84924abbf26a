import ConnectorKit
import Foundation
import OneDriveEmulator
import SyncHashes
import Testing

@testable import PutioEmulator

/// The OneDrive connector end to end through the CLI, against the OneDrive emulator (and Put.io's,
/// for `putio:a → onedrive:work`).
@Suite(.serialized) struct OneDriveTests {
    /// Put.io accounts `a` and `b` (PutioWorld) and a OneDrive account `work` in the same HOME.
    final class World {
        let putio: PutioWorld
        let onedrive: OneDriveEmulator

        init() throws {
            putio = try PutioWorld()
            onedrive = try OneDriveEmulator(threads: 2)
            try onedrive.start()
            onedrive.registerApp(clientID: "client-1")
            onedrive.addAccount("work")
            let tokens = onedrive.issueTokens(for: "work")
            let added = try putio.cli(
                ["account", "add", "onedrive", "work"] + settings,
                stdin: "token=\(tokens.access)\nrefresh_token=\(tokens.refresh)\n")
            #expect(added.status == 0, "\(added.stderr)")
        }

        deinit { onedrive.stop() }

        var settings: [String] {
            let url = onedrive.baseURL
            return [
                "--set", "client_id=client-1", "--set", "graph_url=\(url)/v1.0", "--set", "auth_url=\(url)", "--set",
                "chunk_size=327680", "--stdin",
            ]
        }

        func cli(_ args: [String]) throws -> TestSupport.Output { try putio.cli(args) }

        var config: String {
            (try? String(contentsOfFile: putio.home + "/.config/sync-core/config.toml", encoding: .utf8)) ?? ""
        }
    }

    static func bytes(_ count: Int, seed: UInt64) -> [UInt8] { PikPakTests.bytes(count, seed: seed) }

    @Test func conformanceSuitePasses() throws {
        let e = try OneDriveEmulator(threads: 2)
        e.addAccount("c")
        try e.start()
        defer { e.stop() }
        let home = TestSupport.temporaryDirectory("onedrive-conformance")
        defer { try? FileManager.default.removeItem(atPath: home) }
        let run = try TestSupport.cli(
            ["plugin", "test", "onedrive", "--set", "graph_url=\(e.baseURL)/v1.0", "--set", "chunk_size=327680"],
            home: home, environment: ["SYNC_CORE_OPTION_TOKEN": e.issueTokens(for: "c").access])
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        #expect(run.stdout.contains("22 passed, 0 failed, 4 skipped"), "\(run.stdout)")
        let skipped = Set(
            run.stdout.split(separator: "\n").filter { $0.contains(" skip ") }.compactMap {
                $0.split(separator: " ").first.map(String.init)
            })
        // Every upload states its size (Content-Range); quickXorHash is listed, never computed on
        // demand; listings carry what a read would tell; deletions go one by one.
        #expect(
            skipped == ["write-unknown-size", "hash-on-demand", "reader-entry", "remove-many"], "\(run.stdout)")
        #expect((e.requestStats["fragment"] ?? 0) > 0 && (e.requestStats["copy"] ?? 0) > 0)
    }

    /// putio:a → onedrive:work/Media with names OneDrive forbids arriving encoded, the tree and
    /// mtimes kept, a re-run that moves nothing; then onedrive:work → local with every name back
    /// as it was.
    @Test func putioToOneDriveAndBack() throws {
        let world = try World()
        let modified = Date(timeIntervalSince1970: 1_600_000_000)
        let deep = (1...20).map { "level \($0)" }.joined(separator: "/")
        let files: [(String, [UInt8])] = [
            ("Films/big movie.mkv", Self.bytes(800_000, seed: 1)),  // three fragments
            ("Films/a:b.mkv", Self.bytes(1_000, seed: 2)),
            ("Films/CON.srt", Array("1\n00:00:01 --> 00:00:02\nhi\n".utf8)),
            ("Films/name.", Self.bytes(10, seed: 3)),
            ("Films/ lead", Self.bytes(11, seed: 4)),
            ("Films/what?*.txt", Self.bytes(12, seed: 5)),
            (deep + "/leaf.bin", Self.bytes(100, seed: 6)),
            ("emoji 🎬/日本語.txt", Array("うた".utf8)),
            ("empty/zero.bin", []),
        ]
        for (path, bytes) in files {
            _ = world.putio.emulator.addFile(path, contents: bytes, in: "a", modified: modified)
        }
        let up = try world.cli(["migrate", "putio:a", "onedrive:work/Media"])
        #expect(up.status == 0, "\(up.stdout)\(up.stderr)")
        let stored = world.onedrive.tree(of: "work")
        let names = Set(stored.filter { $0.path.hasPrefix("/Media/Films/") }.map { String($0.path.dropFirst(13)) })
        #expect(
            names == ["big movie.mkv", "a：b.mkv", "ＣON.srt", "name．", "␠lead", "what？＊.txt"], "\(names.sorted())")
        #expect(world.onedrive.contents("work", path: "Media/Films/big movie.mkv") == files[0].1)
        #expect(stored.first { $0.path == "/Media/Films/big movie.mkv" }?.modified == modified)
        #expect(stored.contains { $0.path == "/Media/empty/zero.bin" && $0.size == 0 })

        world.onedrive.resetRequestStats()
        let again = try world.cli(["migrate", "putio:a", "onedrive:work/Media", "--json"])
        #expect(again.status == 0 && again.stdout.contains(#""copied":0"#), "\(again.stdout)")
        let quiet = world.onedrive.requestStats
        #expect(quiet.keys.allSatisfy { ["children", "item"].contains($0) }, "\(quiet)")
        #expect(world.onedrive.servedDownloadBytes == 0)

        let out = TestSupport.temporaryDirectory("onedrive-out")
        defer { try? FileManager.default.removeItem(atPath: out) }
        let down = try world.cli(["copy", "onedrive:work/Media", out])
        #expect(down.status == 0, "\(down.stderr)")
        for (path, bytes) in files {
            #expect(FileManager.default.contents(atPath: out + "/" + path).map(Array.init) == bytes, "\(path)")
        }
        let check = try world.cli(["check", "onedrive:work/Media", out])
        #expect(check.status == 0, "\(check.stderr)")
    }

    /// An upload session the server expires in the middle of a file: the upload starts over in a
    /// new session and the file still verifies.
    @Test func anExpiredUploadSessionIsRestarted() throws {
        let world = try World()
        let src = TestSupport.temporaryDirectory("onedrive-expiry")
        defer { try? FileManager.default.removeItem(atPath: src) }
        let big = Self.bytes(3 << 20, seed: 9)  // ten fragments
        #expect(FileManager.default.createFile(atPath: src + "/big.bin", contents: Data(big)))
        world.onedrive.uploadDelay = 0.05
        let process = try TestSupport.startCLI(
            ["migrate", src, "onedrive:work/x", "--retry-delay", "0.05"], home: world.putio.home,
            state: world.putio.state)
        let midway = TestSupport.waitUntil(60) { world.onedrive.receivedUploadBytes >= 1 << 20 }
        world.onedrive.expireUploadSessions()
        process.waitUntilExit()
        #expect(midway, "the upload never got midway")
        #expect(process.terminationStatus == 0)
        #expect(world.onedrive.contents("work", path: "x/big.bin") == big)
        #expect(world.onedrive.receivedUploadBytes > Int64(big.count), "the upload did not start over")
        #expect((world.onedrive.requestStats["createUploadSession"] ?? 0) >= 2)
    }

    /// `account add` runs the browser flow with PKCE; an expired access token is refreshed and the
    /// rotated refresh token saved (the old one then refused); a revoked grant is one clear error
    /// with no token in any output.
    @Test func refreshTokensRotateAndAreSaved() throws {
        let world = try World()
        let e = world.onedrive
        e.addAccount("web")
        e.approveAuthorizations(as: "web")
        e.seed("web", path: "Inbox/hello.txt", bytes: Array("hello".utf8))
        let url = e.baseURL
        let added = try TestSupport.cli(
            [
                "account", "add", "onedrive", "web", "--set", "client_id=client-1", "--set", "graph_url=\(url)/v1.0",
                "--set", "auth_url=\(url)", "--set", "redirect_port=0", "--set", "oauth_timeout=20",
            ], home: world.putio.home,
            environment: ["BROWSER": "curl -sfL -o /dev/null", "SYNC_CORE_STATE": world.putio.state])
        #expect(added.status == 0, "\(added.stdout)\(added.stderr)")
        #expect(added.stderr.contains("code_challenge_method=S256") && added.stderr.contains("offline_access"))
        func refreshToken() -> String? {
            let lines = world.config.split(separator: "\n")
            guard let start = lines.firstIndex(where: { $0.contains("[onedrive.web]") }) else { return nil }
            return lines[start...].first { $0.hasPrefix("refresh_token") }?.split(separator: "\"").dropFirst().first
                .map(String.init)
        }
        let first = try #require(refreshToken())
        e.expireAccessTokens(of: "web")
        let listed = try world.cli(["ls", "-R", "onedrive:web"])
        #expect(listed.status == 0 && listed.stdout.contains("Inbox/hello.txt"), "\(listed.stderr)")
        let second = try #require(refreshToken())
        #expect(second != first, "the rotated refresh token was not saved")
        // The refresh token used is spent: the identity platform refuses it now.
        let reused = try HTTPClient().send(
            HTTPRequest.form(
                "POST", url + "/common/oauth2/v2.0/token",
                [("grant_type", "refresh_token"), ("refresh_token", first), ("client_id", "client-1")]))
        #expect(reused.status == 400 && reused.bodyText.contains("invalid_grant"))
        e.revokeGrants(of: "web")
        let refused = try world.cli(["ls", "onedrive:web"])
        #expect(refused.status != 0 && refused.stderr.contains("account add onedrive"), "\(refused.stderr)")
        for secret in [first, second] {
            #expect(!(refused.stdout + refused.stderr + listed.stdout + listed.stderr).contains(secret))
        }
    }

    /// Faults in both directions end with identical bytes: throttling (429 and 503 with
    /// Retry-After, in seconds and as a date), 5xx, fragments dropped mid-body, downloads cut short,
    /// a token expiring mid-run.
    @Test func faultsAreSurvived() throws {
        let world = try World()
        let src = TestSupport.temporaryDirectory("onedrive-faults")
        defer { try? FileManager.default.removeItem(atPath: src) }
        var files: [String: [UInt8]] = [:]
        for i in 0..<6 {
            let bytes = Self.bytes(i == 0 ? 900_000 : 30_000 + i * 1_000, seed: UInt64(50 + i))
            files["f\(i).bin"] = bytes
            #expect(FileManager.default.createFile(atPath: "\(src)/f\(i).bin", contents: Data(bytes)))
        }
        world.onedrive.setFaults {
            $0.throttled = 2
            $0.retryAfter = 1
            $0.serverErrors = 2
            $0.droppedFragments = 2
        }
        let up = try world.cli(["copy", src, "onedrive:work/in", "--retry-delay", "0.05"])
        #expect(up.status == 0, "\(up.stdout)\(up.stderr)")
        for (name, bytes) in files { #expect(world.onedrive.contents("work", path: "in/" + name) == bytes, "\(name)") }

        world.onedrive.expireAccessTokens(of: "work")
        world.onedrive.setFaults {
            $0.throttled = 2
            $0.throttleStatus = 503
            $0.retryAfterAsDate = true
            $0.truncatedDownloads = 2
        }
        let out = TestSupport.temporaryDirectory("onedrive-faults-out")
        defer { try? FileManager.default.removeItem(atPath: out) }
        let down = try world.cli(["copy", "onedrive:work/in", out, "--retry-delay", "0.05"])
        #expect(down.status == 0, "\(down.stdout)\(down.stderr)")
        for (name, bytes) in files {
            #expect(FileManager.default.contents(atPath: out + "/" + name).map(Array.init) == bytes, "\(name)")
        }
    }
}
