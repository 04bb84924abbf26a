import Foundation
import SyncHost

/// Live counters of a run, updated by the transfer threads and read by a display.
public final class TransferProgress: @unchecked Sendable {
    public struct Active: Sendable {
        public var path: String
        public var done: Int64
        public var total: Int64?
    }

    public struct Snapshot: Sendable {
        public var filesQueued = 0
        public var filesDone = 0
        public var bytesQueued: Int64 = 0
        public var bytesDone: Int64 = 0
        public var elapsed = 0.0
        public var active: [Active] = []

        /// Bytes per second over the run so far.
        public var rate: Double { elapsed > 0 ? Double(bytesDone) / elapsed : 0 }
        /// Seconds left for what is queued so far (the march may still add more).
        public var eta: Double? {
            guard rate > 0, bytesQueued >= bytesDone else { return nil }
            return Double(bytesQueued - bytesDone) / rate
        }
    }

    private let lock = NSLock()
    private var state = Snapshot()
    private var active: [String: Active] = [:]
    private let started = Date()

    public init() {}

    func queued(bytes: Int64?) {
        lock.lock()
        state.filesQueued += 1
        state.bytesQueued += bytes ?? 0
        lock.unlock()
    }

    func begin(_ path: String, total: Int64?) {
        lock.lock()
        active[path] = Active(path: path, done: 0, total: total)
        lock.unlock()
    }

    func advance(_ path: String, by bytes: Int64) {
        lock.lock()
        state.bytesDone += bytes
        active[path]?.done += bytes
        lock.unlock()
    }

    /// A file is done (or failed): its bytes stay counted only if it succeeded.
    func end(_ path: String, succeeded: Bool) {
        lock.lock()
        if let a = active.removeValue(forKey: path), !succeeded { state.bytesDone -= a.done }
        state.filesDone += 1
        lock.unlock()
    }

    public func snapshot() -> Snapshot {
        lock.lock()
        defer { lock.unlock() }
        var s = state
        s.elapsed = Date().timeIntervalSince(started)
        s.active = active.values.sorted { $0.path < $1.path }
        return s
    }
}
