import Foundation
import SyncConformance
import SyncHost
import Testing

/// The shared conformance suite, run against every connector in this repository.
@Suite struct ConformanceTests {
    static let host = PluginHost(locations: [.init(path: TestSupport.binDirectory, onlyConnectorPrefixed: true)])

    static func session(_ name: String, root: String) throws -> Session {
        let plugin = try #require(host.plugin(named: name), "connector \(name) not built")
        return try Session(plugin: plugin, config: ["root": .string(root)])
    }

    /// Each run in a process of its own (`sync-core plugin test`): the suite's memory check reads the
    /// process's resident size, which tests running beside it in this process would inflate.
    @Test(arguments: [
        ("local", Set(["reader-entry", "remove-many"])),
        ("cdir", Set(["copy", "resume", "reader-entry", "remove-many"])),
    ])
    func suitePasses(connector: String, expectedSkips: Set<String>) throws {
        let root = TestSupport.temporaryDirectory("conf-\(connector)")
        let home = TestSupport.temporaryDirectory("conf-home")
        defer {
            try? FileManager.default.removeItem(atPath: root)
            try? FileManager.default.removeItem(atPath: home)
        }
        let session = try Self.session(connector, root: root)
        let total = ConformanceSuite(session: session, scratch: ConformanceSuite.scratchName()).checkNames.count
        session.close()
        let run = try TestSupport.cli(["plugin", "test", connector, "--set", "root=\(root)"], home: home)
        #expect(run.status == 0, "\(connector): \(run.stdout)\(run.stderr)")
        #expect(
            run.stdout.contains("\(total - expectedSkips.count) passed, 0 failed, \(expectedSkips.count) skipped"),
            "\(run.stdout)")
        let skipped = Set(
            run.stdout.split(separator: "\n").filter { $0.contains(" skip ") }.compactMap {
                $0.split(separator: " ").first.map(String.init)
            })
        #expect(skipped == expectedSkips, "\(run.stdout)")
        // The suite cleans up after itself.
        #expect(try FileManager.default.contentsOfDirectory(atPath: root).isEmpty)
    }

    @Test func cliRunsTheSuiteAndFailsOnAFailure() throws {
        let root = TestSupport.temporaryDirectory("conf-cli")
        let home = TestSupport.temporaryDirectory("home")
        defer {
            try? FileManager.default.removeItem(atPath: root)
            try? FileManager.default.removeItem(atPath: home)
        }
        let ok = try TestSupport.cli(
            ["plugin", "test", "cdir", "--set", "root=\(root)", "--check", "list", "--check", "names"], home: home)
        #expect(ok.status == 0, "\(ok.stdout)\(ok.stderr)")
        #expect(ok.stdout.contains("2 passed, 0 failed, 0 skipped"))
        // A scratch folder that cannot be created is a failure, reported in the table, exit 1.
        try "x".write(toFile: root + "/file", atomically: true, encoding: .utf8)
        let bad = try TestSupport.cli(
            ["plugin", "test", TestSupport.binDirectory + "/libSyncConnectorCDir.so", "--set", "root=\(root)/file"],
            home: home)
        #expect(bad.status != 0)
        #expect(bad.stderr.contains("root is not a folder"), "\(bad.stderr)")
    }

    @Test func aCapabilityBitWithoutItsCallFailsTheSuite() throws {
        let root = TestSupport.temporaryDirectory("conf-lie")
        let plugins = TestSupport.temporaryDirectory("conf-lie-plugin")
        let home = TestSupport.temporaryDirectory("home")
        defer {
            for dir in [root, plugins, home] { try? FileManager.default.removeItem(atPath: dir) }
        }
        let dir = try TestSupport.buildFaultyConnector(in: plugins)
        var env = ["SYNC_CORE_PLUGIN_PATH": dir]
        let honest = try TestSupport.cli(
            ["plugin", "test", "faulty", "--set", "root=\(root)", "--check", "descriptor"], home: home, environment: env
        )
        #expect(honest.status == 0, "\(honest.stdout)\(honest.stderr)")
        // server-copy declared, no copy() behind it.
        env["FAULTY_CLAIM_COPY"] = "1"
        let lying = try TestSupport.cli(
            ["plugin", "test", "faulty", "--set", "root=\(root)", "--check", "descriptor"], home: home, environment: env
        )
        #expect(lying.status != 0)
        #expect(lying.stdout.contains("declares server-copy but has no copy()"), "\(lying.stdout)\(lying.stderr)")
    }
}

