import EmulatorKit

/// Faults a test switches on; each counts down as requests consume it. `rates` adds faults drawn at
/// random per request (seeded), on top of the counted ones.
public struct DropboxFaults: Sendable {
    /// The next N API requests get 429 `too_many_requests`, with `retry_after` in the body and a
    /// Retry-After header (in seconds, or as an HTTP date with `retryAfterAsDate`).
    public var rateLimited = 0
    public var retryAfter = 1
    public var retryAfterAsDate = false
    /// The 429s above come with a plain-text body: the header is all a client has.
    public var plainTextRateLimit = false
    /// The next N writes (uploads, commits, folder creations, deletes, moves, copies) get 429
    /// `too_many_write_operations`: another writer holds the namespace's lock.
    public var writeLocked = 0
    /// The next N API requests get this 5xx status, with a text body.
    public var serverErrors = 0
    public var serverErrorStatus = 503
    /// The next N API requests: the connection closes before any answer; nothing took effect.
    public var droppedRequests = 0
    /// The next N uploads or appends: the bytes arrive and are thrown away, the connection closes
    /// without an answer (an upload cut mid-body).
    public var droppedUploads = 0
    /// The next N appends take effect, then the connection closes without an answer (the client
    /// learns the offset from `incorrect_offset` on its next try).
    public var lostAppendReplies = 0
    /// The next N downloads close the connection halfway through the body.
    public var truncatedDownloads = 0
    /// The next N moves right after an upload answer `from_lookup/not_found` (rclone issue 8881).
    public var lookupAfterUpload = 0
    public var rates = FaultRates()
    public var seed: UInt64 = 1

    public init() {}
}
