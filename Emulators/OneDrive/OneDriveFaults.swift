import EmulatorKit

/// Faults a test switches on; each counts down as requests consume it. `rates` adds faults drawn at
/// random per request (seeded), on top of the counted ones.
public struct OneDriveFaults: Sendable {
    /// The next N Graph requests are throttled (`activityLimitReached`) with this status (429, or
    /// 503 as Graph also answers) and Retry-After in seconds, or as an HTTP date.
    public var throttled = 0
    public var throttleStatus = 429
    public var retryAfter = 1
    public var retryAfterAsDate = false
    /// The next N Graph requests get this 5xx status.
    public var serverErrors = 0
    public var serverErrorStatus = 503
    /// The next N Graph requests: the connection closes before any answer.
    public var droppedRequests = 0
    /// The next N fragments are thrown away and the connection closed without an answer.
    public var droppedFragments = 0
    /// The next N downloads close the connection halfway through the body.
    public var truncatedDownloads = 0
    /// The next N copies end `failed`.
    public var failedCopies = 0
    public var rates = FaultRates()
    public var seed: UInt64 = 1

    public init() {}
}
