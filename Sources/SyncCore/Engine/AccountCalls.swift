import Foundation
import SyncHost
import Synchronization

/// The one retry path for one account of a run: every call the engine makes to it — stats,
/// listings, mkdir, deletes, moves, hashes, and each try of a file copy — waits out the account's
/// pause (a rate limit any worker met pauses them all), tries temporary failures again as the
/// `RetryPolicy` says, re-opens the session once on AUTH, and stops calling an account that
/// refused its credentials.
final class AccountCalls: Sendable {
    let session: Session
    let policy: RetryPolicy
    let pacer: AccountPacer
    let auth: AuthGuard
    /// When a call to this account last succeeded (monotonic seconds; at first, when the run
    /// started): how recently it proved it still answers.
    private let answeredAt = Mutex(RateLimiter.now())

    /// A cheap call that tells whether the account answers at all (its quota, or a stat):
    /// asked when an operation ran out of attempts and nothing else answered meanwhile.
    private let probe: @Sendable () throws -> Void

    /// `pacer`: shared when both sides of a run are one account, whose rate limit they share.
    init(
        session: Session, account: String, policy: RetryPolicy, pacer: AccountPacer = AccountPacer(),
        probe: @escaping @Sendable () throws -> Void
    ) {
        self.session = session
        self.policy = policy
        self.pacer = pacer
        self.probe = probe
        auth = AuthGuard(account: account)
    }

    var account: String { auth.account }

    /// Runs `body` until it succeeds or its failure is final. For calls that are safe to repeat.
    func call<T>(_ body: () throws -> T) throws -> T {
        var retries = RetryState(policy)
        while true {
            let generation = try ready()
            do {
                let result = try body()
                answered()
                return result
            } catch let error as ConnectorError {
                try recover(from: error, generation: generation, &retries)
            }
        }
    }

    /// Before a try: waits out the account's pause, fails at once if the account was given up, and
    /// returns the session generation the try runs on (for AUTH).
    func ready() throws -> Int {
        pacer.wait()
        if let refusal = auth.failed { throw refusal }
        return session.generation
    }

    /// Notes that the account answered.
    func answered() {
        let now = RateLimiter.now()
        answeredAt.withLock { $0 = max($0, now) }
    }

    var lastAnswer: Double { answeredAt.withLock { $0 } }

    /// Whether the account answers a look right now (past the pause it asked for).
    private func answersNow() -> Bool {
        pacer.wait()
        do {
            try probe()
            answered()
            return true
        } catch let failure as ConnectorError where RetryPolicy.isRetryable(failure.code) {
            return false
        } catch {
            return true  // an answer, if not a welcome one: no outage
        }
    }

    /// After a failed try: returns when another try may start (having paused or slept as the error
    /// asks), or throws the error that ends the operation.
    func recover(from error: ConnectorError, generation: Int, _ retries: inout RetryState) throws {
        if error.code == .auth {
            guard auth.handle(error, session: session, generation: generation) else { throw auth.failed ?? error }
            guard retries.another(lastAnswer: lastAnswer, waitable: false, accountAnswers: { true }) else {
                throw error
            }
            return
        }
        guard RetryPolicy.isRetryable(error.code), !session.services.isCancelled else { throw error }
        let tried = retries.attempt
        let delay = policy.delay(after: error, attempt: tried)
        let waitable = error.code != .corrupt  // a bad copy is no outage
        guard retries.another(lastAnswer: lastAnswer, waitable: waitable, accountAnswers: answersNow) else {
            throw error
        }
        session.services.log(
            .debug,
            "\(account): try \(tried) failed (\(error)); trying again in \(String(format: "%.2f", delay)) s")
        if error.code == .rateLimited {
            // The account asked to slow down: every worker on it waits, not only this one.
            pacer.pause(for: delay)
            pacer.wait()
        } else {
            Thread.sleep(forTimeInterval: delay)
        }
    }
}
