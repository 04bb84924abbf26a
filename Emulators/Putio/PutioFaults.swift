import EmulatorKit

/// Faults a test switches on; each counts down as requests consume it. `rates` adds faults drawn
/// at random per request, on top of the counted ones.
public struct PutioFaults: Sendable {
    /// The next N API or upload requests get 429 with these headers.
    public var rateLimited = 0
    public var retryAfterSeconds = 1
    /// 429s say when to come back as an HTTP date instead of seconds.
    public var retryAfterAsDate = false
    /// The next N API or upload requests get this 5xx status.
    public var serverErrors = 0
    public var serverErrorStatus = 503
    /// The next N storage downloads close the connection halfway through the body.
    public var droppedDownloads = 0
    /// The next N storage downloads declare and send only half the file, as if it were shorter.
    public var truncatedDownloads = 0
    /// The next N tus PATCHes are cut off (the connection closed) halfway through their body; the
    /// bytes that arrived stay, as on a real resumable upload server.
    public var droppedUploads = 0
    /// PATCHes let through untouched before `droppedUploads` starts cutting.
    public var patchesBeforeDrop = 0
    /// The next N API or upload requests: the connection closes before any answer, nothing done.
    public var droppedRequests = 0
    /// The next N tus PATCHes keep only the first half of the bytes they carried, and answer 204
    /// with that offset (tus allows a server to).
    public var shortAcknowledgements = 0
    /// The next N commits (a tus upload's last PATCH, a single-request upload, a new folder) take
    /// effect, and the answer is a 503 all the same.
    public var errorsAfterCommit = 0
    /// Faults drawn at random per request, from a generator seeded with `seed`.
    public var rates = FaultRates()
    public var seed: UInt64 = 1
    /// The next N server-side copies fail with a spurious NAME_ALREADY_EXIST (a quirk rclone meets).
    public var spuriousCopyConflicts = 0
    /// The next N deletes fail with TRASH_LOCK_TIMEOUT.
    public var trashLockTimeouts = 0

    public init() {}
}
