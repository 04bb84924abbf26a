import ConnectorKit
import EmulatorKit
import Foundation
import SyncCore
import SyncHost
import Testing

/// A private HOME whose config holds an S3 account `archive` on the shared moto server (added
/// through the CLI with the secret on standard input), and helpers to look at the server directly.
final class S3World {
    let moto: MotoServer
    let home = TestSupport.temporaryDirectory("s3-home")
    let state: String

    /// `endpoint`: where the account sends its requests (moto's, unless a proxy stands between).
    init(endpoint: String? = nil, extra: [String] = []) throws {
        moto = try MotoServer.shared()
        state = home + "/state.db"
        let added = try cli(
            [
                "account", "add", "s3", "archive", "--set", "provider=other", "--set",
                "endpoint=\(endpoint ?? moto.endpoint)",
                "--set", "access_key_id=\(MotoServer.accessKey)", "--stdin",
            ] + extra.flatMap { ["--set", $0] }, stdin: "secret_access_key=\(MotoServer.secret)\n")
        #expect(added.status == 0, "\(added.stderr)")
    }

    deinit { try? FileManager.default.removeItem(atPath: home) }

    func cli(_ args: [String], stdin: String? = nil, environment: [String: String] = [:]) throws -> TestSupport.Output {
        try TestSupport.cli(
            args, home: home, environment: environment.merging(["SYNC_CORE_STATE": state]) { a, _ in a },
            stdin: stdin)
    }

