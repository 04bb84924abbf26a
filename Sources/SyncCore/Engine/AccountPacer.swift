import Foundation

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

/// AUTH on one side of a run: the session is re-opened once (a refreshed token), and if the account
/// still refuses, its remaining work fails at once with advice instead of a retry storm.
final class AuthGuard: @unchecked Sendable {
    private let lock = NSLock()
    private var reopened = false
    private(set) var refusal: ConnectorError?
    let account: String

    init(account: String) { self.account = account }

    var failed: ConnectorError? {
        lock.lock()
        defer { lock.unlock() }
        return refusal
    }

    /// After AUTH from a call that started on `generation`: true to try again, false when the
    /// account is given up (then `failed` says why).
    func handle(_ error: ConnectorError, session: Session, generation: Int) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        if refusal != nil { return false }
        if session.generation != generation { return true }  // another transfer re-opened it already
        if !reopened {
            reopened = true
            do {
                try session.reopen(ifGeneration: generation)
                return true
            } catch {
                refusal = ConnectorError(
                    .auth, "\(account): could not re-open the session after an authentication failure: \(error)")
                return false
            }
        }
        refusal = ConnectorError(
            .auth,
            "\(account): credentials refused again after re-opening the session (\(error.message)); re-authorize the account with: sync-core account add \(account.replacingOccurrences(of: ":", with: " "))"
        )
        return false
    }
}
