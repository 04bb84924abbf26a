import Foundation
import SyncHost
import Synchronization

/// Shared by every transfer that talks to one account: when the account says "slow down"
/// (RATE_LIMITED with a retry-after), every worker waits out the pause before its next call,
/// instead of each one finding out by failing on its own.
final class AccountPacer: Sendable {
    /// Monotonic seconds at which the account may be called again.
    private let resumeAt = Mutex(0.0)

    /// Records a server-requested pause of `seconds` from now.
    func pause(for seconds: Double) {
        guard seconds > 0 else { return }
        resumeAt.withLock { $0 = max($0, RateLimiter.now() + seconds) }
    }

    /// Sleeps until the account's pause (if any) is over.
    func wait() {
        let left = resumeAt.withLock { $0 } - RateLimiter.now()
        if left > 0 { Thread.sleep(forTimeInterval: left) }
    }
}
