import Foundation

/// How failed operations are retried; driven by the ABI error code alone. `AccountCalls` applies it
/// to every call the engine makes, and `FileCopier` to whole copies (each through a `RetryState`).
public struct RetryPolicy: Sendable {
    /// Attempts per operation, the first included, that a temporary failure always gets.
    public var attempts = 5
    /// First backoff for TRANSIENT/CORRUPT; doubles per attempt, with jitter.
    public var baseDelay = 0.5
    public var maxDelay = 30.0
    /// Longest server-requested wait honoured for RATE_LIMITED.
    public var maxRetryAfter = 300.0
    /// Past `attempts`, a temporary failure or a rate limit is tried again while its account is
    /// out — nothing has answered since the operation first failed, and a look at the account
    /// fails too — for up to this many seconds from the account's last answer: a server's bad
    /// minute (a burst of 5xx or dropped connections on every request) is waited out, an account
    /// down for longer is not. A failure of one operation while its account answers is that
    /// operation's own: it stops at `attempts` (a failed copy gets a last pass at the end of the run).
    public var budget = 120.0

    public init() {}

    public static func isRetryable(_ code: ErrorCode) -> Bool {
        code == .transient || code == .rateLimited || code == .corrupt
    }

    /// Seconds to wait before attempt `attempt + 1` (attempt counts from 1).
    public func delay(after error: ConnectorError, attempt: Int) -> Double {
        if error.code == .rateLimited, error.retryAfterMilliseconds > 0 {
            return min(Double(error.retryAfterMilliseconds) / 1000, maxRetryAfter)
        }
        let exponential = min(baseDelay * Double(1 << min(attempt - 1, 20)), maxDelay)
        return exponential * Double.random(in: 0.5...1.0)  // jitter: spread retries of parallel workers
    }
}
