import ArgumentParser
import Foundation
import SyncConfig
import SyncConformance
import SyncHost

struct PluginCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plugin", abstract: "Work with one connector.", subcommands: [Test.self])

    struct Test: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run the conformance suite against a connector.",
            discussion: """
                Runs every check in a new scratch folder below the account's root and removes it afterwards. \
                Options come from --account (an account of this connector in the config file), then \
                --set NAME=VALUE and SYNC_CORE_OPTION_<NAME> for secrets.
                """)

        @OptionGroup var global: GlobalOptions

        @Argument(help: "A connector name, or the path of a connector library (.so).")
        var plugin: String

        @Option(help: "Account of this connector to test against (its options are used).")
        var account: String?

        @Option(name: .customLong("set"), help: "A non-secret option, NAME=VALUE (repeatable).")
        var settings: [String] = []

        @Option(name: .customLong("check"), help: "Run only this check (repeatable).")
        var checks: [String] = []

        @Flag(help: "List the checks and exit.")
        var listChecks = false

        func run() throws {
            try reportingErrors {
                let loaded: Plugin
                if plugin.contains("/") || plugin.hasSuffix(".so") {
                    loaded = try PluginHost.load(file: plugin)
                } else {
                    loaded = try global.resolver().plugin(named: plugin)
                }
                var options: [String: OptionValue] = [:]
                if let account {
                    let config = try global.loadConfig()
                    guard let found = config.account(connector: loaded.name, name: account) else {
                        throw ConfigError("unknown account '\(loaded.name):\(account)' in \(config.path)")
                    }
                    options = found.options
                }
                let specs = Dictionary(uniqueKeysWithValues: loaded.options.map { ($0.name, $0) })
                for setting in settings {
                    guard let eq = setting.firstIndex(of: "="), let spec = specs[String(setting[..<eq])] else {
                        throw ConfigError(
                            "--set expects NAME=VALUE with an option of '\(loaded.name)', got '\(setting)'")
                    }
                    if spec.secret {
                        throw ConfigError(
                            "option '\(spec.name)' is secret; pass it as \(optionEnvironmentName(spec.name))")
                    }
                    options[spec.name] = try spec.parse(String(setting[setting.index(after: eq)...]))
                }
                let environment = ProcessInfo.processInfo.environment
                for spec in loaded.options where options[spec.name] == nil {
                    if let text = environment[optionEnvironmentName(spec.name)] {
                        options[spec.name] = try spec.parse(text)
                    }
                }
                let validated = try OptionValidator.validated(
                    options, for: loaded, account: "\(loaded.name) under test")
                let session = try Session(
                    plugin: loaded, config: validated,
                    services: HostServices(log: HostServices.stderrLog(upTo: global.verbose ? .debug : .error)))
                defer { session.close() }
                let suite = ConformanceSuite(session: session, scratch: ConformanceSuite.scratchName())
                if listChecks {
                    for name in suite.checkNames { print(name) }
                    return
                }
                let unknown = Set(checks).subtracting(suite.checkNames)
                guard unknown.isEmpty else {
                    throw ConfigError(
                        "unknown check(s): \(unknown.sorted().joined(separator: ", ")); see --list-checks")
                }
                print("conformance of \(loaded.name) \(loaded.version) (\(loaded.file))")
                var table = TextTable(header: ["CHECK", "RESULT", "TIME", "DETAIL"])
                let results = suite.run(only: checks.isEmpty ? nil : Set(checks))
                for r in results {
                    let outcome = r.failure != nil ? "FAIL" : (r.skipped != nil ? "skip" : "pass")
                    table.rows.append([
                        r.name, outcome, String(format: "%.2fs", r.seconds), r.failure ?? r.skipped ?? "",
                    ])
                }
                print(table.render())
                let failed = results.filter { !$0.passed }.count
                let skipped = results.filter { $0.skipped != nil }.count
                print("\(results.count - failed - skipped) passed, \(failed) failed, \(skipped) skipped")
                if failed > 0 { throw ExitCode(1) }
            }
        }
    }
}
