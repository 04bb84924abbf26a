import ArgumentParser
import SyncConfig
import SyncHost

/// Options every command that touches accounts shares.
struct GlobalOptions: ParsableArguments {
    @Option(
        name: .customLong("config"),
        help: "Accounts file (default: $SYNC_CORE_CONFIG or ~/.config/sync-core/config.toml).")
    var configPath: String?

    @Option(
        name: .customLong("state"),
        help: "State database (default: $SYNC_CORE_STATE or ~/.local/state/sync-core/state.db).")
    var statePath: String?

    @Flag(name: .shortAndLong, help: "Log connector messages down to debug level.")
    var verbose = false

    func loadConfig() throws -> ConfigStore {
        let store = try ConfigStore(path: configPath ?? ConfigStore.defaultPath())
        store.warnings.forEach(printWarning)
        return store
    }

    func resolver() throws -> RemoteResolver {
        let host = PluginHost.standard()
        return RemoteResolver(
            plugins: host, config: try loadConfig(), log: HostServices.stderrLog(upTo: verbose ? .debug : .warn))
    }
}
