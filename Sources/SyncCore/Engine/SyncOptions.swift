import Foundation
import SyncHost
import SyncState

/// What a run does and how hard it tries.
public struct SyncOptions: Sendable {
    public enum Mode: String, Sendable {
        /// Send new and changed files; never delete.
        case copy
        /// Make the destination mirror the source, deleting extras after every copy succeeded.
        case sync
        /// Compare the trees; change nothing.
        case check
        /// copy, remembered: incremental from its state, resumable mid-file, empty folders kept.
        case migrate
        /// migrate, then delete each source file once its copy is verified.
        case move
    }

    public var mode: Mode
    /// Files transferred at once (the run's width).
    public var transfers = 4
    /// Per-account caps within that width (an account's `max_transfers`, or a flag): a narrow
    /// source does not throttle a wide destination, nor the other way round. The same account on
    /// both sides shares one cap (the smaller).
    public var sourceTransfers: Int?
    public var destinationTransfers: Int?
    /// check: files compared at once (hashing means reading, so this is an I/O width).
    public var checkers = 8
    public var dryRun = false
    /// A sync that would delete more than this deletes nothing.
    public var maxDelete: Int?
    /// Let a sync empty the destination when the source is empty.
    public var allowEmptySource = false
    public var retry = RetryPolicy()
    /// Which paths the run considers, on both sides.
    public var filter = Filter()
    /// migrate --delete-source: delete each source file once its copy is verified (move does).
    public var deleteSource = false
    /// Where migrate and move remember files and resume tokens (nil: no state).
    public var state: (store: StateStore, job: Int64)?
    /// Total transfer rate across the run, bytes per second (nil: unlimited).
    public var bandwidthLimit: Int64?
    /// Entries of one folder's listing held in memory; a bigger folder is sorted on disk.
    public var spillAfter = SyncOptions.defaultSpillAfter
    public static let defaultSpillAfter = 32_768
    /// Emit a `skipped` event per unchanged file (counted in the summary either way).
    public var reportSkipped = true

    /// Whether this mode writes to the destination only what the source has (copy-like).
    var copies: Bool { mode == .copy || mode == .migrate || mode == .move }
    var deletesSourceFiles: Bool { mode == .move || (mode == .migrate && deleteSource) }

    public init(mode: Mode) { self.mode = mode }
}
