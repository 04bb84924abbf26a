import ConnectorKit
import Foundation

/// An account's options, read and checked once when the session opens.
struct SFTPSettings {
    var host: String
    var port: Int
    var user: String
    var keyFile: String?
    var keyPassphrase: String?
    var password: String?
    var useAgent: Bool
    var knownHosts: String
    var hostKeyFingerprint: String?
    var acceptNewHostKey: Bool
    var root: String
    var remoteHashes: Bool
    var connectTimeoutMilliseconds: Int32
    var timeoutMilliseconds: Int
    var idleTimeout: TimeInterval

    /// How the server is named in messages: never with credentials.
    var label: String { "\(user)@\(host):\(port)" }
    /// The host as known_hosts names it: `[host]:port` unless the port is 22.
    var knownHostsName: String { port == 22 ? host : "[\(host)]:\(port)" }

    init(config: ConnectorConfig) throws {
        host = try config.requireString("host")
        guard !host.contains(where: { $0 == "/" || $0 == " " || $0 == "\0" }) else {
            throw ConnectorFailure(.invalidArgument, "sftp: host '\(host)' is not a host name or address")
        }
        let port = config.int("port") ?? 22
        guard (1...65535).contains(port) else {
            throw ConnectorFailure(.invalidArgument, "sftp: port \(port) is not between 1 and 65535")
        }
        self.port = Int(port)
        user = config.string("user").flatMap { $0.isEmpty ? nil : $0 } ?? SFTPSettings.currentUser()
        let home = FileManager.default.homeDirectoryForCurrentUser.path
        func expanded(_ path: String?) -> String? {
            guard let path, !path.isEmpty else { return nil }
            return path.hasPrefix("~/") ? home + path.dropFirst(1) : path
        }
        keyFile = expanded(config.string("key_file"))
        keyPassphrase = config.string("key_passphrase").flatMap { $0.isEmpty ? nil : $0 }
        password = config.string("password").flatMap { $0.isEmpty ? nil : $0 }
        useAgent = config.bool("use_agent") ?? true
        knownHosts = expanded(config.string("known_hosts")) ?? home + "/.ssh/known_hosts"
        hostKeyFingerprint = config.string("host_key_fingerprint").flatMap { $0.isEmpty ? nil : $0 }
        if let pin = hostKeyFingerprint, !pin.hasPrefix("SHA256:") {
            throw ConnectorFailure(
                .invalidArgument, "sftp: host_key_fingerprint must look like SHA256:… (as `ssh-keygen -lf` prints it)")
        }
        acceptNewHostKey = config.bool("accept_new_host_key") ?? false
        var root = config.string("root") ?? ""
        while root.count > 1 && root.hasSuffix("/") { root.removeLast() }
        self.root = root
        remoteHashes = config.bool("remote_hashes") ?? true
        connectTimeoutMilliseconds = Int32(min(max(1, config.int("connect_timeout") ?? 15), 600) * 1000)
        timeoutMilliseconds = Int(min(max(1, config.int("timeout") ?? 60), 3600) * 1000)
        idleTimeout = TimeInterval(max(1, config.int("idle_timeout") ?? 60))
    }

    private static func currentUser() -> String {
        if let pw = getpwuid(geteuid()), let name = pw.pointee.pw_name { return String(cString: name) }
        return ProcessInfo.processInfo.environment["USER"] ?? "root"
    }
}
