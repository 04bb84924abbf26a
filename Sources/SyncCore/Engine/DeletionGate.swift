import SyncHost

/// Whether a sync may delete the destination's extras: the answer to "why didn't sync delete?".
/// Pure: the run gathers what happened and asks once, after every copy.
enum DeletionGate {
    /// What the run knows when its copies are done.
    struct Situation: Equatable {
        /// Entries the sync would delete.
        var deletions: Int
        var interrupted = false
        /// A source folder could not be listed: its files would look like extras.
        var sourceListingFailed = false
        /// A copy failed (or a file was not transferred): the destination may hold the only copy.
        var copiesFailed = false
        /// The source listed nothing at all.
        var sourceEmpty = false
        /// `--allow-empty-source`.
        var allowEmptySource = false
        /// `--max-delete`.
        var maxDelete: Int?
    }

    /// Why the deletions must not happen, or nil when they may. The first reason that applies is
    /// given, safest first.
    static func refusal(_ s: Situation) -> String? {
        if s.interrupted { return "the run was interrupted" }
        if s.sourceListingFailed { return "part of the source could not be listed" }
        if s.copiesFailed { return "some files failed; deletions happen only after every copy succeeded" }
        if s.sourceEmpty && !s.allowEmptySource {
            return "the source is empty (use --allow-empty-source to empty the destination)"
        }
        if let max = s.maxDelete, s.deletions > max { return "\(s.deletions) deletions exceed --max-delete \(max)" }
        return nil
    }
}
