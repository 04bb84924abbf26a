import Foundation
import SyncABI
import Testing

@testable import SyncCore
@testable import SyncHost

/// A bad plugin never crashes the host and never hides the good ones: each gets one line naming
/// the file and the reason.
@Suite struct PluginHostTests {
    /// (file name, compile-time defines, expected fragment of the reason)
    static let broken: [(String, [String], String)] = [
        ("libnoentry.so", ["FIXTURE_NO_ENTRY", "FIXTURE_NAME=\"noentry\""], "no sync_connector_entry symbol"),
        ("libnull.so", ["FIXTURE_RETURN_NULL"], "returned NULL"),
        (
            "libnewer.so", ["FIXTURE_ABI_MAJOR=2", "FIXTURE_NAME=\"newer\""],
            "built for ABI 2.0, newer than this host's ABI 1.4"
        ),
        (
            "libolder.so", ["FIXTURE_ABI_MAJOR=0", "FIXTURE_NAME=\"older\""],
            "built for ABI 0.0, older than this host's ABI 1.4"
        ),
        (
            "libsmall.so", ["FIXTURE_STRUCT_SIZE=40", "FIXTURE_NAME=\"small\""],
            "struct_size 40 is smaller than ABI 1.0's 104"
        ),
        ("libsmallops.so", ["FIXTURE_OPS_SIZE=64", "FIXTURE_NAME=\"smallops\""], "function table struct_size 64"),
        ("libmagic.so", ["FIXTURE_MAGIC=0x12345678", "FIXTURE_NAME=\"magic\""], "bad magic 0x12345678"),
        ("libptr.so", ["FIXTURE_POINTER_SIZE=4", "FIXTURE_NAME=\"ptr\""], "built for 32-bit pointers"),
        ("libnoread.so", ["FIXTURE_NO_READ", "FIXTURE_NAME=\"noread\""], "lacks required operations: read"),
        ("libbadname.so", ["FIXTURE_NAME=\"Bad Name\""], "connector name 'Bad Name' is invalid"),
        ("libschema.so", ["FIXTURE_BAD_SCHEMA", "FIXTURE_NAME=\"schema\""], "options schema is invalid"),
        ("libdup2.so", ["FIXTURE_NAME=\"dup\""], "skipped: connector 'dup' is already provided by"),
    ]

    /// Builds the good and broken fixtures into a fresh folder.
    static func buildFixtures() throws -> String {
        let dir = TestSupport.temporaryDirectory("plugins")
        let source = TestSupport.fixtures + "/fixture_connector.c"
        for (file, defines, _) in broken {
            try TestSupport.compileSharedObject(
                sources: [source], output: dir + "/" + file, includeDirectories: [TestSupport.headerDirectory],
                defines: defines)
        }
        // Valid ones: a plain good plugin, and the first claimant of the duplicated name.
        try TestSupport.compileSharedObject(
            sources: [source], output: dir + "/libgood.so", includeDirectories: [TestSupport.headerDirectory],
            defines: ["FIXTURE_NAME=\"good\""])
        try TestSupport.compileSharedObject(
            sources: [source], output: dir + "/libdup1.so", includeDirectories: [TestSupport.headerDirectory],
            defines: ["FIXTURE_NAME=\"dup\""])
        // Built against ABI 1.0: a function table without the 1.1 slots still loads.
        try TestSupport.compileSharedObject(
            sources: [source], output: dir + "/libold.so", includeDirectories: [TestSupport.headerDirectory],
            defines: ["FIXTURE_NAME=\"old\"", "FIXTURE_OPS_SIZE=200"])
        try "this is not an ELF file\n".write(toFile: dir + "/libjunk.so", atomically: true, encoding: .utf8)
        try Data(repeating: 0, count: 10).write(to: URL(fileURLWithPath: dir + "/libempty.so"))
        return dir
    }

    @Test func everyBrokenPluginIsReportedAndGoodOnesLoad() throws {
        let dir = try Self.buildFixtures()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let host = PluginHost(locations: [
            .init(path: dir), .init(path: TestSupport.binDirectory, onlyConnectorPrefixed: true),
        ])
        let (plugins, problems) = host.loadAll()
        let names = Set(plugins.map(\.name))
        #expect(names.isSuperset(of: ["good", "dup", "old", "local", "cdir"]), "loaded: \(names.sorted())")
        #expect(plugins.first { $0.name == "old" }?.canAuthorize == false)
        #expect(plugins.first { $0.name == "dup" }?.file.hasSuffix("libdup1.so") == true)
        let expectations =
            Self.broken.map { ($0.0, $0.2) } + [
                ("libjunk.so", "not a loadable shared object"), ("libempty.so", "not a loadable shared object"),
            ]
        for (file, fragment) in expectations {
            let found = problems.filter { $0.file.hasSuffix("/" + file) }
            #expect(found.count == 1, "\(file): \(found)")
            if let problem = found.first {
                #expect(problem.reason.contains(fragment), "\(file): \(problem.reason)")
                #expect(!problem.description.contains("\n"))
            }
        }
        #expect(problems.count == expectations.count, "\(problems)")
    }

