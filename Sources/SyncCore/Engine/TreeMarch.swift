import Foundation

/// Walks two trees folder by folder in step, pairing entries by name. Memory holds one folder's
/// listings per side (plus the stack of folders still to visit), never a whole tree.
///
/// Names are matched by their exact UTF-8 bytes: Swift's String equality treats NFC and NFD forms
/// as equal, but a store may hold both as two different files.
struct TreeMarch {
    struct Pair {
        /// Path relative to both roots, in the source's spelling.
        var relative: String
        /// Its last segment.
        var name: String
        var source: Entry?
        var destination: Entry?
        /// Where it is (or goes) at the destination: the existing entry's path, or the parent's
        /// destination path joined with the name encoded for the destination's rules.
        var destinationPath: String
        /// The encoded name a new destination entry would get.
        var encodedName: String
    }

    /// A folder still to visit.
    struct Folder {
        var relative: String
        var destinationPath: String
        var onSource: Bool
        var onDestination: Bool
    }

    enum Side: String { case source, destination }

    struct ListingFailure: Error {
        var side: Side
        var relative: String
        var error: Error
    }

    let source: Session
    let sourceRoot: String
    let destination: Session
    let destinationRoot: String
    /// Also descend into folders that exist only at the destination (sync needs their contents).
    let visitDestinationOnly: Bool
    /// Entries it excludes are dropped from both sides before pairing.
    let filter: Filter
    /// The destination's name rules: names are decoded from it, encoded for it, and paired by key.
    let names: NameEncoder
    /// Reports a source entry that cannot be paired on its own (its key collides with another's).
    let collided: (_ relative: String, _ with: String) -> Void
    /// A listing that fails with a temporary error or a rate limit is started over, as a file is.
    var retry = RetryPolicy()
    /// Reports a file of a source that allows repeated names which, sharing its name with another,
    /// goes under a name of its own.
    var renamed: (_ relative: String, _ as: String) -> Void = { _, _ in }

    /// Calls `visit` for every pair, parents before children. A folder that cannot be listed is
    /// reported to `failed` and skipped (with everything below it); the march goes on.
    ///
    /// Listing is pipelined: both sides of a folder are listed at once on the lister threads, and
    /// while the march visits one folder's pairs, the next folders on its stack are already being
    /// listed (at most `prefetch` ahead, so memory stays a few folders' worth).
    func run(destinationExists: Bool, visit: (Pair) throws -> Void, failed: (ListingFailure) -> Void) throws {
        var pending = [
            Folder(relative: "", destinationPath: destinationRoot, onSource: true, onDestination: destinationExists)
        ]
        var started: [String: FolderListing] = [:]
        let listers = WorkerPool(width: 2, name: "sync-core lister")
        defer { listers.finish() }
        func start(_ folder: Folder) -> FolderListing {
            if let existing = started[folder.relative] { return existing }
            let listing = FolderListing()
            started[folder.relative] = listing
            for (wanted, side) in [(folder.onSource, Side.source), (folder.onDestination, Side.destination)] {
                guard wanted else {
                    listing.done.signal()
                    continue
                }
                listers.submit {
                    let result = Result {
                        side == .source
                            ? try children(
                                source, join(sourceRoot, folder.relative), relative: folder.relative, decode: false)
                            : try children(destination, folder.destinationPath, relative: folder.relative, decode: true)
                    }
                    if side == .source { listing.source = result } else { listing.destination = result }
                    listing.done.signal()
                }
            }
            return listing
        }
        while let folder = pending.popLast() {
            let relative = folder.relative
            let listing = start(folder)
            started[relative] = nil
            listing.done.wait()
            listing.done.wait()
            var sourceEntries: [Named]
            let destinationEntries: [Named]
            switch (listing.source, listing.destination) {
            case (.failure(let error), _):
                failed(ListingFailure(side: .source, relative: relative, error: error))
                continue
            case (_, .failure(let error)):
                failed(ListingFailure(side: .destination, relative: relative, error: error))
                continue
            case (.success(let s), .success(let d)):
                sourceEntries = s
                destinationEntries = d
            }
            sourceEntries = dropCollisions(sourceEntries, in: relative)
            func pair(_ name: String, _ s: Entry?, _ d: Entry?) -> Pair {
                let encoded = d.map { String($0.name) } ?? names.encode(name)
                return Pair(
                    relative: relative.isEmpty ? name : relative + "/" + name, name: name, source: s, destination: d,
                    destinationPath: d?.path ?? join(folder.destinationPath, encoded), encodedName: encoded)
            }
            // First pass: find the subfolders, queue them and start listing the next ones. Second
            // pass: visit. Two cheap passes over sorted arrays beat holding a folder's pairs.
            var subfolders: [Folder] = []
            TreeMarch.merge(sourceEntries, destinationEntries) { name, s, d in
                let sourceDir = s?.isDirectory == true
                let destinationDir = d?.isDirectory == true
                if sourceDir || (destinationDir && visitDestinationOnly && s == nil) {
                    let p = pair(name, s, d)
                    subfolders.append(
                        Folder(
                            relative: p.relative, destinationPath: p.destinationPath, onSource: sourceDir,
                            onDestination: destinationDir))
                }
            }
            // Reverse so that popLast visits children in name order.
            pending.append(contentsOf: subfolders.reversed())
            for next in pending.suffix(prefetch) { _ = start(next) }
            var visitError: Error?
            TreeMarch.merge(sourceEntries, destinationEntries) { name, s, d in
                guard visitError == nil else { return }
                do {
                    try visit(pair(name, s, d))
                } catch {
                    visitError = error
                }
            }
            if let visitError { throw visitError }
        }
    }

