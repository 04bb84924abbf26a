import Foundation

/// Where per-user files live: an explicit environment variable, else the XDG base folder, else
/// its conventional place under HOME.
enum UserPaths {
    static func file(
        override variable: String, xdg: String, fallback: String, name: String,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) -> String {
        if let path = environment[variable], !path.isEmpty { return path }
        let base =
            environment[xdg].flatMap { $0.isEmpty ? nil : $0 }
            ?? ((environment["HOME"] ?? NSHomeDirectory()) + "/" + fallback)
        return base + "/sync-core/" + name
    }
}
