import SyncHashes

/// Whether two files hold the same content, judged from what their stores report.
enum Comparison {
    enum Verdict: Equatable {
        case same
        case differs(String)
    }

    /// Same size and a shared hash that matches; without a shared hash, same size and an mtime
    /// equal within the coarser of the two stores' precisions.
    static func compare(_ source: Entry, _ destination: Entry, mtimePrecision: Int64) -> Verdict {
        if let a = source.size, let b = destination.size, a != b {
            return .differs("size \(a) ≠ \(b)")
        }
        if let kind = HashKind.preferred(among: source.hashes.keys.filter { destination.hashes[$0] != nil }),
            let ours = source.hashes[kind], let theirs = destination.hashes[kind]
        {
            return ours == theirs ? .same : .differs("\(kind) \(ours) ≠ \(theirs)")
        }
        guard let a = source.mtimeNanoseconds, let b = destination.mtimeNanoseconds, mtimePrecision > 0 else {
            return .differs("no shared hash or modification time to compare")
        }
        return abs(a - b) < mtimePrecision ? .same : .differs("modification time differs")
    }

    /// Hash kinds to compute while streaming, to check against what the destination reports after
    /// finish, for a file whose listing carries no hash the destination reports (FileCopier picks
    /// that one when it does). One kind is enough to catch corruption: the fastest one the
    /// destination declares.
    static func verificationKinds(destination: Plugin) -> [HashKind] {
        HashKind.preferred(among: destination.hashKinds.filter(MultiHasher.canCompute)).map { [$0] } ?? []
    }
}
