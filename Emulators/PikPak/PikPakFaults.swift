import EmulatorKit

/// Faults a test switches on; each counts down as requests consume it. `rates` adds faults drawn
/// at random per request (seeded), on top of the counted ones.
public struct PikPakFaults: Sendable {
    /// The next N drive or storage requests get 429; `retryAfter` nil sends no Retry-After (the
    /// real server's headers are not known, so clients must cope with both).
    public var rateLimited = 0
    public var retryAfter: Int? = 1
    /// Sends that Retry-After as an HTTP date rather than in seconds (HTTP allows both).
    public var retryAfterAsDate = false
    /// The next N drive or storage requests get this 5xx status.
    public var serverErrors = 0
    public var serverErrorStatus = 503
    /// The next N drive requests get error_code 10, "operation too frequent" (HTTP 400).
    public var tooFrequent = 0
    /// The next N drive or storage requests: the connection closes before any answer.
    public var droppedRequests = 0
    /// The next N downloads close the connection halfway through the body.
    public var droppedDownloads = 0
    /// The next N downloads break off halfway and their link expires with them: the rest can be
    /// read only through a new link (a link that runs out in the middle of a long download).
    public var linksExpiringMidDownload = 0
    /// The next N downloads declare and send only half of what was asked.
    public var truncatedDownloads = 0
    /// The next N storage PUTs (a single upload or a part) keep nothing and close the connection
    /// halfway through their body.
    public var droppedUploads = 0
    /// The next N drive requests are refused with captcha_invalid (error_code 9), as when the
    /// server no longer accepts a captcha token before its expiry.
    public var captchaRejections = 0
    /// Captcha init answers with a `url` (a human must verify) instead of a usable token.
    public var captchaNeedsHuman = false
    /// The next N renames right after a move or copy fail with file_rename_uncompleted.
    public var renameUncompleted = 0
    /// Faults drawn at random per request, from a generator seeded with `seed`.
    public var rates = FaultRates()
    public var seed: UInt64 = 1

    public init() {}
}
