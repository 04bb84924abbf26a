import SyncHashes
import SyncHost
import SyncState

/// What migrate and move remember of each file they copied: the source as it was, the destination
/// as it landed, and the hash that was sent. A re-run skips a file whose two sides still match
/// what was remembered, without reading either.
struct StateLedger {
    private let state: (store: StateStore, job: Int64)?

    init(_ state: (store: StateStore, job: Int64)?) { self.state = state }

    /// True when the state says this exact source file was copied to this exact destination file.
    func remembers(_ s: Entry, _ d: Entry, at path: String) -> Bool {
        guard let state, let r = try? state.store.file(job: state.job, path: path) else { return false }
        // A destination whose listing has no mtime (S3) is recognised by its size and, where the
        // listing has it, the hash of what was sent.
        let hashAgrees = r.hashKind.map { kind in d.hashes[kind] == nil || d.hashes[kind] == r.hash } ?? true
        return r.size == s.size && r.mtimeNanoseconds == s.mtimeNanoseconds && r.destinationSize == d.size
            && (r.destinationMtimeNanoseconds == nil || d.mtimeNanoseconds == nil
                || r.destinationMtimeNanoseconds == d.mtimeNanoseconds)
            && hashAgrees
    }

    /// Records a copy; a run without state records nothing. Throws when the database refuses.
    func record(_ path: String, _ s: Entry, _ d: Entry, hashes: [HashKind: String]) throws {
        guard let state else { return }
        let kind = HashKind.preferred(among: hashes.keys)
        try state.store.recordFile(
            job: state.job, path: path,
            .init(
                size: s.size, mtimeNanoseconds: s.mtimeNanoseconds, hashKind: kind, hash: kind.flatMap { hashes[$0] },
                sourceID: s.id, destinationSize: d.size, destinationMtimeNanoseconds: d.mtimeNanoseconds,
                destinationID: d.id))
    }
}