/// Behaviour particular to the local connector: the root is a wall.
@Suite struct LocalConnectorTests {
    @Test func symlinksOutOfTheRootAreNotFollowed() throws {
        let outside = TestSupport.temporaryDirectory("outside")
        let root = TestSupport.temporaryDirectory("root")
        defer {
            try? FileManager.default.removeItem(atPath: outside)
            try? FileManager.default.removeItem(atPath: root)
        }
        try "secret".write(toFile: outside + "/secret.txt", atomically: true, encoding: .utf8)
        try "inside".write(toFile: root + "/inside.txt", atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: root + "/escape", withDestinationPath: outside)
        try FileManager.default.createSymbolicLink(
            atPath: root + "/escape.txt", withDestinationPath: outside + "/secret.txt")
        try FileManager.default.createSymbolicLink(
            atPath: root + "/alias.txt", withDestinationPath: root + "/inside.txt")
        final class Lines: @unchecked Sendable {
            let lock = NSLock()
            var lines: [String] = []
            func add(_ line: String) {
                lock.lock()
                lines.append(line)
                lock.unlock()
            }
        }
        let logged = Lines()
        let plugin = try #require(ConformanceTests.host.plugin(named: "local"))
        let session = try Session(
            plugin: plugin, config: ["root": .string(root)],
            services: HostServices(log: { _, m in logged.add(m) }))
        defer { session.close() }
        var names: [String] = []
        try session.list("") { names.append($0.path) }
        #expect(names.sorted() == ["alias.txt", "inside.txt"])
        #expect(logged.lines.filter { $0.contains("leads outside the root") }.count == 2, "\(logged.lines)")
        for path in ["escape/secret.txt", "escape.txt", "escape"] {
            #expect(throws: ConnectorError.self) { _ = try session.openReader(path) }
            do {
                _ = try session.stat(path)
                Issue.record("stat of \(path) succeeded")
            } catch let e as ConnectorError {
                #expect(e.code == .invalidArgument, "\(path): \(e)")
            }
        }
        // Writing through a link that leaves the root is refused and creates nothing outside.
        do {
            let w = try session.openWriter("escape/new.txt", options: .init(size: 1))
            w.abort()
            Issue.record("write through an escaping link was accepted")
        } catch let e as ConnectorError {
            #expect(e.code == .invalidArgument)
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: outside) == ["secret.txt"])
        // Links that stay inside the root work, for reading and as a folder written through.
        let alias = try session.openReader("alias.txt")
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 64, alignment: 8)
        defer { buffer.deallocate() }
        #expect(try alias.read(into: buffer) == 6)
        alias.close()
        try FileManager.default.createDirectory(atPath: root + "/sub", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: root + "/inner", withDestinationPath: root + "/sub")
        let w = try session.openWriter("inner/new.txt", options: .init(size: 1))
        try Array("x".utf8).withUnsafeBytes { try w.write($0) }
        _ = try w.finish()
        #expect(FileManager.default.fileExists(atPath: root + "/sub/new.txt"))
        // Missing folders are made on the way; a file where a folder should be is an error.
        let deep = try session.openWriter("made/on/the-way.txt", options: .init(size: 1))
        try Array("y".utf8).withUnsafeBytes { try deep.write($0) }
        _ = try deep.finish()
        #expect(FileManager.default.fileExists(atPath: root + "/made/on/the-way.txt"))
        #expect(throws: ConnectorError.self) { _ = try session.openWriter("inside.txt/x", options: .init(size: 1)) }
        #expect(try String(contentsOfFile: root + "/inside.txt", encoding: .utf8) == "inside")
    }

    @Test func rootMustBeAnAbsoluteFolder() throws {
        let plugin = try #require(ConformanceTests.host.plugin(named: "local"))
        for (root, code) in [("relative/path", ErrorCode.invalidArgument), ("/nonexistent-\(UUID())", .notFound)] {
            do {
                _ = try Session(plugin: plugin, config: ["root": .string(root)])
                Issue.record("opened root \(root)")
            } catch let e as ConnectorError {
                #expect(e.code == code, "\(root): \(e)")
            }
        }
    }

    @Test func partialFilesAreHiddenAndResumable() throws {
        let root = TestSupport.temporaryDirectory("partial")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let session = try ConformanceTests.session("local", root: root)
        defer { session.close() }
        var token: String?
        let w = try session.openWriter(
            "dir/big.bin", options: .init(size: 10 << 20, onResumeToken: { t, _ in token = t }))
        // Nine 1 MiB writes: the checkpoint confirms 8 MiB; the ninth is past it and will be cut off.
        let chunk = [UInt8](repeating: 7, count: 1 << 20)
        for _ in 0..<9 { try chunk.withUnsafeBytes { try w.write($0) } }
        w.suspend()
        let onDisk = try FileManager.default.contentsOfDirectory(atPath: root + "/dir")
        #expect(onDisk == [".big.bin.sc-partial"], "\(onDisk)")
        var listed: [String] = []
        try session.list("dir") { listed.append($0.path) }
        #expect(listed.isEmpty)
        #expect(try session.statIfExists("dir/big.bin") == nil)
        let resumed = try session.openWriter("dir/big.bin", options: .init(size: 10 << 20, resumeToken: token))
        #expect(resumed.startOffset == 8 << 20)
        let rest = [UInt8](repeating: 7, count: 2 << 20)
        try rest.withUnsafeBytes { try resumed.write($0) }
        #expect(try resumed.finish().size == 10 << 20)
        #expect(try FileManager.default.contentsOfDirectory(atPath: root + "/dir") == ["big.bin"])
        // A token for a partial file that is gone starts over instead of failing.
        let fresh = try session.openWriter("dir/other.bin", options: .init(size: 1, resumeToken: token))
        #expect(fresh.startOffset == 0)
        fresh.abort()
        // What a killed run left behind is replaced by a fresh write, never appended to, and a
        // small file (written unnamed) removes it once a listing of its folder has met it.
        try "stale bytes".write(toFile: root + "/dir/.x.txt.sc-partial", atomically: false, encoding: .utf8)
        try session.list("dir") { _ in }
        let x = try session.openWriter("dir/x.txt", options: .init(size: 5))
        try Array("hello".utf8).withUnsafeBytes { try x.write($0) }
        _ = try x.finish()
        #expect(try String(contentsOfFile: root + "/dir/x.txt", encoding: .utf8) == "hello")
        #expect(!FileManager.default.fileExists(atPath: root + "/dir/.x.txt.sc-partial"))
    }

    /// Small new files are written unnamed (O_TMPFILE) and linked on finish: nothing shows in the
    /// folder before that, an abort leaves nothing, and a file that appears meanwhile is kept
    /// unless the write replaces.
    @Test func smallFilesHaveNoNameUntilTheyAreWhole() throws {
        let root = TestSupport.temporaryDirectory("unnamed")
        defer { try? FileManager.default.removeItem(atPath: root) }
        try FileManager.default.createDirectory(atPath: root + "/dir", withIntermediateDirectories: true)
        let session = try ConformanceTests.session("local", root: root)
        defer { session.close() }
        func contents() throws -> [String] {
            try FileManager.default.contentsOfDirectory(atPath: root + "/dir").sorted()
        }
        func write(_ w: Session.Writer, _ text: String) throws {
            try Array(text.utf8).withUnsafeBytes { try w.write($0) }
        }
        var tokens = 0
        let w = try session.openWriter(
            "dir/a.txt",
            options: .init(
                size: 5, mtimeNanoseconds: 1_600_000_000_000_000_000,
                onResumeToken: { _, _ in
                    tokens += 1
                }))
        try write(w, "hello")
        #expect(try contents().isEmpty, "nothing is visible before finish")
        let entry = try w.finish()
        #expect(entry.size == 5 && entry.mtimeNanoseconds == 1_600_000_000_000_000_000)
        #expect(try contents() == ["a.txt"])
        #expect(try String(contentsOfFile: root + "/dir/a.txt", encoding: .utf8) == "hello")
        #expect(tokens == 0, "a file that cannot be resumed gets no resume token")

        let aborted = try session.openWriter("dir/b.txt", options: .init(size: 3))
        try write(aborted, "abc")
        aborted.abort()
        #expect(try contents() == ["a.txt"])

        // Appeared while writing: kept, and the write fails.
        let late = try session.openWriter("dir/c.txt", options: .init(size: 4))
        try write(late, "mine")
        try "theirs".write(toFile: root + "/dir/c.txt", atomically: false, encoding: .utf8)
        #expect(throws: ConnectorError.self) { _ = try late.finish() }
        #expect(try String(contentsOfFile: root + "/dir/c.txt", encoding: .utf8) == "theirs")
        #expect(try contents() == ["a.txt", "c.txt"])

        // Appeared while replacing: replaced, through the partial file's name, which is gone after.
        let replacing = try session.openWriter("dir/d.txt", options: .init(size: 3, replace: true))
        try write(replacing, "new")
        try "old".write(toFile: root + "/dir/d.txt", atomically: false, encoding: .utf8)
        _ = try replacing.finish()
        #expect(try String(contentsOfFile: root + "/dir/d.txt", encoding: .utf8) == "new")
        #expect(try contents() == ["a.txt", "c.txt", "d.txt"])

        // Into a folder that does not exist yet.
        let deep = try session.openWriter("dir/new/e.txt", options: .init(size: 1))
        try write(deep, "e")
        _ = try deep.finish()
        #expect(try String(contentsOfFile: root + "/dir/new/e.txt", encoding: .utf8) == "e")
    }
}
