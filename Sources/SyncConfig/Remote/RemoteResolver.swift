import Foundation
import SyncHost

/// Turns remote specs into open sessions: finds the connector, the account, validates its options
/// against the connector's schema, and opens it. Refreshed credentials are written back to the
/// config file.
public final class RemoteResolver: Sendable {
    public let plugins: PluginHost
    public let config: ConfigStore
    private let logHandler: HostServices.LogHandler

    public init(
        plugins: PluginHost, config: ConfigStore,
        log: @escaping HostServices.LogHandler = HostServices.stderrLog(upTo: .warn)
    ) {
        self.plugins = plugins
        self.config = config
        self.logHandler = log
    }

    public func plugin(named name: String) throws(ConfigError) -> Plugin {
        if let plugin = plugins.plugin(named: name) { return plugin }
        let known = plugins.loadAll().plugins.map(\.name).sorted().joined(separator: ", ")
        throw ConfigError(
            "no connector named '\(name)' is installed (installed: \(known.isEmpty ? "none" : known)); see: sync-core plugins"
        )
    }

    /// The effective options of a spec: its account's, or the ad-hoc local root.
    public func options(for spec: RemoteSpec, plugin: Plugin) throws(ConfigError) -> [String: OptionValue] {
        guard let accountName = spec.account else {
            return ["root": .string("/")]
        }
        guard let account = config.account(connector: spec.connector, name: accountName) else {
            let others = config.accounts.filter { $0.connector == spec.connector }.map(\.name)
            let hint = others.isEmpty ? "" : " (configured: \(others.joined(separator: ", ")))"
            throw ConfigError(
                "unknown account '\(spec.connector):\(accountName)' in \(config.path)\(hint); add it with: sync-core account add \(spec.connector) \(accountName)"
            )
        }
        return try OptionValidator.validated(account.options, for: plugin, account: "\(spec.connector):\(accountName)")
    }

    /// The transfer limit the spec's account sets (`max_transfers`), if any.
    public func transferLimit(for spec: RemoteSpec) throws(ConfigError) -> Int? {
        guard let name = spec.account, let account = config.account(connector: spec.connector, name: name) else {
            return nil
        }
        return try HostAccountOptions.maxTransfers(in: account.options)
    }

    /// Opens a session on `spec`'s account. A connector that connects as it opens (SFTP) may meet
    /// a temporary failure or a rate limit there, a run's very first request: that is retried as
    /// `retry` says, like every later call.
    public func open(_ spec: RemoteSpec, retry: RetryPolicy = RetryPolicy()) throws -> Session {
        var attempt = 1
        while true {
            do {
                return try openOnce(spec)
            } catch let error as ConnectorError
                where RetryPolicy.isRetryable(error.code) && error.code != .corrupt && attempt < retry.attempts
                && !Interruption.requested
            {
                Thread.sleep(forTimeInterval: retry.delay(after: error, attempt: attempt))
                attempt += 1
            }
        }
    }

    private func openOnce(_ spec: RemoteSpec) throws -> Session {
        let plugin = try plugin(named: spec.connector)
        let options = try options(for: spec, plugin: plugin)
        let store = config
        let services = HostServices(
            log: logHandler,
            credentialsChanged: { [logHandler] changes in
                guard let account = spec.account else { return }
                do {
                    try store.update(connector: spec.connector, name: account, changes: changes)
                } catch {
                    logHandler(.error, "could not save refreshed credentials of \(spec.connector):\(account): \(error)")
                }
            })
        do {
            // A re-opened session reads the account again: refreshed credentials were saved there.
            return try Session(
                plugin: plugin, config: options, services: services,
                reload: { [unowned self] in try self.options(for: spec, plugin: plugin) })
        } catch let error as ConnectorError {
            throw ConnectorError(
                error.code, "\(spec.connector):\(spec.account ?? ""): \(error.message)",
                httpStatus: error.httpStatus, retryAfterMilliseconds: error.retryAfterMilliseconds)
        }
    }
}

/// Checks options against a connector's schema and fills in defaults.
public enum OptionValidator {
    public static func validated(_ options: [String: OptionValue], for plugin: Plugin, account: String)
        throws(ConfigError)
        -> [String: OptionValue]
    {
        let specs = Dictionary(uniqueKeysWithValues: plugin.options.map { ($0.name, $0) })
        var result: [String: OptionValue] = [:]
        for (name, value) in options {
            if HostAccountOptions.names.contains(name) && specs[name] == nil {
                // The host's own setting: checked, and kept from the connector.
                _ = try HostAccountOptions.maxTransfers(in: [name: value])
                continue
            }
            guard let spec = specs[name] else {
                let known = plugin.options.map(\.name).joined(separator: ", ")
                throw ConfigError(
                    "account \(account): unknown option '\(name)' for connector '\(plugin.name)' (known: \(known.isEmpty ? "none" : known))"
                )
            }
            do {
                try spec.validate(value)
            } catch {
                throw ConfigError("account \(account): \(error)")
            }
            result[name] = value
        }
        for spec in plugin.options where result[spec.name] == nil {
            if let def = spec.defaultValue {
                result[spec.name] = def
            } else if spec.required {
                throw ConfigError("account \(account): required option '\(spec.name)' is missing (\(spec.help))")
            }
        }
        return result
    }
}
