import DropboxEmulator
import Foundation
import SyncHashes
import Testing

@testable import PutioEmulator

/// The Dropbox connector end to end through the CLI, against the Dropbox emulator (and Put.io's,
/// for the migration into the family's Dropbox).
@Suite(.serialized) struct DropboxTests {
    /// Put.io accounts `a` and `b` (PutioWorld) and a Dropbox account `family` in the same HOME,
    /// added with tokens on standard input.
    final class World {
        let putio: PutioWorld
        let dropbox: DropboxEmulator
        let chunkSize: Int

        init(chunkSize: Int = 128 << 10, team: Bool = false) throws {
            putio = try PutioWorld()
            dropbox = try DropboxEmulator(threads: 2)
            self.chunkSize = chunkSize
            try dropbox.start()
            dropbox.registerApp(key: "app-key")
            try addAccount("family", team: team)
        }

        deinit { dropbox.stop() }

        /// A Dropbox user and the account `name` for it, with a refreshable token.
        func addAccount(_ name: String, team: Bool = false, extra: [String] = []) throws {
            dropbox.addAccount(name, team: team)
            let tokens = dropbox.issueTokens(for: name)
            let url = dropbox.baseURL
            let added = try putio.cli(
                [
                    "account", "add", "dropbox", name, "--set", "app_key=app-key", "--set", "api_url=\(url)", "--set",
                    "content_url=\(url)", "--set", "token_url=\(url)/oauth2/token", "--set", "chunk_size=\(chunkSize)",
                    "--set", "batch_wait_ms=200", "--stdin",
                ] + extra, stdin: "token=\(tokens.access)\nrefresh_token=\(tokens.refresh)\n")
            #expect(added.status == 0, "\(added.stderr)")
        }

        func cli(_ args: [String]) throws -> TestSupport.Output { try putio.cli(args) }

        var config: String {
            (try? String(contentsOfFile: putio.home + "/.config/sync-core/config.toml", encoding: .utf8)) ?? ""
        }
    }

    static func bytes(_ count: Int, seed: UInt64) -> [UInt8] { PikPakTests.bytes(count, seed: seed) }

    @Test func conformanceSuitePasses() throws {
        let e = try DropboxEmulator(threads: 2)
        e.addAccount("c")
        try e.start()
        defer { e.stop() }
        let home = TestSupport.temporaryDirectory("dropbox-conformance")
        defer { try? FileManager.default.removeItem(atPath: home) }
        let url = e.baseURL
        let run = try TestSupport.cli(
            [
                "plugin", "test", "dropbox", "--set", "api_url=\(url)", "--set", "content_url=\(url)", "--set",
                "chunk_size=131072", "--set", "batch_wait_ms=50",
            ], home: home, environment: ["SYNC_CORE_OPTION_TOKEN": e.issueTokens(for: "c").access])
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        #expect(run.stdout.contains("24 passed, 0 failed, 2 skipped"), "\(run.stdout)")
        let skipped = Set(
            run.stdout.split(separator: "\n").filter { $0.contains(" skip ") }.compactMap {
                $0.split(separator: " ").first.map(String.init)
            })
        // Dropbox lists content_hash with every file (nothing to compute on demand), and its
        // listings carry everything a read would tell.
        #expect(skipped == ["hash-on-demand", "reader-entry"], "\(run.stdout)")
        // Small files went through batch commits, large ones through sessions.
        #expect((e.requestStats["files/upload_session/finish_batch_v2"] ?? 0) > 0)
        #expect((e.requestStats["files/upload_session/append_v2"] ?? 0) > 0)
    }