    /// Source entries whose keys are equal. Files with the very same name, in a store that allows
    /// that and reads by id, all travel: ordered by id, the first keeps the name and the others get
    /// `name (2).ext`, `name (3).ext`, … (names the folder does not hold), each read by its id, so
    /// the same files get the same names on every run. Anything else (names that differ only in case
    /// for a case-insensitive destination, same-named folders) keeps the first and reports the others.
    private func dropCollisions(_ entries: [Named], in relative: String) -> [Named] {
        guard entries.count > 1 else { return entries }
        // The usual case, no collision: return the listing itself, no copy of a huge folder.
        let collides = entries.indices.dropFirst().contains { bytesEqual(entries[$0 - 1].key, entries[$0].key) }
        guard collides else { return entries }
        let byID = source.canReadByID && source.plugin.nameRules.duplicatesAllowed
        var taken = Set(entries.map { Array($0.key.utf8) })
        var kept: [Named] = []
        kept.reserveCapacity(entries.count)
        var extra: [Named] = []
        var start = 0
        while start < entries.count {
            var end = start + 1
            while end < entries.count && bytesEqual(entries[end].key, entries[start].key) { end += 1 }
            var group = Array(entries[start..<end])
            start = end
            if group.count == 1 {
                kept.append(group[0])
                continue
            }
            let sameName = group.allSatisfy { bytesEqual($0.name, group[0].name) }
            let readable = group.allSatisfy { !$0.entry.isDirectory && $0.entry.id != nil }
            guard byID && sameName && readable else {
                for entry in group.dropFirst() {
                    collided(relative.isEmpty ? entry.name : relative + "/" + entry.name, join(relative, group[0].name))
                }
                kept.append(group[0])
                continue
            }
            group.sort { idPrecedes($0.entry.id!, $1.entry.id!) }
            for index in group.indices {
                group[index].entry.readID = group[index].entry.id
                guard index > 0 else { continue }
                let name = freeName(for: group[index].name, taken: &taken)
                renamed(join(relative, group[index].name), join(relative, name))
                group[index].name = name
                group[index].key = names.foldsKeys ? names.key(name) : name
            }
            kept.append(group[0])
            extra.append(contentsOf: group.dropFirst())
        }
        guard !extra.isEmpty else { return kept }
        // The renamed ones sort elsewhere: merge needs the key order back.
        return (kept + extra).sorted { bytesPrecede($0.key, $1.key) }
    }

    /// `stem (n).ext` for the lowest n ≥ 2 whose key no entry of the folder has.
    private func freeName(for name: String, taken: inout Set<[UInt8]>) -> String {
        let dot = name.lastIndex(of: ".").flatMap { $0 == name.startIndex ? nil : $0 }
        let stem = dot.map { String(name[..<$0]) } ?? name
        let ext = dot.map { String(name[$0...]) } ?? ""
        var n = 2
        while true {
            let candidate = "\(stem) (\(n))\(ext)"
            let key = Array((names.foldsKeys ? names.key(candidate) : candidate).utf8)
            if taken.insert(key).inserted { return candidate }
            n += 1
        }
    }

    /// Folders listed ahead of the march.
    let prefetch = 2

    /// Both sides of one folder, filled in by the lister threads.
    final class FolderListing: @unchecked Sendable {
        var source: Result<[Named], Error> = .success([])
        var destination: Result<[Named], Error> = .success([])
        /// Signalled once per side.
        let done = DispatchSemaphore(value: 0)
    }

    /// An entry with its name split off once (sorting compares names many times), and the key it
    /// is paired by.
    struct Named {
        var name: String
        var key: String
        var entry: Entry
    }

