import Foundation
import Synchronization

/// Finds and loads connectors. Search order (first provider of a name wins; later ones are reported):
/// 1. `$SYNC_CORE_PLUGIN_PATH` — colon-separated folders (every `*.so` in them) or files;
/// 2. `~/.local/lib/sync-core/plugins`;
/// 3. the built-in folders: `<exe dir>/../lib/sync-core/plugins` (an installed tree) and the
///    executable's own folder (a build tree), where only `libSyncConnector*.so` are taken.
public final class PluginHost: Sendable {
    public struct Location: Sendable, Equatable {
        public var path: String
        /// In a build folder only files named libSyncConnector*.so are connectors.
        public var onlyConnectorPrefixed: Bool
        public init(path: String, onlyConnectorPrefixed: Bool = false) {
            self.path = path
            self.onlyConnectorPrefixed = onlyConnectorPrefixed
        }
    }

    public let locations: [Location]
    /// What discovery found, once it ran (nil before the first `loadAll`).
    private let found = Mutex<(plugins: [Plugin], problems: [PluginProblem])?>(nil)

    public init(locations: [Location]) { self.locations = locations }

    /// The standard search path for this process and environment.
    public static func standardLocations(environment: [String: String] = ProcessInfo.processInfo.environment)
        -> [Location]
    {
        var result: [Location] = []
        if let path = environment["SYNC_CORE_PLUGIN_PATH"] {
            for part in path.split(separator: ":") where !part.isEmpty {
                result.append(Location(path: String(part)))
            }
        }
        if let home = environment["HOME"], !home.isEmpty {
            result.append(Location(path: home + "/.local/lib/sync-core/plugins"))
        }
        let exeDir = executableDirectory()
        result.append(Location(path: exeDir + "/../lib/sync-core/plugins"))
        result.append(Location(path: exeDir, onlyConnectorPrefixed: true))
        return result
    }

    public static func standard() -> PluginHost { PluginHost(locations: standardLocations()) }

    static func executableDirectory() -> String {
        let exe =
            (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
            ?? CommandLine.arguments[0]
        return (exe as NSString).deletingLastPathComponent
    }

    /// Loads every plugin once; later calls return the same result.
    @discardableResult
    public func loadAll() -> (plugins: [Plugin], problems: [PluginProblem]) {
        found.withLock { found in
            if let found { return found }
            let discovered = discover()
            found = discovered
            return discovered
        }
    }

    public func plugin(named name: String) -> Plugin? {
        loadAll().plugins.first { $0.name == name }
    }

    private func discover() -> (plugins: [Plugin], problems: [PluginProblem]) {
        var plugins: [Plugin] = []
        var problems: [PluginProblem] = []
        var seenFiles = Set<String>()
        var byName: [String: Plugin] = [:]
        for file in candidateFiles() {
            let real = (file as NSString).resolvingSymlinksInPath
            guard seenFiles.insert(real).inserted else { continue }
            do {
                let plugin = try PluginLoader.load(real)
                if let first = byName[plugin.name] {
                    problems.append(
                        PluginProblem(
                            file: real,
                            reason: "skipped: connector '\(plugin.name)' is already provided by \(first.file)"))
                    continue
                }
                byName[plugin.name] = plugin
                plugins.append(plugin)
            } catch {
                problems.append(error)
            }
        }
        return (plugins, problems)
    }

    private func candidateFiles() -> [String] {
        let fm = FileManager.default
        var files: [String] = []
        for location in locations {
            var isDir: ObjCBool = false
            guard fm.fileExists(atPath: location.path, isDirectory: &isDir) else { continue }
            if !isDir.boolValue {
                files.append(location.path)
                continue
            }
            let names = ((try? fm.contentsOfDirectory(atPath: location.path)) ?? []).sorted()
            for name in names where name.hasSuffix(".so") {
                if location.onlyConnectorPrefixed && !name.hasPrefix("libSyncConnector") { continue }
                files.append(location.path + "/" + name)
            }
        }
        return files
    }
}

extension PluginHost {
    /// Loads one file directly (for `sync-core plugin test PATH`), with the same checks as discovery.
    public static func load(file: String) throws(PluginProblem) -> Plugin {
        try PluginLoader.load((file as NSString).resolvingSymlinksInPath)
    }
}
