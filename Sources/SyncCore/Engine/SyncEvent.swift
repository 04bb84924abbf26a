import SyncHost

/// What happened to one path during a run, in the order it happened (one JSON line each with --json).
public enum SyncEvent: Sendable {
    case copied(path: String, bytes: Int64, replaced: Bool)
    case skipped(path: String)
    /// An interrupted upload continued from a confirmed offset instead of starting over.
    case resumed(path: String, offset: Int64)
    /// move / --delete-source: the source file was deleted after its copy was verified.
    case sourceDeleted(path: String)
    case createdFolder(path: String)
    case deleted(path: String)
    /// A copy whose verification failed, deleted and sent again.
    case corruptionRetried(path: String, times: Int)
    case failed(path: String, reason: String)
    /// Something done differently from what was asked, and why (a repeated name stored under another).
    case warning(path: String, message: String)
    /// check: the two sides differ at this path.
    case differs(path: String, reason: String)
    /// Deletions a sync did not make, and why.
    case deletionsSkipped(count: Int, reason: String)
    /// dry run: what would have been done.
    case wouldCopy(path: String, bytes: Int64?)
    case wouldDelete(path: String)
    case wouldCreateFolder(path: String)
}

/// Totals of a run; `failures` lists every path that failed and why. In a dry run the counts are
/// what would have been done.
public struct SyncSummary: Sendable {
    public var copied = 0
    public var copiedBytes: Int64 = 0
    public var skipped = 0
    public var createdFolders = 0
    public var deleted = 0
    public var sourceDeleted = 0
    public var resumed = 0
    public var corruptionsRetried = 0
    public var failed = 0
    public var differences = 0
    public var deletionsSkipped = 0
    /// Files left for the next run because the run was interrupted (Ctrl-C).
    public var interrupted = 0
    public var wasInterrupted = false
    public var failures: [(path: String, reason: String)] = []
    /// One line per account that refused its credentials (what, and how to re-authorize); the
    /// files it kept from being transferred are counted in `notTransferred` (and in `failed`),
    /// not listed in `failures`.
    public var refusals: [String] = []
    public var notTransferred = 0
    /// The run stopped walking the tree before its end (an account refused its credentials).
    public var treeLeftUnvisited = false
    public var seconds = 0.0

    public init() {}

    /// True when everything asked for was done (and, for check, the trees are the same).
    public var succeeded: Bool {
        failed == 0 && differences == 0 && deletionsSkipped == 0 && !wasInterrupted && refusals.isEmpty
            && !treeLeftUnvisited
    }
}