    /// putio:a → dropbox:family with CONNECTORS.md's awkward tree, byte for byte and with mtimes,
    /// then dropbox:family → local and back the same; a re-run copies and reads nothing. A name
    /// Dropbox refuses (a trailing space) arrives encoded and comes back unchanged.
    @Test func putioToDropboxAndBack() throws {
        let world = try World()
        let long = "A very long title " + String(repeating: "x", count: 200 - 18 - 4) + ".mkv"
        let deep = (1...20).map { "level \($0)" }.joined(separator: "/")
        let modified = Date(timeIntervalSince1970: 1_600_000_000)
        let files: [(String, [UInt8])] = [
            ("Films/" + long, Self.bytes(400_000, seed: 1)),  // four session chunks of 128 KiB
            ("Films/extras/notes and spaces.txt", Array("notes".utf8)),
            (deep + "/leaf.bin", Self.bytes(1_000, seed: 2)),
            ("emoji 🎬/clip.mp4", Self.bytes(2_000, seed: 3)),
            // NFD beside NFC is a collision on a case-insensitive store: caseCollisionsAreReported….
            ("Musique/café/01.flac", Self.bytes(3_000, seed: 4)),
            ("日本語/歌 1.txt", Array("うた".utf8)),
            ("empty/zero.bin", []),
            ("Names/trailing space ", Self.bytes(11, seed: 7)),
        ]
        for (path, bytes) in files {
            _ = world.putio.emulator.addFile(path, contents: bytes, in: "a", modified: modified)
        }
        _ = world.putio.emulator.makeFolders("Empty folder/inside", in: "a")
        let up = try world.cli(["migrate", "putio:a", "dropbox:family/Media"])
        #expect(up.status == 0, "\(up.stdout)\(up.stderr)")
        let stored = world.dropbox.tree(of: "family")
        for (path, bytes) in files where !path.hasPrefix("Names/") {
            #expect(world.dropbox.contents("family", path: "/Media/" + path) == bytes, "\(path)")
            let entry = stored.first { $0.path.utf8.elementsEqual(("/Media/" + path).utf8) }
            #expect(entry?.clientModified == modified, "\(path)")
        }
        #expect(stored.contains { $0.path == "/Media/Empty folder/inside" && $0.isFolder })
        #expect(world.dropbox.contents("family", path: "/Media/Names/trailing space␠") != nil)

        world.dropbox.resetRequestStats()
        let again = try world.cli(["migrate", "putio:a", "dropbox:family/Media", "--json"])
        #expect(again.status == 0 && again.stdout.contains(#""copied":0"#), "\(again.stdout)")
        // Listing pages, and the one look at the destination's top folder every run makes.
        let quiet = world.dropbox.requestStats
        #expect(quiet.keys.allSatisfy { $0.hasPrefix("files/list_folder") || $0 == "files/get_metadata" }, "\(quiet)")
        #expect((quiet["files/get_metadata"] ?? 0) <= 1, "\(quiet)")
        #expect(world.dropbox.servedDownloadBytes == 0)

        let back = try world.cli(["migrate", "dropbox:family/Media", "putio:b"])
        #expect(back.status == 0, "\(back.stderr)")
        world.putio.expectSameTree()
        let out = TestSupport.temporaryDirectory("dropbox-out")
        defer { try? FileManager.default.removeItem(atPath: out) }
        let down = try world.cli(["copy", "dropbox:family/Media", out])
        #expect(down.status == 0, "\(down.stderr)")
        for (path, bytes) in files {
            #expect(FileManager.default.contents(atPath: out + "/" + path).map(Array.init) == bytes, "\(path)")
        }
        let check = try world.cli(["check", "dropbox:family/Media", out])
        #expect(check.status == 0, "\(check.stderr)")
    }

