import SyncHost
import SyncState

extension SyncSummary {
    /// What the state database's history keeps of this run.
    public var runCounts: StateStore.RunCounts {
        let message = failures.prefix(3).map { "\($0.path): \($0.reason)" }.joined(separator: "; ")
        return .init(
            copied: copied, bytes: copiedBytes, skipped: skipped, deleted: deleted, failed: failed,
            message: message.isEmpty ? nil : message)
    }
}
