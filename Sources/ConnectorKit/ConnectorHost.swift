import CSyncConnector
import Foundation

/// The host's services, as a connector session sees them. Thread-safe.
// Unchecked: it holds the host's C table, whose callbacks the ABI requires to be thread-safe.
public final class ConnectorHost: @unchecked Sendable {
    public enum LogLevel: Int32 {
        case error = 1
        case warn, info, debug
    }

    private let table: UnsafePointer<sc_host>?

    init(_ table: UnsafePointer<sc_host>?) { self.table = table }

    /// A host for connectors used outside a sync-core process (tests of the connector itself).
    public static let detached = ConnectorHost(nil)

    /// Logs one line. Never pass credentials.
    public func log(_ level: LogLevel, _ message: String) {
        guard let t = table?.pointee, let log = t.log else { return }
        message.withCString { log(t.ctx, level.rawValue, $0) }
    }

    public var isCancelled: Bool {
        guard let t = table?.pointee, let check = t.is_cancelled else { return false }
        return check(t.ctx) != 0
    }

    /// Throws CANCELLED when the host asked to stop.
    public func checkCancelled() throws {
        if isCancelled { throw ConnectorFailure(.cancelled, "cancelled by the host") }
    }

    public func progress(_ what: String, done: Int64, total: Int64) {
        guard let t = table?.pointee, let progress = t.progress else { return }
        what.withCString { progress(t.ctx, $0, done, total) }
    }

    /// Whether the host's table has the ABI 1.1 fields (it may be an older host's, and shorter).
    private var hasMinor1: Bool {
        guard let t = table?.pointee else { return false }
        return Int(t.struct_size) >= MemoryLayout<sc_host>.offset(of: \.ask_user)! + MemoryLayout<UnsafeRawPointer>.size
    }

    /// Shows a message to the person running the host (never filtered, unlike log). An older host
    /// gets it as a warning-level log line. Never pass credentials.
    public func tellUser(_ message: String) {
        if hasMinor1, let t = table?.pointee, let tell = t.tell_user {
            message.withCString { tell(t.ctx, $0) }
        } else {
            log(.warn, message)
        }
    }

    /// Asks the person running the host; nil when nobody can answer (no terminal, an older host)
    /// or they answered nothing.
    public func askUser(_ question: String, secret: Bool) -> String? {
        guard hasMinor1, let t = table?.pointee, let ask = t.ask_user else { return nil }
        var buffer = [CChar](repeating: 0, count: 8192)
        let code = question.withCString { q in
            buffer.withUnsafeMutableBufferPointer { ask(t.ctx, q, secret ? 1 : 0, $0.baseAddress, $0.count) }
        }
        guard code == SC_OK else { return nil }
        let answer = buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }.trimmingCharacters(
            in: .whitespacesAndNewlines)
        return answer.isEmpty ? nil : answer
    }

    /// Hands refreshed credentials (option name → new value) to the host, which persists them.
    public func credentialsChanged(_ changes: [String: Any]) {
        guard let t = table?.pointee, let changed = t.credentials_changed,
            let data = try? JSONSerialization.data(withJSONObject: changes, options: [.sortedKeys])
        else { return }
        String(decoding: data, as: UTF8.self).withCString { changed(t.ctx, $0) }
    }
}

/// An account's options as handed to `Connector.init`.
public struct ConnectorConfig {
    public let values: [String: Any]

    public init(values: [String: Any]) { self.values = values }

    init(json: String) throws {
        guard let object = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any] else {
            throw ConnectorFailure(.invalidArgument, "configuration is not a JSON object")
        }
        values = object
    }

    public func string(_ name: String) -> String? { values[name] as? String }
    public func int(_ name: String) -> Int64? { (values[name] as? NSNumber)?.int64Value }
    public func bool(_ name: String) -> Bool? { (values[name] as? NSNumber)?.boolValue }

    public func requireString(_ name: String) throws -> String {
        guard let value = string(name), !value.isEmpty else {
            throw ConnectorFailure(.invalidArgument, "option '\(name)' is required")
        }
        return value
    }
}
