import Foundation
import SyncHost
import Synchronization

/// Live counters of a run, updated by the transfer threads and read by a display.
public final class TransferProgress: Sendable {
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

    /// The counters, and the files in flight by path.
    private let state = Mutex<(counts: Snapshot, active: [String: Active])>((Snapshot(), [:]))
    private let started = Date()

    public init() {}

    func queued(bytes: Int64?) {
        state.withLock {
            $0.counts.filesQueued += 1
            $0.counts.bytesQueued += bytes ?? 0
        }
    }

    func begin(_ path: String, total: Int64?) {
        state.withLock { $0.active[path] = Active(path: path, done: 0, total: total) }
    }

    func advance(_ path: String, by bytes: Int64) {
        state.withLock {
            $0.counts.bytesDone += bytes
            $0.active[path]?.done += bytes
        }
    }

    /// A file is done (or failed): its bytes stay counted only if it succeeded.
    func end(_ path: String, succeeded: Bool) {
        state.withLock {
            if let a = $0.active.removeValue(forKey: path), !succeeded { $0.counts.bytesDone -= a.done }
            $0.counts.filesDone += 1
        }
    }

    public func snapshot() -> Snapshot {
        var s = state.withLock { state in
            var s = state.counts
            s.active = state.active.values.sorted { $0.path < $1.path }
            return s
        }
        s.elapsed = Date().timeIntervalSince(started)
        return s
    }
}
