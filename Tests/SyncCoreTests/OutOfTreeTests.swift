import Foundation
import Testing

/// A third party's path: install sync-core into a prefix, build a C connector outside this package
/// with the system compiler against the installed header only, and load it with the installed CLI.
@Suite struct OutOfTreeTests {
    @Test func cConnectorBuiltAgainstTheInstalledHeaderLoadsAndConforms() throws {
        let prefix = TestSupport.temporaryDirectory("prefix")
        let work = TestSupport.temporaryDirectory("third-party")
        let home = TestSupport.temporaryDirectory("home")
        let data = TestSupport.temporaryDirectory("data")
        defer {
            for dir in [prefix, work, home, data] { try? FileManager.default.removeItem(atPath: dir) }
        }
        let install = try TestSupport.run(
            TestSupport.packageRoot + "/scripts/install.sh", [prefix, TestSupport.binDirectory])
        #expect(install.status == 0, "\(install.stderr)")
        let header = prefix + "/include/sync-core/sync_connector.h"
        #expect(FileManager.default.fileExists(atPath: header))

        // The third party's folder: its own copy of the source and a header of its own that includes
        // the installed one; nothing from this package's include folders.
        try FileManager.default.copyItem(
            atPath: TestSupport.packageRoot + "/Plugins/CDir/cdir.c", toPath: work + "/extdir.c")
        try "#include <sync-core/sync_connector.h>\n".write(toFile: work + "/cdir.h", atomically: true, encoding: .utf8)
        try TestSupport.compileSharedObject(
            sources: [work + "/extdir.c"], output: work + "/libextdir.so",
            includeDirectories: [work, prefix + "/include"],
            defines: ["CDIR_CONNECTOR_NAME=\"extdir\""], libraries: ["z"])

        let cli = prefix + "/bin/sync-core"
        let env = ["HOME": home, "SYNC_CORE_PLUGIN_PATH": work]
        let plugins = try TestSupport.run(cli, ["plugins"], environment: env)
        #expect(plugins.status == 0, "\(plugins.stderr)")
        let lines = plugins.stdout.split(separator: "\n")
        // The installed CLI finds the installed built-in connectors with no configuration...
        #expect(
            lines.contains {
                $0.hasPrefix("local ") && $0.contains(prefix + "/lib/sync-core/plugins/libSyncConnectorLocal.so")
            }, "\(plugins.stdout)")
        #expect(lines.contains { $0.hasPrefix("cdir ") })
        // ...and the third-party one from the plugin path.
        #expect(lines.contains { $0.hasPrefix("extdir ") && $0.contains(work + "/libextdir.so") }, "\(plugins.stdout)")
        #expect(plugins.stderr.isEmpty, "\(plugins.stderr)")

        let conformance = try TestSupport.run(
            cli, ["plugin", "test", work + "/libextdir.so", "--set", "root=\(data)"], environment: env)
        #expect(conformance.status == 0, "\(conformance.stdout)\(conformance.stderr)")
        #expect(conformance.stdout.contains("0 failed"), "\(conformance.stdout)")

        try "via extdir".write(toFile: data + "/note.txt", atomically: true, encoding: .utf8)
        let add = try TestSupport.run(
            cli, ["account", "add", "extdir", "mine", "--set", "root=\(data)"], environment: env)
        #expect(add.status == 0, "\(add.stderr)")
        let cat = try TestSupport.run(cli, ["cat", "extdir:mine/note.txt"], environment: env)
        #expect(cat.stdout == "via extdir", "\(cat.stderr)")
    }
}
