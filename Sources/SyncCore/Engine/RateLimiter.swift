import Foundation
import SyncHost
import Synchronization

/// A token bucket shared by every transfer of a run: `consume` sleeps the calling (transfer) thread
/// as long as needed to keep the total rate at or under the limit, allowing one second of burst.
final class RateLimiter: Sendable {
    private let bytesPerSecond: Double
    /// Bytes that may pass now (negative: owed), and when that was worked out.
    private let bucket: Mutex<(available: Double, last: Double)>

    init(bytesPerSecond: Int64) {
        self.bytesPerSecond = Double(max(1, bytesPerSecond))
        bucket = Mutex((self.bytesPerSecond, RateLimiter.now()))
    }

    static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    func consume(_ bytes: Int) {
        let wait = bucket.withLock { bucket in
            let now = RateLimiter.now()
            bucket.available = min(bytesPerSecond, bucket.available + (now - bucket.last) * bytesPerSecond)
            bucket.last = now
            bucket.available -= Double(bytes)
            return bucket.available < 0 ? -bucket.available / bytesPerSecond : 0
        }
        if wait > 0 { Thread.sleep(forTimeInterval: wait) }
    }
}