    @Test func cliListsGoodPluginsAndOneLinePerBadOne() throws {
        let dir = try Self.buildFixtures()
        let home = TestSupport.temporaryDirectory("home")
        defer {
            try? FileManager.default.removeItem(atPath: dir)
            try? FileManager.default.removeItem(atPath: home)
        }
        let out = try TestSupport.cli(["plugins"], home: home, environment: ["SYNC_CORE_PLUGIN_PATH": dir])
        #expect(out.status == 0)
        for name in ["local", "cdir", "good", "dup"] {
            #expect(
                out.stdout.split(separator: "\n").contains { $0.hasPrefix(name + " ") },
                "missing \(name) in:\n\(out.stdout)")
        }
        let warnings = out.stderr.split(separator: "\n")
        #expect(warnings.count == Self.broken.count + 2, "\(out.stderr)")
        #expect(warnings.allSatisfy { $0.hasPrefix("sync-core: warning: plugin \(dir)/lib") })

        let json = try TestSupport.cli(["plugins", "--json"], home: home, environment: ["SYNC_CORE_PLUGIN_PATH": dir])
        let object = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        let listed = (object?["plugins"] as? [[String: Any]])?.compactMap { $0["name"] as? String } ?? []
        #expect(Set(listed).isSuperset(of: ["local", "cdir", "good", "dup"]))
        #expect((object?["problems"] as? [Any])?.count == Self.broken.count + 2)
        let local = (object?["plugins"] as? [[String: Any]])?.first { $0["name"] as? String == "local" }
        #expect(local?["abi"] as? String == "1.4")
        #expect((local?["hashes"] as? [String])?.contains("md5") == true)
    }

    @Test func searchPathOrder() {
        let locations = PluginHost.standardLocations(environment: [
            "SYNC_CORE_PLUGIN_PATH": "/a:/b::", "HOME": "/home/u",
        ])
        #expect(locations.map(\.path).prefix(3) == ["/a", "/b", "/home/u/.local/lib/sync-core/plugins"])
        #expect(locations.last?.onlyConnectorPrefixed == true)
        #expect(locations.dropLast().last?.path.hasSuffix("/../lib/sync-core/plugins") == true)
    }

    @Test func loadingAFileDirectly() throws {
        #expect(throws: PluginProblem.self) { try PluginHost.load(file: "/nonexistent/lib.so") }
        let local = try PluginHost.load(file: TestSupport.binDirectory + "/libSyncConnectorLocal.so")
        #expect(local.name == "local")
        #expect(local.options.map(\.name) == ["root"])
    }

    /// ConnectorKit writes the options schema by hand and the host decodes it: every field of an
    /// option survives, defaults of each type, secrets, and help text with quotes and '$'.
    @Test func optionsSchemasSurviveTheTripThroughTheABI() throws {
        let sftp = try PluginHost.load(file: TestSupport.binDirectory + "/libSyncConnectorSFTP.so")
        let byName = Dictionary(uniqueKeysWithValues: sftp.options.map { ($0.name, $0) })
        #expect(byName["host"]?.required == true)
        #expect(byName["host"]?.type == .string)
        #expect(byName["port"]?.defaultValue == .int(22))
        #expect(byName["use_agent"]?.defaultValue == .bool(true))
        #expect(byName["known_hosts"]?.type == .path)
        #expect(byName["known_hosts"]?.defaultValue == .string("~/.ssh/known_hosts"))
        #expect(byName["password"]?.secret == true)
        #expect(byName["user"]?.secret == false)
        #expect(byName["use_agent"]?.help == "Try the keys of ssh-agent ($SSH_AUTH_SOCK)")
        #expect(sftp.options.first?.name == "host", "options keep the connector's order")

        #expect(JSONText.quoted("a\"b\\c\n\t\u{1}\u{7F}é✓") == #""a\"b\\c\n\t\u0001\u007Fé✓""#)
        let written = JSONText.object([("name", JSONText.quoted("x\"y")), ("required", "true"), ("default", "7")])
        let specs = try OptionSpec.parseSchema("[\(written)]")
        #expect(
            specs == [
                OptionSpec(name: "x\"y", type: .string, required: true, secret: false, defaultValue: .int(7), help: "")
            ])
        // Fields of the wrong JSON type, or no name, make the schema invalid.
        #expect(throws: (any Error).self) { try OptionSpec.parseSchema(#"[{"name":"x","required":"yes"}]"#) }
        #expect(throws: (any Error).self) { try OptionSpec.parseSchema(#"[{"type":"int"}]"#) }
        #expect(throws: (any Error).self) { try OptionSpec.parseSchema(#"{"name":"x"}"#) }
        #expect(try OptionSpec.parseSchema("[]").isEmpty)
    }
}
