import Foundation

/// Where per-user files live: an explicit environment variable, else the XDG base folder, else
/// its conventional place under HOME.
public enum UserPaths {
    public static func file(
        override variable: String, xdg: String, fallback: String, name: String,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) -> String {
        if let path = environment[variable], !path.isEmpty { return path }
        let base =
            environment[xdg].flatMap { $0.isEmpty ? nil : $0 }
            ?? ((environment["HOME"] ?? NSHomeDirectory()) + "/" + fallback)
        return base + "/sync-core/" + name
    }

    /// Creates the folder that will hold `path`, readable by its owner only (0700) when created.
    public static func createPrivateFolder(for path: String, what: String) throws(ConfigError) {
        let dir = (path as NSString).deletingLastPathComponent
        do {
            try FileManager.default.createDirectory(
                atPath: dir.isEmpty ? "." : dir, withIntermediateDirectories: true,
                attributes: [.posixPermissions: 0o700])
        } catch {
            throw ConfigError("cannot create the \(what) folder \(dir): \(error.localizedDescription)")
        }
    }
}
