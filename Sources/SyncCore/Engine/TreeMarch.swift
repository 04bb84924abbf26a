import Foundation

/// Walks two trees folder by folder in step, pairing entries by name. Memory holds one folder's
/// listings per side (plus the stack of folders still to visit), never a whole tree.
///
/// Names are matched by their exact UTF-8 bytes: Swift's String equality treats NFC and NFD forms
/// as equal, but a store may hold both as two different files.
struct TreeMarch {
    struct Pair {
        /// Path relative to both roots.
        var relative: String
        /// Its last segment.
        var name: String
        var source: Entry?
        var destination: Entry?
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

    /// Calls `visit` for every pair, parents before children. A folder that cannot be listed is
    /// reported to `failed` and skipped (with everything below it); the march goes on.
    ///
    /// Listing is pipelined: both sides of a folder are listed at once on the lister threads, and
    /// while the march visits one folder's pairs, the next folders on its stack are already being
    /// listed (at most `prefetch` ahead, so memory stays a few folders' worth).
    func run(destinationExists: Bool, visit: (Pair) throws -> Void, failed: (ListingFailure) -> Void) throws {
        // (relative folder, listed at source?, listed at destination?)
        var pending: [(String, Bool, Bool)] = [("", true, destinationExists)]
        var started: [String: FolderListing] = [:]
        let listers = WorkerPool(width: 2, name: "sync-core lister")
        defer { listers.finish() }
        func start(_ folder: (String, Bool, Bool)) -> FolderListing {
            if let existing = started[folder.0] { return existing }
            let listing = FolderListing()
            started[folder.0] = listing
            for (wanted, side) in [(folder.1, Side.source), (folder.2, Side.destination)] {
                guard wanted else {
                    listing.done.signal()
                    continue
                }
                listers.submit {
                    let result = Result {
                        side == .source
                            ? try children(source, sourceRoot, folder.0)
                            : try children(destination, destinationRoot, folder.0)
                    }
                    if side == .source { listing.source = result } else { listing.destination = result }
                    listing.done.signal()
                }
            }
            return listing
        }
        while let folder = pending.popLast() {
            let relative = folder.0
            let listing = start(folder)
            started[relative] = nil
            listing.done.wait()
            listing.done.wait()
            let sourceEntries: [Named]
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
            // First pass: find the subfolders, queue them and start listing the next ones. Second
            // pass: visit. Two cheap passes over sorted arrays beat holding a folder's pairs.
            var subfolders: [(String, Bool, Bool)] = []
            TreeMarch.merge(sourceEntries, destinationEntries) { name, s, d in
                let sourceDir = s?.isDirectory == true
                let destinationDir = d?.isDirectory == true
                if sourceDir || (destinationDir && visitDestinationOnly && s == nil) {
                    subfolders.append((relative.isEmpty ? name : relative + "/" + name, sourceDir, destinationDir))
                }
            }
            // Reverse so that popLast visits children in name order.
            pending.append(contentsOf: subfolders.reversed())
            for next in pending.suffix(prefetch) { _ = start(next) }
            var visitError: Error?
            TreeMarch.merge(sourceEntries, destinationEntries) { name, s, d in
                guard visitError == nil else { return }
                do {
                    try visit(
                        Pair(
                            relative: relative.isEmpty ? name : relative + "/" + name, name: name, source: s,
                            destination: d))
                } catch {
                    visitError = error
                }
            }
            if let visitError { throw visitError }
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

    /// An entry with its name split off once (sorting compares names many times).
    struct Named {
        var name: String
        var entry: Entry
    }

    /// One folder's entries that the filter keeps, sorted by name bytes.
    func children(_ session: Session, _ root: String, _ relative: String) throws -> [Named] {
        var entries: [Named] = []
        let prefix = relative.isEmpty ? "" : relative + "/"
        let listed = join(root, relative)
        let listedSlash = listed.isEmpty ? "" : listed + "/"
        let cut = listedSlash.utf8.count
        try session.list(listed) { entry in
            // The name is what follows "<listed folder>/" (checked, since a connector may err).
            let name =
                entry.path.utf8.count > cut && bytesStart(entry.path, with: listedSlash)
                ? String(Substring(entry.path.utf8.dropFirst(cut))) : String(entry.name)
            if filter.isEmpty || filter.includes(entry, relative: prefix + name) {
                entries.append(Named(name: name, entry: entry))
            }
        }
        entries.sort { bytesPrecede($0.name, $1.name) }
        return entries
    }

    /// Merges two name-sorted lists, pairing equal names (byte-exact).
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
            } else if bytesEqual(a[i].name, b[j].name) {
                body(a[i].name, a[i].entry, b[j].entry)
                i += 1
                j += 1
            } else if bytesPrecede(a[i].name, b[j].name) {
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
