import SyncHost

/// Account settings that belong to the host, not to the connector: they live in the account's
/// table beside the connector's options and are never passed to the connector.
public enum HostAccountOptions {
    /// At most this many transfers use the account at once (the run's `--transfers` is the width).
    public static let maxTransfers = "max_transfers"

    public static let names: Set<String> = [maxTransfers]

    public static let help: [String: String] = [
        maxTransfers: "at most this many transfers at once on this account (whatever the run's --transfers)"
    ]

    /// Parses a value given as text (`--set max_transfers=2`).
    public static func parse(_ name: String, _ text: String) throws(ConfigError) -> OptionValue {
        guard let n = Int64(text.trimmingCharacters(in: .whitespaces)), n >= 1, n <= 256 else {
            throw ConfigError("option '\(name)' must be a whole number from 1 to 256, got '\(text)'")
        }
        return .int(n)
    }

    /// The account's transfer limit, if it sets one.
    public static func maxTransfers(in options: [String: OptionValue]) throws(ConfigError) -> Int? {
        guard let value = options[maxTransfers] else { return nil }
        guard case .int(let n) = value, n >= 1, n <= 256 else {
            throw ConfigError("option '\(maxTransfers)' must be a whole number from 1 to 256")
        }
        return Int(n)
    }
}
