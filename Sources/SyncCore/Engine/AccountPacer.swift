import Foundation
import SyncHost

/// Shared by every transfer that talks to one account: when the account says "slow down"
/// (RATE_LIMITED with a retry-after), every worker waits out the pause before its next call,
/// instead of each one finding out by failing on its own.
final class AccountPacer: @unchecked Sendable {
    private var resumeAt = 0.0
    private let lock = NSLock()

    /// Records a server-requested pause of `seconds` from now.
    func pause(for seconds: Double) {
        guard seconds > 0 else { return }
        lock.lock()
        resumeAt = max(resumeAt, RateLimiter.now() + seconds)
        lock.unlock()
    }

    /// Sleeps until the account's pause (if any) is over.
    func wait() {
        lock.lock()
        let left = resumeAt - RateLimiter.now()
        lock.unlock()
        if left > 0 { Thread.sleep(forTimeInterval: left) }
    }
}
