import Foundation
import Testing

@testable import SyncCore
@testable import SyncHost

/// When an operation is tried again: its attempts always; past them, only while its account is out
/// (nothing answered since the operation first failed) and not for longer than the budget.
@Suite struct RetryPolicyTests {
    var policy: RetryPolicy {
        var p = RetryPolicy()
        p.attempts = 3
        p.budget = 60
        return p
    }

    @Test func attemptsAreAlwaysGiven() {
        var state = RetryState(policy)
        // Even an account that answered a moment ago (others succeed): 3 tries in all, so 2 more.
        let now = RateLimiter.now()
        let verdicts = (0..<3).map { _ in state.another(lastAnswer: now + 1, waitable: true, accountAnswers: { false })
        }
        #expect(verdicts == [true, true, false], "a failure of its own while the account answers others")
    }

    @Test func pastItsAttemptsAnOperationAsksWhetherTheAccountAnswers() {
        // Nothing answered since the first failure: the account is looked at. It answers: one more
        // try, and a failure then is the operation's own; a bad copy never waits; an account that
        // does not answer is waited for.
        let before = RateLimiter.now() - 1
        var own = RetryState(policy)
        #expect(
            (0..<4).map { _ in own.another(lastAnswer: before, waitable: true, accountAnswers: { true }) } == [
                true, true, true, false,
            ], "one more try once the account answers, then no more")
        var corrupt = RetryState(policy)
        #expect(
            (0..<3).map { _ in corrupt.another(lastAnswer: before, waitable: false, accountAnswers: { false }) } == [
                true, true, false,
            ])
        var out = RetryState(policy)
        var looks = 0
        #expect(
            (0..<6).map { _ in
                out.another(
                    lastAnswer: before, waitable: true,
                    accountAnswers: {
                        looks += 1
                        return false
                    })
            }.allSatisfy { $0 })
        #expect(looks == 4, "asked only past the attempts")
    }

    @Test func anOutageOfTheAccountIsWaitedOutWithinTheBudget() {
        var state = RetryState(policy)
        let answeredBefore = RateLimiter.now() - 5  // nothing since, an outage of 5 s so far
        let verdicts = (0..<10).map { _ in
            state.another(lastAnswer: answeredBefore, waitable: true, accountAnswers: { false })
        }
        #expect(verdicts.allSatisfy { $0 })
    }

    @Test func anAccountDownLongerThanTheBudgetGetsOnlyItsAttempts() {
        var state = RetryState(policy)
        let longAgo = RateLimiter.now() - 61
        let verdicts = (0..<3).map { _ in state.another(lastAnswer: longAgo, waitable: true, accountAnswers: { false })
        }
        #expect(verdicts == [true, true, false])
    }

    @Test func rateLimitsWaitTheServersRetryAfterAndBackoffDoubles() {
        var p = policy
        p.baseDelay = 1
        let limited = ConnectorError(.rateLimited, "slow down", retryAfterMilliseconds: 2500)
        #expect(p.delay(after: limited, attempt: 4) == 2.5)
        let transient = ConnectorError(.transient, "503")
        for attempt in 1...4 {
            let delay = p.delay(after: transient, attempt: attempt)
            let full = Double(1 << (attempt - 1))
            #expect(delay >= full / 2 && delay <= full, "attempt \(attempt): \(delay)")
        }
        #expect(p.delay(after: transient, attempt: 40) <= p.maxDelay)
    }
}
