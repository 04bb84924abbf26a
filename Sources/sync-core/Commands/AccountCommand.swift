import ArgumentParser
import Foundation
import SyncConfig
import SyncHost

struct AccountCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "account", abstract: "Add, list, show and remove accounts.",
        subcommands: [Add.self, List.self, Show.self, Remove.self])

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add (or replace) an account.",
            discussion: """
                Options come from --set NAME=VALUE (never for secret options: command lines are visible \
                to other users), from the environment as SYNC_CORE_OPTION_<NAME>, from standard input \
                with --stdin (NAME=VALUE lines), or from a prompt when standard input is a terminal.
                """)

        @OptionGroup var global: GlobalOptions

        @Argument(help: "Connector name (see: sync-core plugins).")
        var connector: String

        @Argument(help: "Account name, used in remotes as CONNECTOR:NAME.")
        var name: String

        @Option(name: .customLong("set"), help: "A non-secret option, NAME=VALUE (repeatable).")
        var settings: [String] = []

        @Flag(help: "Read NAME=VALUE lines (secrets included) from standard input.")
        var stdin = false

        @Flag(help: "Save without opening a session to check the account.")
        var noCheck = false

        func run() throws {
            try reportingErrors {
                guard RemoteSpec.isValidAccountName(name) else {
                    throw ConfigError("account name '\(name)' may use only letters, digits, '_', '-' and '.'")
                }
                let resolver = try global.resolver()
                let plugin = try resolver.plugin(named: connector)
                let specs = Dictionary(uniqueKeysWithValues: plugin.options.map { ($0.name, $0) })
                func spec(_ option: String) throws -> OptionSpec {
                    guard let s = specs[option] else {
                        let known = plugin.options.map(\.name).joined(separator: ", ")
                        throw ConfigError(
                            "unknown option '\(option)' for connector '\(connector)' (known: \(known.isEmpty ? "none" : known))"
                        )
                    }
                    return s
                }
                var values: [String: OptionValue] = [:]
                for setting in settings {
                    guard let eq = setting.firstIndex(of: "=") else {
                        throw ConfigError("--set expects NAME=VALUE, got '\(setting)'")
                    }
                    let key = String(setting[..<eq])
                    if HostAccountOptions.names.contains(key) && specs[key] == nil {
                        values[key] = try HostAccountOptions.parse(key, String(setting[setting.index(after: eq)...]))
                        continue
                    }
                    let s = try spec(key)
                    if s.secret {
                        throw ConfigError(
                            "option '\(key)' is secret and may not be given on the command line; use the prompt, --stdin or \(optionEnvironmentName(key))"
                        )
                    }
                    values[key] = try s.parse(String(setting[setting.index(after: eq)...]))
                }
                let environment = ProcessInfo.processInfo.environment
                for s in plugin.options where values[s.name] == nil {
                    if let text = environment[optionEnvironmentName(s.name)] { values[s.name] = try s.parse(text) }
                }
                if stdin {
                    while let line = readLine(strippingNewline: true) {
                        let trimmed = line.trimmingCharacters(in: .whitespaces)
                        if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
                        guard let eq = line.firstIndex(of: "=") else {
                            throw ConfigError("standard input: expected NAME=VALUE lines")
                        }
                        let key = String(line[..<eq]).trimmingCharacters(in: .whitespaces)
                        values[key] = try spec(key).parse(String(line[line.index(after: eq)...]))
                    }
                } else if standardInputIsTerminal {
                    for s in plugin.options where values[s.name] == nil && s.required {
                        let prompt = "\(s.name) (\(s.help)): "
                        guard let text = s.secret ? promptSecret(prompt) : promptLine(prompt) else { break }
                        values[s.name] = try s.parse(text)
                    }
                }
                let account = "\(connector):\(name)"
                var validated = try OptionValidator.validated(values, for: plugin, account: account)
                if plugin.canAuthorize {
                    // The connector's own setup: an OAuth authorization, or asking for a token.
                    let interactive = standardInputIsTerminal && !stdin
                    let obtained = try plugin.authorize(
                        config: validated,
                        services: HostServices(
                            log: HostServices.stderrLog(upTo: global.verbose ? .debug : .warn),
                            tell: { FileHandle.standardError.write(Data("\($0)\n".utf8)) },
                            ask: { question, secret in
                                guard interactive else { return nil }
                                return secret ? promptSecret(question + ": ") : promptLine(question + ": ")
                            }))
                    values.merge(obtained) { $1 }
                    validated = try OptionValidator.validated(values, for: plugin, account: account)
                }
                if !noCheck {
                    let session = try Session(
                        plugin: plugin, config: validated,
                        services: HostServices(log: HostServices.stderrLog(upTo: .warn)))
                    session.close()
                }
                try resolver.config.put(Account(connector: connector, name: name, options: values))
                print("saved \(account) in \(resolver.config.path)")
            }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List configured accounts.")
        @OptionGroup var global: GlobalOptions
        @Flag(help: "One JSON object per account (options not included).")
        var json = false

        func run() throws {
            try reportingErrors {
                let config = try global.loadConfig()
                let host = PluginHost.standard()
                if json {
                    for a in config.accounts {
                        printJSONLine([
                            "connector": a.connector, "name": a.name,
                            "installed": host.plugin(named: a.connector) != nil,
                        ])
                    }
                    return
                }
                guard !config.accounts.isEmpty else {
                    print("no accounts in \(config.path); add one with: sync-core account add CONNECTOR NAME")
                    return
                }
                var table = TextTable(header: ["REMOTE", "CONNECTOR"])
                for a in config.accounts {
                    table.rows.append([
                        "\(a.connector):\(a.name)",
                        host.plugin(named: a.connector) == nil ? "\(a.connector) (not installed)" : a.connector,
                    ])
                }
                print(table.render())
            }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show an account's options, secrets masked.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "CONNECTOR:NAME") var account: String

        func run() throws {
            try reportingErrors {
                let (connector, name) = try parseAccount(account)
                let config = try global.loadConfig()
                guard let found = config.account(connector: connector, name: name) else {
                    throw ConfigError("unknown account '\(connector):\(name)' in \(config.path)")
                }
                let plugin = PluginHost.standard().plugin(named: connector)
                let secret = Set(plugin?.options.filter(\.secret).map(\.name) ?? [])
                print("[\(connector).\(name)]")
                for key in found.options.keys.sorted() {
                    // Without the connector we cannot know which options are secret: mask them all.
                    let masked = plugin == nil || secret.contains(key)
                    print("\(key) = \(masked ? "********" : found.options[key]!.description)")
                }
            }
        }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove an account from the config file.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "CONNECTOR:NAME") var account: String

        func run() throws {
            try reportingErrors {
                let (connector, name) = try parseAccount(account)
                let config = try global.loadConfig()
                guard try config.remove(connector: connector, name: name) else {
                    throw ConfigError("unknown account '\(connector):\(name)' in \(config.path)")
                }
                print("removed \(connector):\(name)")
            }
        }
    }
}

func parseAccount(_ text: String) throws -> (String, String) {
    let parts = text.split(separator: ":", maxSplits: 1).map(String.init)
    guard parts.count == 2, !parts[0].isEmpty, RemoteSpec.isValidAccountName(parts[1]) else {
        throw ConfigError("malformed account '\(text)': expected CONNECTOR:NAME")
    }
    return (parts[0], parts[1])
}
