import Foundation
import SyncHost

/// Where a command reads or writes: `CONNECTOR:ACCOUNT[/path]`, `local:/abs/path`, or a bare local
/// path. `path` is relative to the account root, '/'-separated, without leading/trailing '/'.
public struct RemoteSpec: Sendable, Equatable, CustomStringConvertible {
    public var connector: String
    /// nil for an ad-hoc local path (no account in the config).
    public var account: String?
    public var path: String

    public init(connector: String, account: String?, path: String) {
        self.connector = connector
        self.account = account
        self.path = path
    }

    public var description: String {
        guard let account else { return "\(connector):/\(path)" }
        return path.isEmpty ? "\(connector):\(account)" : "\(connector):\(account)/\(path)"
    }

    static let grammar = "expected CONNECTOR:ACCOUNT[/path], local:/path or a local path"

    /// Parses a spec. Relative bare paths are made absolute against `currentDirectory`.
    public static func parse(_ text: String, currentDirectory: String = FileManager.default.currentDirectoryPath)
        throws(ConfigError) -> RemoteSpec
    {
        guard !text.isEmpty else { throw ConfigError("empty remote: \(grammar)") }
        if text.utf8.contains(0) { throw ConfigError("remote contains a NUL byte: \(grammar)") }
        let colon = text.firstIndex(of: ":")
        let slash = text.firstIndex(of: "/")
        // A bare path: no colon, or a '/' before the first colon (./a:b, /x/y:z).
        if colon == nil || (slash != nil && slash! < colon!) {
            // The user's own shell path: '.' and '..' mean what a shell means by them.
            let absolute = text.hasPrefix("/") ? text : currentDirectory + "/" + text
            return RemoteSpec(connector: "local", account: nil, path: resolveDots(absolute))
        }
        let connector = String(text[..<colon!])
        let rest = text[text.index(after: colon!)...]
        guard PluginLoader.isValidConnectorName(connector) else {
            throw ConfigError("malformed remote '\(text)': connector name '\(connector)' is invalid; \(grammar)")
        }
        if rest.hasPrefix("/") {
            guard connector == "local" else {
                throw ConfigError("malformed remote '\(text)': missing account name after '\(connector):'; \(grammar)")
            }
            return RemoteSpec(connector: "local", account: nil, path: try clean(String(rest), original: text))
        }
        let accountEnd = rest.firstIndex(of: "/") ?? rest.endIndex
        let account = String(rest[..<accountEnd])
        guard !account.isEmpty else {
            throw ConfigError("malformed remote '\(text)': missing account name after '\(connector):'; \(grammar)")
        }
        guard isValidAccountName(account) else {
            throw ConfigError(
                "malformed remote '\(text)': account name '\(account)' may use only letters, digits, '_', '-' and '.'")
        }
        return RemoteSpec(
            connector: connector, account: account, path: try clean(String(rest[accountEnd...]), original: text))
    }

    public static func isValidAccountName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= 128 && name != "." && name != ".."
            && name.unicodeScalars.allSatisfy {
                ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0)
                    || $0 == "_" || $0 == "-" || $0 == "."
            }
    }

    /// Lexical resolution of '.' and '..' ('..' at the top stays at the top, as in a shell).
    static func resolveDots(_ path: String) -> String {
        var parts: [Substring] = []
        for segment in path.split(separator: "/", omittingEmptySubsequences: true) {
            if segment == "." { continue }
            if segment == ".." {
                _ = parts.popLast()
                continue
            }
            parts.append(segment)
        }
        return parts.joined(separator: "/")
    }

    /// Drops empty segments; refuses `.` and `..` so a spec can never climb out of its root.
    static func clean(_ path: String, original: String) throws(ConfigError) -> String {
        var parts: [Substring] = []
        for segment in path.split(separator: "/", omittingEmptySubsequences: true) {
            if segment == "." || segment == ".." {
                throw ConfigError("malformed remote '\(original)': '.' and '..' are not allowed in remote paths")
            }
            parts.append(segment)
        }
        return parts.joined(separator: "/")
    }

    /// Joins a path below this spec's path.
    public func child(_ relative: String) -> String {
        if relative.isEmpty { return path }
        return path.isEmpty ? relative : path + "/" + relative
    }
}
