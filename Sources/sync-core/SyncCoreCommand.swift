import ArgumentParser

@main
struct SyncCoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sync-core",
        abstract: "Move and sync whole trees between cloud accounts through loadable connectors.",
        discussion: """
            Remotes are CONNECTOR:ACCOUNT[/path] (accounts live in the config file), local:/path, \
            or a plain local path.
            Exit codes: 0 success; 1 an operation failed; 2 bad input or configuration.
            """,
        version: "0.1.0",
        subcommands: [
            CopyCommand.self, SyncCommand.self, MigrateCommand.self, MoveCommand.self, CheckCommand.self,
            FetchCommand.self, HistoryCommand.self, PluginsCommand.self, PluginCommand.self,
            ListCommand.self, CatCommand.self, AccountCommand.self,
        ]
    )
}
