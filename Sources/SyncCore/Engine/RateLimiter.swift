import Foundation
import SyncHost

/// A token bucket shared by every transfer of a run: `consume` sleeps the calling (transfer) thread
/// as long as needed to keep the total rate at or under the limit, allowing one second of burst.
final class RateLimiter: @unchecked Sendable {
    private let bytesPerSecond: Double
    private var available: Double
    private var last: Double
    private let lock = NSLock()

    init(bytesPerSecond: Int64) {
        self.bytesPerSecond = Double(max(1, bytesPerSecond))
        available = self.bytesPerSecond
        last = RateLimiter.now()
    }

    static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    func consume(_ bytes: Int) {
        lock.lock()
        let now = RateLimiter.now()
        available = min(bytesPerSecond, available + (now - last) * bytesPerSecond)
        last = now
        available -= Double(bytes)
        let wait = available < 0 ? -available / bytesPerSecond : 0
        lock.unlock()
        if wait > 0 { Thread.sleep(forTimeInterval: wait) }
    }
}