    /// One folder's entries that the filter keeps, sorted by key bytes. Destination names are
    /// decoded from the destination's encoding first.
    func children(_ session: Session, _ listed: String, relative: String, decode: Bool) throws -> [Named] {
        var attempt = 1
        while true {
            do {
                return try childrenOnce(session, listed, relative: relative, decode: decode)
            } catch let error as ConnectorError where RetryPolicy.isRetryable(error.code) && attempt < retry.attempts {
                Thread.sleep(forTimeInterval: retry.delay(after: error, attempt: attempt))
                attempt += 1
            }
        }
    }

    private func childrenOnce(_ session: Session, _ listed: String, relative: String, decode: Bool) throws -> [Named] {
        var entries: [Named] = []
        let relativePrefix = relative.isEmpty ? "" : relative + "/"
        let listedSlash = listed.isEmpty ? "" : listed + "/"
        let cut = listedSlash.utf8.count
        try session.list(listed) { entry in
            // The name is what follows "<listed folder>/" (checked, since a connector may err).
            let raw =
                entry.path.utf8.count > cut && bytesStart(entry.path, with: listedSlash)
                ? String(Substring(entry.path.utf8.dropFirst(cut))) : String(entry.name)
            let name = decode ? names.decode(raw) : raw
            if filter.isEmpty || filter.includes(entry, relative: relativePrefix + name) {
                entries.append(Named(name: name, key: names.foldsKeys ? names.key(name) : name, entry: entry))
            }
        }
        if names.foldsKeys {
            // Equal keys (a collision) are ordered by the names' own bytes: which one is kept is
            // then the same on every run.
            entries.sort {
                bytesPrecede($0.key, $1.key) || (bytesEqual($0.key, $1.key) && bytesPrecede($0.name, $1.name))
            }
        } else {
            entries.sort { bytesPrecede($0.key, $1.key) }
        }
        return entries
    }

    /// Merges two key-sorted lists, pairing equal keys (byte-exact).
    static func merge(_ a: [Named], _ b: [Named], _ body: (String, Entry?, Entry?) -> Void) {
        var i = 0
        var j = 0
        while i < a.count || j < b.count {
            if j == b.count {
                body(a[i].name, a[i].entry, nil)
                i += 1
            } else if i == a.count {
                body(b[j].name, nil, b[j].entry)
                j += 1
            } else if bytesEqual(a[i].key, b[j].key) {
                body(a[i].name, a[i].entry, b[j].entry)
                i += 1
                j += 1
            } else if bytesPrecede(a[i].key, b[j].key) {
                body(a[i].name, a[i].entry, nil)
                i += 1
            } else {
                body(b[j].name, nil, b[j].entry)
                j += 1
            }
        }
    }
}

/// Byte order of UTF-8 names, with memcmp where the strings are contiguous (native ones are).
func bytesPrecede(_ a: String, _ b: String) -> Bool {
    let fast = a.utf8.withContiguousStorageIfAvailable { x in
        b.utf8.withContiguousStorageIfAvailable { y -> Bool in
            let n = min(x.count, y.count)
            let c = n == 0 ? 0 : memcmp(x.baseAddress!, y.baseAddress!, n)
            return c != 0 ? c < 0 : x.count < y.count
        }
    }
    return (fast ?? nil) ?? a.utf8.lexicographicallyPrecedes(b.utf8)
}

func bytesEqual(_ a: String, _ b: String) -> Bool {
    guard a.utf8.count == b.utf8.count else { return false }
    let fast = a.utf8.withContiguousStorageIfAvailable { x in
        b.utf8.withContiguousStorageIfAvailable { y in x.isEmpty || memcmp(x.baseAddress!, y.baseAddress!, x.count) == 0
        }
    }
    return (fast ?? nil) ?? a.utf8.elementsEqual(b.utf8)
}

func bytesStart(_ s: String, with prefix: String) -> Bool {
    let fast = s.utf8.withContiguousStorageIfAvailable { x in
        prefix.utf8.withContiguousStorageIfAvailable { p -> Bool in
            p.count <= x.count && (p.count == 0 || memcmp(x.baseAddress!, p.baseAddress!, p.count) == 0)
        }
    }
    return (fast ?? nil) ?? s.utf8.starts(with: prefix.utf8)
}

func join(_ root: String, _ relative: String) -> String {
    if relative.isEmpty { return root }
    return root.isEmpty ? relative : root + "/" + relative
}

/// Ids in their natural order: numerically when both are numbers (Put.io's), else by bytes.
func idPrecedes(_ a: String, _ b: String) -> Bool {
    let digitsA = a.drop { !$0.isNumber }
    let digitsB = b.drop { !$0.isNumber }
    if let x = Int64(digitsA), let y = Int64(digitsB), x != y { return x < y }
    return bytesPrecede(a, b)
}
