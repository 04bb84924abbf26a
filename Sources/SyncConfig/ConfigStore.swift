import Foundation
import SyncABI
import SyncHost
import Synchronization
import TOMLKit

/// One configured account: `[CONNECTOR.NAME]` in the config file.
public struct Account: Sendable, Equatable {
    public var connector: String
    public var name: String
    public var options: [String: OptionValue]

    public init(connector: String, name: String, options: [String: OptionValue]) {
        self.connector = connector
        self.name = name
        self.options = options
    }
}

/// The accounts file (TOML, mode 0600). Every write replaces the file atomically.
public final class ConfigStore: Sendable {
    public let path: String
    /// Held through a save, so concurrent changes (tokens refreshed by two sessions) are applied
    /// one after the other to what the file holds, and none is lost.
    private let stored: Mutex<[Account]>
    public var accounts: [Account] { stored.withLock { $0 } }
    /// Said once per load when the file is readable by others.
    public let warnings: [String]

    /// `--config PATH`, else `$SYNC_CORE_CONFIG`, else `~/.config/sync-core/config.toml`.
    public static func defaultPath(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        UserPaths.file(
            override: "SYNC_CORE_CONFIG", xdg: "XDG_CONFIG_HOME", fallback: ".config", name: "config.toml",
            environment: environment)
    }

    /// Loads the file; a missing file is an empty configuration.
    public init(path: String) throws(ConfigError) {
        self.path = path
        guard FileManager.default.fileExists(atPath: path) else {
            stored = Mutex([])
            warnings = []
            return
        }
        var st = stat()
        warnings =
            lstat(path, &st) == 0 && st.st_mode & 0o077 != 0
            ? [
                String(
                    format: "config file %@ is readable by other users (mode %o); run: chmod 600 %@", path,
                    st.st_mode & 0o777, path)
            ] : []
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ConfigError("cannot read config file \(path): \(error.localizedDescription)")
        }
        stored = Mutex(try ConfigStore.parse(text, file: path))
    }

    static func parse(_ text: String, file: String) throws(ConfigError) -> [Account] {
        let table: TOMLTable
        do {
            table = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            throw ConfigError("config file \(file): line \(error.source.begin.line): \(error.description)")
        } catch {
            throw ConfigError("config file \(file): \(error)")
        }
        var result: [Account] = []
        for (connector, value) in table {
            guard let accountsTable = value.table else {
                throw ConfigError(
                    "config file \(file): '\(connector)' must be a table of accounts, like [\(connector).NAME]")
            }
            for (name, accountValue) in accountsTable {
                guard let optionsTable = accountValue.table else {
                    throw ConfigError(
                        "config file \(file): '\(connector).\(name)' must be a table, like [\(connector).\(name)]")
                }
                var options: [String: OptionValue] = [:]
                for (key, raw) in optionsTable {
                    if let s = raw.string {
                        options[key] = .string(s)
                    } else if let i = raw.int {
                        options[key] = .int(Int64(i))
                    } else if let b = raw.bool {
                        options[key] = .bool(b)
                    } else {
                        throw ConfigError(
                            "config file \(file): [\(connector).\(name)] option '\(key)' must be a string, integer or boolean"
                        )
                    }
                }
                result.append(Account(connector: connector, name: name, options: options))
            }
        }
        return result.sorted { ($0.connector, $0.name) < ($1.connector, $1.name) }
    }

    public func account(connector: String, name: String) -> Account? {
        stored.withLock { $0.first { $0.connector == connector && $0.name == name } }
    }

    /// Adds or replaces an account and saves.
    public func put(_ account: Account) throws(ConfigError) {
        _ = try change { accounts in
            accounts.removeAll { $0.connector == account.connector && $0.name == account.name }
            accounts.append(account)
            accounts.sort { ($0.connector, $0.name) < ($1.connector, $1.name) }
            return true
        }
    }

    /// Merges changed options (refreshed tokens) into an account and saves.
    public func update(connector: String, name: String, changes: [String: OptionValue]) throws(ConfigError) {
        let found = try change { accounts in
            guard let i = accounts.firstIndex(where: { $0.connector == connector && $0.name == name }) else {
                return false
            }
            accounts[i].options.merge(changes) { _, new in new }
            return true
        }
        guard found else { throw ConfigError("no account \(connector):\(name) to update in \(path)") }
    }

    @discardableResult
    public func remove(connector: String, name: String) throws(ConfigError) -> Bool {
        try change { accounts in
            let before = accounts.count
            accounts.removeAll { $0.connector == connector && $0.name == name }
            return accounts.count != before
        }
    }

    /// Applies `edit` to the accounts and saves them when it says it changed something (true); the
    /// accounts in memory change only once the file was written.
    private func change(_ edit: (inout [Account]) -> Bool) throws(ConfigError) -> Bool {
        try stored.withLock { (accounts) throws(ConfigError) -> Bool in
            var next = accounts
            guard edit(&next) else { return false }
            try save(next)
            accounts = next
            return true
        }
    }

    static func render(_ accounts: [Account]) -> String {
        var out = "# sync-core accounts. Holds secrets: keep this file mode 0600.\n"
        for account in accounts {
            out += "\n[\(tomlKey(account.connector)).\(tomlKey(account.name))]\n"
            for key in account.options.keys.sorted() {
                let value: String
                switch account.options[key]! {
                case .string(let s): value = tomlString(s)
                case .int(let i): value = String(i)
                case .bool(let b): value = String(b)
                }
                out += "\(tomlKey(key)) = \(value)\n"
            }
        }
        return out
    }

    static func tomlKey(_ key: String) -> String {
        let bare =
            !key.isEmpty
            && key.unicodeScalars.allSatisfy {
                ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "_"
                    || $0 == "-"
            }
        return bare ? key : tomlString(key)
    }

    /// A TOML basic string: the same escapes as JSON's.
    static func tomlString(_ s: String) -> String { JSONText.quoted(s) }

    /// Writes a 0600 temporary file beside the config and renames it over: never a half-written
    /// config, never a moment when the secrets are readable by others.
    private func save(_ accounts: [Account]) throws(ConfigError) {
        try UserPaths.createPrivateFolder(for: path, what: "config")
        let temp = path + ".tmp-\(getpid())"
        let fd = open(temp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw ConfigError("cannot write config file \(temp): \(String(cString: strerror(errno)))")
        }
        let bytes = Array(ConfigStore.render(accounts).utf8)
        var ok = fchmod(fd, 0o600) == 0
        var offset = 0
        while ok && offset < bytes.count {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + offset, bytes.count - offset) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { ok = false } else { offset += n }
        }
        let err = errno
        ok = ok && fsync(fd) == 0
        close(fd)
        guard ok, rename(temp, path) == 0 else {
            unlink(temp)
            throw ConfigError("cannot write config file \(path): \(String(cString: strerror(err != 0 ? err : errno)))")
        }
    }
}
