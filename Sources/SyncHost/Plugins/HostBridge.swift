import CSyncConnector
import Foundation
import Synchronization

/// What the host does with a session's callbacks. One per session; thread-safe.
public final class HostServices: Sendable {
    public typealias LogHandler = @Sendable (_ level: LogLevel, _ message: String) -> Void
    public typealias CredentialsHandler = @Sendable (_ changes: [String: OptionValue]) -> Void
    public typealias ProgressHandler = @Sendable (_ what: String, _ done: Int64, _ total: Int64) -> Void
    /// Shows a message to the person at the terminal.
    public typealias TellHandler = @Sendable (_ message: String) -> Void
    /// Asks that person; nil when nobody can answer (no terminal).
    public typealias AskHandler = @Sendable (_ question: String, _ secret: Bool) -> String?

    public enum LogLevel: Int32, Sendable, Comparable {
        case error = 1
        case warn, info, debug
        public static func < (a: LogLevel, b: LogLevel) -> Bool { a.rawValue < b.rawValue }
    }

    /// The host's log: connectors write to it through their session, the engine directly.
    public let log: LogHandler
    let credentialsChanged: CredentialsHandler
    let progress: ProgressHandler
    let tell: TellHandler
    let ask: AskHandler
    private let cancelled = Atomic<Bool>(false)

    public init(
        log: @escaping LogHandler = HostServices.stderrLog(upTo: .warn),
        credentialsChanged: @escaping CredentialsHandler = { _ in },
        progress: @escaping ProgressHandler = { _, _, _ in },
        tell: @escaping TellHandler = { FileHandle.standardError.write(Data("\($0)\n".utf8)) },
        ask: @escaping AskHandler = { _, _ in nil }
    ) {
        self.log = log
        self.credentialsChanged = credentialsChanged
        self.progress = progress
        self.tell = tell
        self.ask = ask
    }

    public func cancel() { cancelled.store(true, ordering: .relaxed) }
    public var isCancelled: Bool { cancelled.load(ordering: .relaxed) || Interruption.requested }

    public static func stderrLog(upTo maxLevel: LogLevel) -> LogHandler {
        { level, message in
            guard level <= maxLevel else { return }
            let tag = ["", "error", "warning", "info", "debug"][Int(level.rawValue)]
            FileHandle.standardError.write(Data("sync-core: \(tag): \(message)\n".utf8))
        }
    }

    /// Builds the C table handed to open(); the caller owns (and frees) the allocation and keeps
    /// `self` alive at least as long.
    func makeCTable() -> UnsafeMutablePointer<sc_host> {
        let table = UnsafeMutablePointer<sc_host>.allocate(capacity: 1)
        table.initialize(
            to: sc_host(
                struct_size: UInt32(MemoryLayout<sc_host>.size),
                abi_minor: UInt32(SC_ABI_MINOR),
                ctx: Unmanaged.passUnretained(self).toOpaque(),
                log: { ctx, level, message in
                    guard let ctx, let message else { return }
                    let services = Unmanaged<HostServices>.fromOpaque(ctx).takeUnretainedValue()
                    services.log(LogLevel(rawValue: level) ?? .info, String(cString: message))
                },
                is_cancelled: { ctx in
                    guard let ctx else { return 0 }
                    return Unmanaged<HostServices>.fromOpaque(ctx).takeUnretainedValue().isCancelled ? 1 : 0
                },
                progress: { ctx, what, done, total in
                    guard let ctx else { return }
                    let services = Unmanaged<HostServices>.fromOpaque(ctx).takeUnretainedValue()
                    services.progress(what.map { String(cString: $0) } ?? "", done, total)
                },
                credentials_changed: { ctx, json in
                    guard let ctx, let json else { return }
                    let services = Unmanaged<HostServices>.fromOpaque(ctx).takeUnretainedValue()
                    guard let object = try? JSONSerialization.jsonObject(with: Data(String(cString: json).utf8)),
                        let dict = object as? [String: Any]
                    else {
                        services.log(.warn, "connector sent malformed credentials update; ignored")
                        return
                    }
                    services.credentialsChanged(dict.compactMapValues { OptionValue(json: $0) })
                },
                tell_user: { ctx, message in
                    guard let ctx, let message else { return }
                    Unmanaged<HostServices>.fromOpaque(ctx).takeUnretainedValue().tell(String(cString: message))
                },
                ask_user: { ctx, question, secret, answer, capacity in
                    guard let ctx, let question, let answer, capacity > 0 else { return SC_ERR_INVALID_ARGUMENT }
                    let services = Unmanaged<HostServices>.fromOpaque(ctx).takeUnretainedValue()
                    guard let reply = services.ask(String(cString: question), secret != 0) else {
                        return SC_ERR_UNSUPPORTED
                    }
                    if reply.isEmpty { return SC_ERR_CANCELLED }
                    let bytes = Array(reply.utf8)
                    guard bytes.count < capacity else { return SC_ERR_INVALID_ARGUMENT }
                    UnsafeMutableRawPointer(answer).copyMemory(from: bytes, byteCount: bytes.count)
                    answer[bytes.count] = 0
                    return SC_OK
                }
            ))
        return table
    }
}
