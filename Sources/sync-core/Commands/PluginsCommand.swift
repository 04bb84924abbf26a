import ArgumentParser
import Foundation
import SyncHost

struct PluginsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plugins",
        abstract: "List the connectors found, and every file that could not be loaded and why.",
        discussion: """
            Search order: $SYNC_CORE_PLUGIN_PATH (colon-separated folders or files), \
            ~/.local/lib/sync-core/plugins, then the built-in folders. The first connector of a name wins.
            """)

    @Flag(help: "One JSON document for scripts.")
    var json = false

    func run() throws {
        let host = PluginHost.standard()
        let (plugins, problems) = host.loadAll()
        if json {
            let list: [[String: Any]] = plugins.map { p in
                [
                    "name": p.name, "version": p.version, "abi": "\(p.abiMajor).\(p.abiMinor)",
                    "description": p.summary, "capabilities": p.capabilities.names,
                    "operations": p.optionalOperations, "hashes": p.hashKinds.map(\.description),
                    "mtime_precision_ns": p.mtimePrecisionNanoseconds, "file": p.file,
                    "options": p.options.map {
                        [
                            "name": $0.name, "type": $0.type.rawValue, "required": $0.required, "secret": $0.secret,
                            "help": $0.help,
                        ]
                    },
                ]
            }
            let issues = problems.map { ["file": $0.file, "reason": $0.reason] }
            print(jsonString(["plugins": list, "problems": issues]))
            return
        }
        var table = TextTable(header: ["NAME", "VERSION", "ABI", "CAPABILITIES", "HASHES", "FILE"])
        for p in plugins {
            let caps = (p.capabilities.names + p.optionalOperations.filter { !["move", "copy"].contains($0) }).joined(
                separator: ",")
            table.rows.append([
                p.name, p.version, "\(p.abiMajor).\(p.abiMinor)", caps.isEmpty ? "-" : caps,
                p.hashKinds.isEmpty ? "-" : p.hashKinds.map(\.description).joined(separator: ","), p.file,
            ])
        }
        print(plugins.isEmpty ? "no connectors found" : table.render())
        for problem in problems { printWarning("plugin \(problem.file): \(problem.reason)") }
    }
}