    /// 500 small files: their commits go in batches (finish_batch_v2), never one commit each, and
    /// the run gets through a namespace whose writes hold its lock for a while.
    @Test func smallFilesAreCommittedInBatches() throws {
        let world = try World()
        world.dropbox.writeLockSeconds = 0.005
        let src = TestSupport.temporaryDirectory("dropbox-small")
        defer { try? FileManager.default.removeItem(atPath: src) }
        for i in 0..<500 {
            let dir = src + "/d\(i % 10)"
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            #expect(
                FileManager.default.createFile(
                    atPath: "\(dir)/f\(i).txt", contents: Data(Self.bytes(100 + i, seed: UInt64(i)))))
        }
        let run = try world.cli(["copy", src, "dropbox:family/small", "--transfers", "16"])
        #expect(run.status == 0, "\(run.stderr)")
        let stats = world.dropbox.requestStats
        let batches = stats["files/upload_session/finish_batch_v2"] ?? 0
        #expect(batches > 0 && batches <= 100, "\(stats)")
        #expect(stats["files/upload"] == nil && stats["files/upload_session/finish"] == nil, "\(stats)")
        #expect(stats["files/upload_session/start"] == 500, "\(stats)")
        #expect(world.dropbox.tree(of: "family").filter { !$0.isFolder }.count == 500)
        #expect(world.dropbox.contents("family", path: "/small/d7/f7.txt") == Self.bytes(107, seed: 7))
    }

    /// A sync's deletions go in batches (`delete_batch`, answered as a job when large), each file
    /// with the revision the run listed it at: nothing is looked up, and nothing else goes.
    @Test func syncDeletionsGoInBatches() throws {
        let world = try World()
        let src = TestSupport.temporaryDirectory("dropbox-sync")
        defer { try? FileManager.default.removeItem(atPath: src) }
        for i in 0..<60 {
            #expect(FileManager.default.createFile(atPath: "\(src)/f\(i).txt", contents: Data([UInt8(i)])))
        }
        #expect(try world.cli(["copy", src, "dropbox:family/s"]).status == 0)
        world.dropbox.seed("family", path: "/s/only-there/keep.txt", bytes: [1])
        for i in 10..<60 { try FileManager.default.removeItem(atPath: "\(src)/f\(i).txt") }
        world.dropbox.resetRequestStats()
        let sync = try world.cli(["sync", src, "dropbox:family/s", "--max-delete", "100", "--json"])
        #expect(sync.status == 0, "\(sync.stdout)\(sync.stderr)")
        #expect(sync.stdout.contains(#""deleted":52"#), "\(sync.stdout)")  // 50 files, a file and its folder
        let stats = world.dropbox.requestStats
        #expect((stats["files/delete_batch"] ?? 0) == 1 && (stats["files/delete_batch/check"] ?? 0) >= 1, "\(stats)")
        // The files' revisions came from the listing: the only look-ups are the run's look at its
        // top folder and the emptied folder's, before it goes.
        #expect((stats["files/get_metadata"] ?? 0) <= 2 && stats["files/delete_v2"] == 1, "\(stats)")
        let left = world.dropbox.tree(of: "family").filter { !$0.isFolder }.map(\.path).sorted()
        #expect(left == (0..<10).map { "/s/f\($0).txt" }.sorted(), "\(left)")
    }

    /// `Movie.mkv` and `movie.mkv` from a case-sensitive source are one name on Dropbox: one is
    /// transferred, the other reported, never merged or overwritten.
    @Test func caseCollisionsAreReportedNotMerged() throws {
        let world = try World()
        let src = TestSupport.temporaryDirectory("dropbox-case")
        defer { try? FileManager.default.removeItem(atPath: src) }
        #expect(FileManager.default.createFile(atPath: src + "/Movie.mkv", contents: Data([1, 2, 3])))
        #expect(FileManager.default.createFile(atPath: src + "/movie.mkv", contents: Data([4, 5])))
        // The same name in NFC and in NFD folds to one there too.
        #expect(FileManager.default.createFile(atPath: src + "/caf\u{E9}.txt", contents: Data([6])))
        #expect(FileManager.default.createFile(atPath: src + "/cafe\u{301}.txt", contents: Data([7])))
        // A backslash, which Dropbox refuses, is stored encoded and comes back as it was.
        #expect(FileManager.default.createFile(atPath: src + "/back\\slash.txt", contents: Data([8])))
        let run = try world.cli(["copy", src, "dropbox:family/case"])
        #expect(run.status != 0)
        #expect(run.stderr.contains("movie.mkv") && run.stderr.contains("collides"), "\(run.stderr)")
        #expect(run.stderr.contains("cafe\u{301}.txt: not transferred"), "\(run.stderr)")
        let files = world.dropbox.tree(of: "family").filter { !$0.isFolder }.map(\.path).sorted()
        #expect(files == ["/case/Movie.mkv", "/case/back＼slash.txt", "/case/caf\u{E9}.txt"], "\(files)")
        #expect(world.dropbox.contents("family", path: "/case/Movie.mkv") == [1, 2, 3])
        let out = TestSupport.temporaryDirectory("dropbox-case-out")
        defer { try? FileManager.default.removeItem(atPath: out) }
        let back = try world.cli(["copy", "dropbox:family/case", out])
        #expect(back.status == 0, "\(back.stderr)")
        #expect(FileManager.default.contents(atPath: out + "/back\\slash.txt") == Data([8]))
        // The return trip into the source itself: both spellings survive there, untouched.
        let home = try world.cli(["copy", "dropbox:family/case", src])
        #expect(home.status == 0, "\(home.stderr)")
        #expect(FileManager.default.contents(atPath: src + "/Movie.mkv") == Data([1, 2, 3]))
        #expect(FileManager.default.contents(atPath: src + "/movie.mkv") == Data([4, 5]))
        #expect(FileManager.default.contents(atPath: src + "/cafe\u{301}.txt") == Data([7]))
        #expect((try FileManager.default.contentsOfDirectory(atPath: src)).count == 5)
    }

    /// An upload session killed mid-file resumes on the next run from the offset the server holds:
    /// the bytes sent again are at most one chunk.
    @Test func aKilledUploadSessionResumes() throws {
        let world = try World(chunkSize: 256 << 10)
        let src = TestSupport.temporaryDirectory("dropbox-kill")
        defer { try? FileManager.default.removeItem(atPath: src) }
        let big = Self.bytes(6 << 20, seed: 77)  // 24 chunks
        #expect(FileManager.default.createFile(atPath: src + "/big.bin", contents: Data(big)))
        world.dropbox.uploadDelay = 0.1
        let process = try TestSupport.startCLI(
            ["migrate", src, "dropbox:family/k", "--no-progress"], home: world.putio.home, state: world.putio.state)
        let midway = TestSupport.waitUntil(60) { world.dropbox.receivedUploadBytes >= 3 << 20 }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        #expect(midway, "the upload never got midway")
        #expect(world.dropbox.contents("family", path: "/k/big.bin") == nil, "a half file is visible")
        let before = world.dropbox.receivedUploadBytes
        world.dropbox.uploadDelay = 0
        world.dropbox.resetRequestStats()
        let rerun = try world.cli(["migrate", src, "dropbox:family/k", "--json"])
        #expect(rerun.status == 0, "\(rerun.stdout)\(rerun.stderr)")
        #expect(world.dropbox.contents("family", path: "/k/big.bin") == big)
        #expect(rerun.stdout.contains(#""event":"resumed""#), "\(rerun.stdout)")
        let again = world.dropbox.receivedUploadBytes
        #expect(again <= Int64(big.count) - before + Int64(256 << 10), "\(before) before the kill, \(again) after")
    }

    /// Tokens: `account add` runs the browser flow with PKCE and saves a refresh token; an expired
    /// access token is refreshed and saved mid-run; a revoked grant is one clear error, with no
    /// token in any output.
    @Test func authorizationRefreshAndRevocation() throws {
        let world = try World()
        let e = world.dropbox
        e.addAccount("web")
        e.approveAuthorizations(as: "web")
        e.seed("web", path: "/Inbox/hello.txt", bytes: Array("hello".utf8))
        let url = e.baseURL
        let added = try TestSupport.cli(
            [
                "account", "add", "dropbox", "web", "--set", "app_key=app-key", "--set", "api_url=\(url)", "--set",
                "content_url=\(url)", "--set", "auth_url=\(url)/oauth2/authorize", "--set",
                "token_url=\(url)/oauth2/token", "--set", "redirect_port=0", "--set", "oauth_timeout=20",
            ], home: world.putio.home,
            environment: ["BROWSER": "curl -sfL -o /dev/null", "SYNC_CORE_STATE": world.putio.state])
        #expect(added.status == 0, "\(added.stdout)\(added.stderr)")
        #expect(
            added.stderr.contains("code_challenge_method=S256") && added.stderr.contains("token_access_type=offline"))
        let config = world.config
        #expect(config.contains("[dropbox.web]") && config.contains("refresh_token"), "\(config)")
        let path = world.putio.home + "/.config/sync-core/config.toml"
        let mode = (try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber)?.intValue
        #expect(mode == 0o600)

        e.expireAccessTokens(of: "web")
        let before = world.config
        let listed = try world.cli(["ls", "-R", "dropbox:web"])
        #expect(listed.status == 0 && listed.stdout.contains("Inbox/hello.txt"), "\(listed.stderr)")
        #expect(world.config != before, "the refreshed token was not saved")

        e.revokeGrants(of: "web")
        let refused = try world.cli(["copy", "dropbox:web", TestSupport.temporaryDirectory("dropbox-revoked")])
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("account add dropbox"), "\(refused.stderr)")
        let secrets = world.config.split(separator: "\n").filter { $0.contains("token") }.compactMap {
            $0.split(separator: "\"").dropFirst().first.map(String.init)
        }.filter { $0.count > 20 }
        #expect(!secrets.isEmpty)
        for secret in secrets {
            #expect(!(refused.stdout + refused.stderr + listed.stdout + listed.stderr).contains(secret))
        }
    }

    /// Faults on both directions end with identical bytes and nothing half-made: 429 with
    /// Retry-After in seconds, as a date and with a text body, the namespace's write lock, 5xx,
    /// uploads dropped mid-body, append replies lost, downloads cut short, a token expiring mid-run.
    @Test func faultsAreSurvived() throws {
        let world = try World(chunkSize: 64 << 10)
        let src = TestSupport.temporaryDirectory("dropbox-faults")
        defer { try? FileManager.default.removeItem(atPath: src) }
        var files: [String: [UInt8]] = [:]
        for i in 0..<8 {
            let bytes = Self.bytes(i == 0 ? 500_000 : 20_000 + i * 1_000, seed: UInt64(40 + i))
            files["f\(i).bin"] = bytes
            #expect(FileManager.default.createFile(atPath: "\(src)/f\(i).bin", contents: Data(bytes)))
        }
        world.dropbox.setFaults {
            $0.rateLimited = 2
            $0.retryAfter = 1
            $0.writeLocked = 2
            $0.serverErrors = 2
            $0.droppedUploads = 2
            $0.lostAppendReplies = 2
        }
        let up = try world.cli(["copy", src, "dropbox:family/in", "--retry-delay", "0.05"])
        #expect(up.status == 0, "\(up.stdout)\(up.stderr)")
        for (name, bytes) in files {
            #expect(world.dropbox.contents("family", path: "/in/" + name) == bytes, "\(name)")
        }
        #expect(world.dropbox.tree(of: "family").filter { !$0.isFolder }.count == files.count)

        world.dropbox.expireAccessTokens(of: "family")
        world.dropbox.setFaults {
            $0.rateLimited = 2
            $0.retryAfterAsDate = true
            $0.plainTextRateLimit = true
            $0.truncatedDownloads = 2
            $0.serverErrors = 1
        }
        let out = TestSupport.temporaryDirectory("dropbox-faults-out")
        defer { try? FileManager.default.removeItem(atPath: out) }
        let down = try world.cli(["copy", "dropbox:family/in", out, "--retry-delay", "0.05"])
        #expect(down.status == 0, "\(down.stdout)\(down.stderr)")
        for (name, bytes) in files {
            #expect(FileManager.default.contents(atPath: out + "/" + name).map(Array.init) == bytes, "\(name)")
        }
    }

    /// An account whose root is the team's space (`root_namespace=team`): files land there, not in
    /// the member's own folder.
    @Test func aTeamSpaceIsTheRootWhenAsked() throws {
        let world = try World()
        try world.addAccount("team", team: true, extra: ["--set", "root_namespace=team"])
        let src = TestSupport.temporaryDirectory("dropbox-team")
        defer { try? FileManager.default.removeItem(atPath: src) }
        #expect(FileManager.default.createFile(atPath: src + "/plan.txt", contents: Data("plan".utf8)))
        let run = try world.cli(["copy", src, "dropbox:team/Shared"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(world.dropbox.contents("team", path: "/Shared/plan.txt", team: true) == Array("plan".utf8))
        #expect(world.dropbox.contents("team", path: "/Shared/plan.txt") == nil)
        let listed = try world.cli(["ls", "dropbox:team/Shared"])
        #expect(listed.status == 0 && listed.stdout.contains("plan.txt"), "\(listed.stderr)")
    }
}
