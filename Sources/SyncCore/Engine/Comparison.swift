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

    /// Both stores keep modification times the listings can compare.
    var timesComparable: Bool {
        source.plugin.mtimePrecisionNanoseconds > 0 && destination.plugin.mtimePrecisionNanoseconds > 0
    }

    enum Side { case source, destination }

    /// For stores that share no hash kind (Put.io's CRC-32 and PikPak's GCID): the side whose file
    /// the host reads to compute the kind the other side lists. The source is read where the
    /// destination lists a kind the host computes, else the destination.
    func readingKind(_ s: Entry, _ d: Entry) -> (side: Side, kind: HashKind)? {
        guard comparableKind(s, d) == nil else { return nil }
        func computable(_ listed: Entry, readFrom read: Entry) -> HashKind? {
            HashKind.preferred(among: MultiHasher(listed.hashes.keys, size: read.size ?? listed.size).kinds)
        }
        if let kind = computable(d, readFrom: s) { return (.source, kind) }
        if d.readID == nil, let kind = computable(s, readFrom: d) { return (.destination, kind) }
        return nil
    }

    /// Whether check's comparison of these two files means computing a hash by reading, or a stat.
    func needsReading(_ s: Entry, _ d: Entry) -> Bool {
        guard s.size == d.size else { return false }
        return comparableKind(s, d)?.reads == true || mtimeOnlyByStat(s, d)
            || (!timesComparable && readingKind(s, d) != nil)
    }

    /// The verdict of a hash both stores report or can compute, or nil. Without one, `readingAcross`
    /// reads one side's file to compute the hash the other lists (a copy proven before a move
    /// deletes its source, or a check between stores that cannot compare times either).
    func contentVerdict(_ s: Entry, _ d: Entry, readingAcross: Bool) throws -> Comparison.Verdict? {
        if let a = s.size, let b = d.size, a != b { return .differs("size \(a) ≠ \(b)") }
        guard let kind = comparableKind(s, d)?.kind else {
            guard readingAcross, let (side, kind) = readingKind(s, d) else { return nil }
            let computed =
                side == .source
                ? try sourceCalls.call { try hashByReading(source, s, kind) }
                : try destinationCalls.call { try hashByReading(destination, d, kind) }
            let listed = (side == .source ? d : s).hashes[kind]!
            return computed == listed
                ? .same
                : .differs("\(kind) \(side == .source ? computed : listed) ≠ \(side == .source ? listed : computed)")
        }
        // A hash computed on demand goes by path, which a renamed duplicate does not own.
        if s.readID != nil && s.hashes[kind] == nil { return nil }
        let ours = try s.hashes[kind] ?? sourceCalls.call { try source.hash(s.path, kind: kind) }
        let theirs =
            try d.hashes[kind] ?? destinationCalls.call { try destination.hash(d.path, kind: kind) }
        return ours == theirs ? .same : .differs("\(kind) \(ours) ≠ \(theirs)")
    }

    /// One hash of a file, computed by reading all of it (by id where its name is shared).
    private func hashByReading(_ session: Session, _ entry: Entry, _ kind: HashKind) throws -> String {
        let reader =
            try entry.readID.map { try session.openReader(id: $0, offset: 0, length: nil) }
            ?? session.openReader(entry.path, offset: 0, length: nil)
        defer { reader.close() }
        var hasher = MultiHasher([kind], size: entry.size)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 64)
        defer { buffer.deallocate() }
        var seen: Int64 = 0
        while true {
            let n = try reader.read(into: buffer)
            if n == 0 { break }
            hasher.update(UnsafeRawBufferPointer(rebasing: buffer[..<n]))
            seen += Int64(n)
        }
        if let size = entry.size, seen != size {
            throw ConnectorError(.corrupt, "'\(entry.path)' ended at \(seen) of its \(size) bytes")
        }
        guard let value = hasher.finalize()[kind] else {
            throw ConnectorError(.internal, "\(kind) cannot be computed here")
        }
        return value
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