    static func session(bucket: String?, _ extra: [String: OptionValue] = [:]) throws -> Session {
        let moto = try MotoServer.shared()
        let host = PluginHost(locations: [.init(path: TestSupport.binDirectory, onlyConnectorPrefixed: true)])
        var config: [String: OptionValue] = [
            "provider": .string("other"), "endpoint": .string(moto.endpoint),
            "access_key_id": .string(MotoServer.accessKey), "secret_access_key": .string(MotoServer.secret),
        ]
        if let bucket { config["bucket"] = .string(bucket) }
        config.merge(extra) { $1 }
        return try Session(plugin: try #require(host.plugin(named: "s3")), config: config)
    }
}

/// Writes a local tree of `files` (relative path → bytes) under a new folder and returns it.
func localTree(_ label: String, _ files: [String: [UInt8]], emptyFolders: [String] = []) throws -> String {
    let root = TestSupport.temporaryDirectory(label)
    for (path, bytes) in files {
        let url = URL(fileURLWithPath: root + "/" + path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(bytes).write(to: url)
    }
    for folder in emptyFolders {
        try FileManager.default.createDirectory(atPath: root + "/" + folder, withIntermediateDirectories: true)
    }
    return root
}

/// Every file under `root`, relative path → bytes, and its folders.
func readTree(_ root: String) -> (files: [String: [UInt8]], folders: Set<String>) {
    var files: [String: [UInt8]] = [:]
    var folders = Set<String>()
    let enumerator = FileManager.default.enumerator(atPath: root)
    while let path = enumerator?.nextObject() as? String {
        var isDirectory: ObjCBool = false
        _ = FileManager.default.fileExists(atPath: root + "/" + path, isDirectory: &isDirectory)
        if isDirectory.boolValue {
            folders.insert(path)
        } else {
            files[path] = FileManager.default.contents(atPath: root + "/" + path).map(Array.init)
        }
    }
    return (files, folders)
}

/// The paths whose bytes differ between two trees (missing on either side included): a failure
/// message that names files instead of printing their bytes.
func differingPaths(_ a: [String: [UInt8]], _ b: [String: [UInt8]]) -> [String] {
    Set(a.keys).union(b.keys).filter { a[$0] != b[$0] }.sorted()
}

func patterned(_ count: Int, seed: UInt64) -> [UInt8] {
    var state = seed &* 6_364_136_223_846_793_005 &+ 1
    return (0..<count).map { _ in
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return UInt8(truncatingIfNeeded: state >> 33)
    }
}

@Suite(.serialized) struct S3Tests {
    /// The suite through `sync-core plugin test`, as a connector author runs it: in a process of its
    /// own, so its memory check measures the connector and not the other tests running beside it.
    @Test func conformanceSuitePassesAgainstMoto() throws {
        let moto = try MotoServer.shared()
        let bucket = MotoServer.uniqueBucket("conformance")
        try moto.makeBucket(bucket)
        let home = TestSupport.temporaryDirectory("s3-conformance")
        defer { try? FileManager.default.removeItem(atPath: home) }
        let run = try TestSupport.cli(
            [
                "plugin", "test", "s3", "--set", "provider=other", "--set", "endpoint=\(moto.endpoint)", "--set",
                "access_key_id=\(MotoServer.accessKey)", "--set", "bucket=\(bucket)", "--set", "chunk_size=5242880",
            ], home: home, environment: ["SYNC_CORE_OPTION_SECRET_ACCESS_KEY": MotoServer.secret])
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        #expect(run.stdout.contains("22 passed, 0 failed, 4 skipped"), "\(run.stdout)")
        for skipped in ["hash-on-demand", "about", "resume"] {
            #expect(
                run.stdout.split(separator: "\n").contains { $0.hasPrefix(skipped + " ") && $0.contains(" skip ") },
                "\(skipped) skipped: \(run.stdout)")
        }
        #expect(!(run.stdout + run.stderr).contains(MotoServer.secret))
        #expect(try moto.keys(in: bucket).isEmpty, "the suite cleans up")
        #expect(try moto.openUploads(in: bucket).isEmpty, "no multipart upload left behind")
    }

    @Test func bucketsAreTheFirstPathElementWithoutAFixedBucket() throws {
        let moto = try MotoServer.shared()
        let session = try S3World.session(bucket: nil)
        defer { session.close() }
        let bucket = MotoServer.uniqueBucket("first-element")
        try session.mkdir(bucket)
        try session.mkdir(bucket)  // one's own bucket again: success
        var roots: [String] = []
        try session.list("") { roots.append($0.path) }
        #expect(roots.contains(bucket))
        #expect(try session.stat(bucket).isDirectory)
        let writer = try session.openWriter(bucket + "/dir/file.txt", options: .init(size: 5))
        try Array("hello".utf8).withUnsafeBytes { try writer.write($0) }
        let entry = try writer.finish()
        #expect(entry.hashes[.md5] == "5d41402abc4b2a76b9719d911017c592")
        #expect(try moto.object(bucket, "dir/file.txt").map(\.body) == Array("hello".utf8))
        #expect(throws: ConnectorError.self) { try session.rmdir(bucket) }
        try session.remove(bucket + "/dir/file.txt")
        let missing = MotoServer.uniqueBucket("missing")
        do {
            try session.list(missing) { _ in }
            Issue.record("listing a missing bucket succeeded")
        } catch let error as ConnectorError {
            #expect(error.code == .notFound && error.message.contains(missing), "\(error)")
        }
    }

    /// local → s3 → local through the CLI: bytes, structure and empty folders; a multipart file of
    /// three parts; a re-run that sends nothing; `check`; no secret in a verbose log.
    @Test func migratesLocalToS3AndBackByteForByte() throws {
        let world = try S3World(extra: ["chunk_size=5242880", "upload_cutoff=5242880"])
        let bucket = MotoServer.uniqueBucket("roundtrip")
        var files: [String: [UInt8]] = [
            "Series/Show/S01/E01.mkv": patterned(12 << 20 + 333, seed: 1),
            "Series/Show/S01/E01.en.srt": Array("1\n00:00:01,000 --> 00:00:02,000\nHi\n".utf8),
            "Series/Show/S01/E02.mkv": patterned(5 << 20, seed: 2),
            "Docs/empty.txt": [],
            "Docs/sp ace+plus%percent.txt": Array("odd".utf8),
            "Docs/caf\u{E9} ünïcödé.txt": Array("accents".utf8),
        ]
        for i in 0..<30 { files["Many/file-\(i).bin"] = patterned(1000 + i * 37, seed: UInt64(10 + i)) }
        let source = try localTree("s3-source", files, emptyFolders: ["Empty/Inner"])
        defer { try? FileManager.default.removeItem(atPath: source) }

        let up = try world.cli(["migrate", source, "s3:archive/\(bucket)", "-v"])
        #expect(up.status == 0, "\(up.stdout)\(up.stderr)")
        #expect(!(up.stdout + up.stderr).contains(MotoServer.secret), "the secret stays out of the logs")
        let moto = world.moto
        let keys = Set(try moto.keys(in: bucket))
        for path in files.keys { #expect(keys.contains(path), "\(path) uploaded") }
        #expect(keys.contains("Empty/Inner/"), "empty folders survive as markers")
        let big = try #require(try moto.object(bucket, "Series/Show/S01/E01.mkv"))
        #expect(big.header("ETag")?.hasSuffix("-3\"") == true, "three parts: \(big.header("ETag") ?? "")")
        #expect(try moto.openUploads(in: bucket).isEmpty)

        let again = try world.cli(["migrate", source, "s3:archive/\(bucket)"])
        #expect(again.status == 0)
        #expect((again.stdout + again.stderr).contains("copied 0 files"), "\(again.stdout)\(again.stderr)")

        let check = try world.cli(["check", source, "s3:archive/\(bucket)"])
        #expect(check.status == 0, "\(check.stdout)\(check.stderr)")

        let back = TestSupport.temporaryDirectory("s3-back")
        defer { try? FileManager.default.removeItem(atPath: back) }
        let down = try world.cli(["migrate", "s3:archive/\(bucket)", back])
        #expect(down.status == 0, "\(down.stdout)\(down.stderr)")
        let restored = readTree(back)
        #expect(restored.files == files, "bytes and names restored")
        #expect(restored.folders.contains("Empty/Inner"))
        // mtimes travel in x-amz-meta-mtime and come back.
        let original =
            try FileManager.default.attributesOfItem(atPath: source + "/Docs/empty.txt")[.modificationDate] as? Date
        let copied =
            try FileManager.default.attributesOfItem(atPath: back + "/Docs/empty.txt")[.modificationDate] as? Date
        #expect(original != nil && original == copied)
    }

    /// Issue 15's bar for S3: through a proxy that answers 5% of requests 429 (Retry-After in both
    /// forms), 5% 503 SlowDown, drops 3% of connections before the answer, cuts 3% of downloads
    /// and answers 3% of the writes that landed with a 500, a migration up and back down completes
    /// in one run each with the default settings, byte for byte, and leaves no upload open.
    @Test(arguments: [15] as [UInt64])
    func aMigrationThroughABadDayCompletesInOneRun(faultSeed: UInt64) throws {
        let moto = try MotoServer.shared()
        let proxy = try FaultProxy(target: moto.endpoint, rates: .badDay, seed: faultSeed)
        defer { proxy.stop() }
        let world = try S3World(endpoint: proxy.endpoint, extra: ["chunk_size=5242880", "upload_cutoff=5242880"])
        let bucket = MotoServer.uniqueBucket("bad-day")
        var files: [String: [UInt8]] = [
            "Video/large.mkv": patterned(12 << 20 + 333, seed: 1),
            "Video/medium.mkv": patterned(6 << 20, seed: 2),
            "Docs/empty.txt": [],
        ]
        for i in 0..<40 { files["Many/\(i % 4)/file-\(i).bin"] = patterned(3000 + i * 997, seed: UInt64(10 + i)) }
        let source = try localTree("s3-bad-day", files)
        defer { try? FileManager.default.removeItem(atPath: source) }

        let up = try world.cli(["migrate", source, "s3:archive/\(bucket)"])
        #expect(up.status == 0, "\(up.stdout)\(up.stderr)")
        let back = TestSupport.temporaryDirectory("s3-bad-day-back")
        defer { try? FileManager.default.removeItem(atPath: back) }
        let down = try world.cli(["migrate", "s3:archive/\(bucket)", back])
        #expect(down.status == 0, "\(down.stdout)\(down.stderr)")
        #expect(differingPaths(readTree(back).files, files).isEmpty, "read back through the faults")
        let injected = proxy.faults
        #expect(injected.values.reduce(0, +) >= 10 && injected.keys.count >= 3, "faults injected: \(injected)")

        // What landed, read straight from moto: every byte, and no multipart upload left open.
        proxy.calm()
        let direct = TestSupport.temporaryDirectory("s3-bad-day-direct")
        defer { try? FileManager.default.removeItem(atPath: direct) }
        let plain = try S3World()
        let read = try plain.cli(["copy", "s3:archive/\(bucket)", direct])
        #expect(read.status == 0, "\(read.stderr)")
        #expect(differingPaths(readTree(direct).files, files).isEmpty)
        #expect(try moto.openUploads(in: bucket).isEmpty)
    }

    /// An upload stopped half-way — by the writer's abort, or by Ctrl-C during a migrate — leaves
    /// no multipart upload open and nothing at the key; the next run completes the file.
    @Test func anInterruptedMultipartUploadLeavesNoUploadBehind() throws {
        let moto = try MotoServer.shared()
        let bucket = MotoServer.uniqueBucket("interrupted")
        try moto.makeBucket(bucket)
        let session = try S3World.session(bucket: bucket, ["chunk_size": .int(5 << 20)])
        defer { session.close() }
        let writer = try session.openWriter("half.bin", options: .init(size: 20 << 20))
        let block = patterned(1 << 20, seed: 5)
        for _ in 0..<12 { try block.withUnsafeBytes { try writer.write($0) } }
        #expect(try moto.openUploads(in: bucket) == ["half.bin"], "parts went up while writing")
        writer.abort()
        #expect(try moto.openUploads(in: bucket).isEmpty)
        #expect(try moto.object(bucket, "half.bin") == nil)

        let world = try S3World(extra: ["chunk_size=5242880"])
        let big = patterned(48 << 20, seed: 6)
        let source = try localTree("s3-interrupt", ["big.bin": big, "small.txt": Array("small".utf8)])
        defer { try? FileManager.default.removeItem(atPath: source) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: TestSupport.cli)
        process.arguments = ["migrate", source, "s3:archive/\(bucket)/run", "--bwlimit", "4M"]
        var env = ProcessInfo.processInfo.environment
        env["SYNC_CORE_PLUGIN_PATH"] = nil
        env["SYNC_CORE_CONFIG"] = nil
        env["HOME"] = world.home
        env["XDG_CONFIG_HOME"] = world.home + "/.config"
        env["SYNC_CORE_STATE"] = world.state
        process.environment = env
        let errPath = world.home + "/interrupt.err"
        _ = FileManager.default.createFile(atPath: errPath, contents: nil)
        process.standardError = FileHandle(forWritingAtPath: errPath)
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        var open: [String] = []
        for _ in 0..<300 where open.isEmpty {
            Thread.sleep(forTimeInterval: 0.05)
            open = try moto.openUploads(in: bucket)
        }
        #expect(open == ["run/big.bin"], "the big file is going up in parts")
        kill(process.processIdentifier, SIGINT)
        process.waitUntilExit()
        let stderr = (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? ""
        #expect(process.terminationStatus == 130, "\(stderr)")
        #expect(stderr.contains("interrupted"), "\(stderr)")
        #expect(try moto.openUploads(in: bucket).isEmpty, "the open upload was aborted")
        #expect(try moto.object(bucket, "run/big.bin") == nil, "nothing half-written at the key")

        let rerun = try world.cli(["migrate", source, "s3:archive/\(bucket)/run"])
        #expect(rerun.status == 0, "\(rerun.stdout)\(rerun.stderr)")
        #expect(try moto.object(bucket, "run/big.bin")?.body == big)
    }

    /// Within one account the store copies (CopyObject): no byte goes through this machine, and
    /// the copy keeps the mtime.
    @Test func withinOneAccountTheStoreCopies() throws {
        let world = try S3World()
        let from = MotoServer.uniqueBucket("copy-from")
        let to = MotoServer.uniqueBucket("copy-to")
        let files = ["a/one.bin": patterned(300_000, seed: 7), "b/two.txt": Array("two".utf8)]
        let source = try localTree("s3-copy", files)
        defer { try? FileManager.default.removeItem(atPath: source) }
        #expect(try world.cli(["copy", source, "s3:archive/\(from)"]).status == 0)
        let run = try world.cli(["copy", "s3:archive/\(from)", "s3:archive/\(to)", "-v"])
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        let log = run.stderr
        #expect(log.contains("PUT http://127.0.0.1:\(world.moto.port)/\(to)/a/one.bin"), "\(log)")
        #expect(!log.contains("GET http://127.0.0.1:\(world.moto.port)/\(from)/a/one.bin"), "no download: \(log)")
        for (path, bytes) in files { #expect(try world.moto.object(to, path)?.body == bytes, "\(path)") }
        let original = try world.moto.object(from, "a/one.bin")?.header("x-amz-meta-mtime")
        let copied = try world.moto.object(to, "a/one.bin")?.header("x-amz-meta-mtime")
        #expect(original != nil && copied == original)
        let again = try world.cli(["copy", "s3:archive/\(from)", "s3:archive/\(to)"])
        #expect((again.stdout + again.stderr).contains("copied 0 files"), "\(again.stderr)")
    }

    /// The Put.io → archive pipeline: `migrate putio:a s3:archive/bucket` against the Put.io
    /// emulator and moto together, checked byte for byte, then a re-run that sends nothing.
    @Test func migratesPutioIntoS3() throws {
        let putio = try PutioWorld(chunkSize: 1 << 20)
        putio.emulator.seedDemoLibrary(in: "a", scale: 0.01)
        putio.emulator.addGeneratedFile("Big/large.mkv", size: 11 << 20, seed: 8, in: "a")
        let moto = try MotoServer.shared()
        let added = try putio.cli(
            [
                "account", "add", "s3", "archive", "--set", "provider=other", "--set", "endpoint=\(moto.endpoint)",
                "--set", "access_key_id=\(MotoServer.accessKey)", "--set", "chunk_size=5242880", "--stdin",
            ], stdin: "secret_access_key=\(MotoServer.secret)\n")
        #expect(added.status == 0, "\(added.stderr)")
        let bucket = MotoServer.uniqueBucket("from-putio")
        let run = try putio.cli(["migrate", "putio:a", "s3:archive/\(bucket)"])
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        let keys = Set(try moto.keys(in: bucket))
        var files = 0
        for entry in putio.emulator.tree(of: "a") {
            if entry.isFolder {
                #expect(keys.contains(entry.path + "/") || keys.contains { $0.hasPrefix(entry.path + "/") })
                continue
            }
            files += 1
            let bytes = putio.emulator.contents(of: entry.path, in: "a")
            let stored = try moto.object(bucket, entry.path)?.body
            #expect(bytes != nil && stored == bytes, "\(entry.path)")
        }
        #expect(files > 10)
        #expect(try moto.openUploads(in: bucket).isEmpty)
        putio.emulator.resetRequestStats()
        let again = try putio.cli(["migrate", "putio:a", "s3:archive/\(bucket)"])
        #expect(again.status == 0)
        #expect((again.stdout + again.stderr).contains("copied 0 files"), "\(again.stdout)\(again.stderr)")
        #expect(putio.emulator.requestStats["download"] == nil, "a re-run reads nothing")
    }

    /// Virtual-hosted addressing (bucket.host: curl resolves *.localhost to loopback), listing
    /// page by page with continuation tokens, and a copy part by part (UploadPartCopy) whose MD5
    /// survives as md5chksum.
    @Test func virtualHostsPagesAndCopiesInParts() throws {
        let moto = try MotoServer.shared()
        let bucket = MotoServer.uniqueBucket("vhost")
        try moto.makeBucket(bucket)
        let session = try S3World.session(
            bucket: bucket,
            [
                "endpoint": .string("http://localhost:\(moto.port)"), "path_style": .bool(false),
                "list_page_size": .int(2), "copy_cutoff": .int(5 << 20),
            ])
        defer { session.close() }
        for i in 0..<7 {
            let w = try session.openWriter("page/f\(i)", options: .init(size: 1))
            try [UInt8(i)].withUnsafeBytes { try w.write($0) }
            _ = try w.finish()
        }
        var listed: [String] = []
        try session.list("page") { listed.append($0.path) }
        #expect(listed.sorted() == (0..<7).map { "page/f\($0)" }, "seven entries over four pages")
        #expect(try moto.object(bucket, "page/f3")?.body == [3])

        let data = patterned(6 << 20, seed: 9)
        let w = try session.openWriter("big.bin", options: .init(size: Int64(data.count), wantHashes: [.md5]))
        try data.withUnsafeBytes { try w.write($0) }
        let written = try w.finish()
        try session.copy("big.bin", to: "copied/big.bin")
        let copied = try #require(try moto.object(bucket, "copied/big.bin"))
        #expect(copied.body == data)
        #expect(copied.header("ETag")?.hasSuffix("-1\"") == true, "copied in parts: \(copied.header("ETag") ?? "")")
        #expect(try session.stat("copied/big.bin").hashes[.md5] == written.hashes[.md5], "MD5 kept as md5chksum")
    }

    /// Settings that cannot work are refused when the account is opened, each with its reason.
    @Test func badSettingsAreRefusedWithTheirReason() throws {
        let host = PluginHost(locations: [.init(path: TestSupport.binDirectory, onlyConnectorPrefixed: true)])
        let plugin = try #require(host.plugin(named: "s3"))
        let keys: [String: OptionValue] = ["access_key_id": .string("k"), "secret_access_key": .string("s")]
        let cases: [([String: OptionValue], String)] = [
            (["provider": .string("b2")], "needs its region"),
            (["provider": .string("r2")], "needs endpoint="),
            (["provider": .string("nimbus")], "unknown provider 'nimbus'"),
            (["provider": .string("other"), "endpoint": .string("ftp://x")], "is not an http(s) URL"),
            (["provider": .string("aws"), "server_side_encryption": .string("rot13")], "expected AES256 or aws:kms"),
        ]
        for (config, reason) in cases {
            do {
                _ = try Session(plugin: plugin, config: keys.merging(config) { $1 })
                Issue.record("accepted \(config)")
            } catch let error as ConnectorError {
                #expect(error.message.contains(reason), "\(error)")
            }
        }
        if ProcessInfo.processInfo.environment["AWS_ACCESS_KEY_ID"] == nil {
            do {
                _ = try Session(
                    plugin: plugin, config: ["provider": .string("other"), "endpoint": .string("http://127.0.0.1:9")])
                Issue.record("opened without credentials")
            } catch let error as ConnectorError {
                #expect(error.code == .auth && error.message.contains("no credentials"), "\(error)")
            }
        }
    }

    /// Credentials from the standard AWS variables when the account has none; storage class and
    /// server-side encryption options reach the objects (multipart ones too).
    @Test func environmentCredentialsStorageClassAndEncryption() throws {
        let moto = try MotoServer.shared()
        let home = TestSupport.temporaryDirectory("s3-env")
        defer { try? FileManager.default.removeItem(atPath: home) }
        let env = ["AWS_ACCESS_KEY_ID": MotoServer.accessKey, "AWS_SECRET_ACCESS_KEY": MotoServer.secret]
        func cli(_ args: [String], _ environment: [String: String] = [:]) throws -> TestSupport.Output {
            try TestSupport.cli(
                args, home: home, environment: environment.merging(["SYNC_CORE_STATE": home + "/s.db"]) { a, _ in a })
        }
        let added = try cli(
            [
                "account", "add", "s3", "envkeys", "--set", "provider=other", "--set", "endpoint=\(moto.endpoint)",
                "--set", "storage_class=STANDARD_IA", "--set", "server_side_encryption=AES256", "--set",
                "chunk_size=5242880", "--set", "upload_cutoff=5242880",
            ], env)
        #expect(added.status == 0, "\(added.stderr)")
        let bucket = MotoServer.uniqueBucket("envkeys")
        let source = try localTree(
            "s3-env-src", ["small.txt": Array("small".utf8), "large.bin": patterned(6 << 20, seed: 12)])
        defer { try? FileManager.default.removeItem(atPath: source) }
        let run = try cli(["copy", source, "s3:envkeys/\(bucket)"], env)
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        for key in ["small.txt", "large.bin"] {
            let object = try #require(try moto.object(bucket, key))
            #expect(object.header("x-amz-storage-class") == "STANDARD_IA", "\(key): \(object.headers)")
            #expect(object.header("x-amz-server-side-encryption") == "AES256", "\(key)")
        }
        let without = try cli(["ls", "s3:envkeys/\(bucket)"], ["AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": ""])
        #expect(without.status != 0 && without.stderr.contains("no credentials"), "\(without.stderr)")
    }

    /// Against a server that answers as S3 does (moto checks no signature and no clock): a wrong
    /// secret is one AUTH error naming the cause after one request; a skewed clock is corrected
    /// from the server's Date and the request signed again, once.
    @Test func wrongCredentialsAndClockSkewAreOneClearAnswer() throws {
        let routes = S3Answers()
        let server = EmulatorServer(threads: 1)
        try server.start(routes: routes)
        defer { server.stop() }
        let host = PluginHost(locations: [.init(path: TestSupport.binDirectory, onlyConnectorPrefixed: true)])
        let session = try Session(
            plugin: try #require(host.plugin(named: "s3")),
            config: [
                "provider": .string("other"), "endpoint": .string("http://127.0.0.1:\(server.port)"),
                "access_key_id": .string("AKID"), "secret_access_key": .string("wrong-secret"),
            ])
        defer { session.close() }
        routes.mode = .badSecret
        do {
            try session.list("bucket") { _ in }
            Issue.record("a refused signature listed")
        } catch let error as ConnectorError {
            #expect(error.code == .auth && error.message.contains("secret access key is wrong"), "\(error)")
            #expect(!error.message.contains("wrong-secret"))
        }
        #expect(routes.requests == 1, "no retry storm: \(routes.requests) requests")

        routes.mode = .skewed(by: 3600)
        routes.requests = 0
        var names: [String] = []
        try session.list("bucket") { names.append($0.path) }
        #expect(names == ["bucket/a.txt"])
        #expect(routes.requests == 2, "one refusal, one request signed with the server's time")

        // SlowDown: RATE_LIMITED with a real pause for the engine's pacer, not an instant retry.
        routes.mode = .slowDown
        do {
            try session.list("bucket") { _ in }
            Issue.record("a SlowDown listed")
        } catch let error as ConnectorError {
            #expect(error.code == .rateLimited && error.retryAfterMilliseconds >= 1000, "\(error)")
        }
    }
}

/// Answers like S3's for the error paths moto does not have: every request refused for its
/// signature, or refused once for a clock an hour off and then answered when signed in time.
final class S3Answers: EmulatorRoutes, @unchecked Sendable {
    enum Mode {
        case badSecret
        case skewed(by: TimeInterval)
        case slowDown
    }
    private let lock = NSLock()
    private var _mode = Mode.badSecret
    private var _requests = 0
    var mode: Mode {
        get { lock.withLock { _mode } }
        set { lock.withLock { _mode = newValue } }
    }
    var requests: Int {
        get { lock.withLock { _requests } }
        set { lock.withLock { _requests = newValue } }
    }

    func bodySink(for request: EmulatorRequest) -> BodySink? { nil }

    func handle(_ request: EmulatorRequest) -> EmulatorResponse {
        lock.lock()
        _requests += 1
        let mode = _mode
        lock.unlock()
        func error(_ status: Int, _ code: String, headers: [(String, String)] = []) -> EmulatorResponse {
            let xml =
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>\(code)</Code><Message>refused</Message></Error>"
            return EmulatorResponse(
                status: status, headers: headers + [("Content-Type", "application/xml")], body: .bytes(Array(xml.utf8)))
        }
        switch mode {
        case .badSecret:
            return error(403, "SignatureDoesNotMatch")
        case .slowDown:
            return error(503, "SlowDown")
        case .skewed(let offset):
            let serverNow = Date().addingTimeInterval(offset)
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.timeZone = TimeZone(identifier: "GMT")
            formatter.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
            let signed = request.header("x-amz-date").flatMap { formatter.date(from: $0) }
            guard let signed, abs(signed.timeIntervalSince(serverNow)) < 900 else {
                formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
                return error(403, "RequestTimeTooSkewed", headers: [("Date", formatter.string(from: serverNow))])
            }
            let xml = """
                <?xml version="1.0" encoding="UTF-8"?><ListBucketResult><Name>bucket</Name><KeyCount>1</KeyCount>\
                <IsTruncated>false</IsTruncated><Contents><Key>a.txt</Key><Size>1</Size><ETag>"0cc175b9c0f1b6a831c399e269772661"</ETag>\
                </Contents></ListBucketResult>
                """
            return EmulatorResponse(status: 200, body: .bytes(Array(xml.utf8)))
        }
    }
}
