import SyncHashes
import SyncHost

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

/// Comparing one pair of files of a run, beyond what `Comparison.compare` reads off two entries:
/// which hash both stores can give, whether that means reading, and asking the stores (a hash on
/// demand, a stat for an mtime a listing lacks) through each account's retry path.
struct ContentComparison {
    let sourceCalls: AccountCalls
    let destinationCalls: AccountCalls
    private var source: Session { sourceCalls.session }
    private var destination: Session { destinationCalls.session }

    /// A store that keeps mtimes but cannot list them (S3 holds them in metadata only a HEAD
    /// returns): with equal sizes, one stat of the file on that side tells whether it changed.
    func mtimeOnlyByStat(_ s: Entry, _ d: Entry) -> Bool {
        guard s.size != nil && s.size == d.size, s.mtimeNanoseconds != nil || d.mtimeNanoseconds != nil else {
            return false
        }
        if d.mtimeNanoseconds == nil { return destination.plugin.capabilities.contains(.setMtime) }
        return s.readID == nil && source.plugin.capabilities.contains(.setMtime)
    }

    /// A hash kind both stores know that each side has listed or can compute on demand; `reads`
    /// when one side must read its file to get it.
    func comparableKind(_ s: Entry, _ d: Entry) -> (kind: HashKind, reads: Bool)? {
        let common = HashKind.preference.filter {
            source.plugin.hashKinds.contains($0) && destination.plugin.hashKinds.contains($0)
        }
        if let kind = common.first(where: { s.hashes[$0] != nil && d.hashes[$0] != nil }) { return (kind, false) }
        let computable = common.first {
            (s.hashes[$0] != nil || source.hasHash)
                && (d.hashes[$0] != nil || destination.hasHash)
        }
        return computable.map { ($0, true) }
    }

    /// Whether comparing these two files by content means computing a hash by reading, or a stat.
    func needsReading(_ s: Entry, _ d: Entry) -> Bool {
        guard s.size == d.size else { return false }
        return comparableKind(s, d)?.reads == true || mtimeOnlyByStat(s, d)
    }

    /// The verdict of a hash both stores report or can compute (reading the files), or nil.
    func contentVerdict(_ s: Entry, _ d: Entry) throws -> Comparison.Verdict? {
        if let a = s.size, let b = d.size, a != b { return .differs("size \(a) ≠ \(b)") }
        guard let kind = comparableKind(s, d)?.kind else { return nil }
        // A hash computed on demand goes by path, which a renamed duplicate does not own.
        if s.readID != nil && s.hashes[kind] == nil { return nil }
        let ours = try s.hashes[kind] ?? sourceCalls.call { try source.hash(s.path, kind: kind) }
        let theirs =
            try d.hashes[kind] ?? destinationCalls.call { try destination.hash(d.path, kind: kind) }
        return ours == theirs ? .same : .differs("\(kind) \(ours) ≠ \(theirs)")
    }

    /// What the listings say, after a stat of a side whose listing had no mtime (where it keeps one).
    func compareStatting(_ s: Entry, _ d: Entry) throws -> Comparison.Verdict {
        guard mtimeOnlyByStat(s, d) else { return compareListed(s, d) }
        var (s2, d2) = (s, d)
        if d.mtimeNanoseconds == nil { d2 = try destinationCalls.call { try destination.stat(d.path) } }
        if s.mtimeNanoseconds == nil {
            s2.mtimeNanoseconds = try sourceCalls.call { try source.stat(s.path) }.mtimeNanoseconds
        }
        return compareListed(s2, d2)
    }

    /// Size, then a hash the listings share, else size and modification time.
    func compareListed(_ s: Entry, _ d: Entry) -> Comparison.Verdict {
        let a = source.plugin.mtimePrecisionNanoseconds
        let b = destination.plugin.mtimePrecisionNanoseconds
        return Comparison.compare(s, d, mtimePrecision: a > 0 && b > 0 ? max(a, b) : 0)
    }
}
