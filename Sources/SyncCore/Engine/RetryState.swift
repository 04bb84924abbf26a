import SyncHost

/// One operation's tries so far: how many, and since when it has been failing.
struct RetryState {
    let policy: RetryPolicy
    private(set) var attempt = 1
    private var firstFailure: Double?
    /// The try after a look found the account answering was made.
    private var triedAfterAnswer = false

    init(_ policy: RetryPolicy) { self.policy = policy }

    /// Counts a failure and says whether another try is allowed: always within `attempts`; past
    /// them, for a failure that may pass (`waitable`), while the account's outage is younger than
    /// the budget: nothing answered since this operation first failed (`lastAnswer`, monotonic
    /// seconds) and `accountAnswers` (a look at the account, asked only then) says it still does
    /// not. When the look finds it answering, one more try is made, and that one is the last.
    mutating func another(lastAnswer: Double, waitable: Bool, accountAnswers: () -> Bool) -> Bool {
        let now = RateLimiter.now()
        let since = firstFailure ?? now
        firstFailure = since
        defer { attempt += 1 }
        if attempt < policy.attempts { return true }
        guard waitable, lastAnswer <= since, now - lastAnswer < policy.budget, !triedAfterAnswer else { return false }
        // An account that answers the look now may just have come back: one more try tells.
        if accountAnswers() { triedAfterAnswer = true }
        return true
    }
}
