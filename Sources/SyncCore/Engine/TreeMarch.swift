/// Walks two trees folder by folder in step, pairing entries by name. Memory holds one folder's
/// listings per side (plus the stack of folders still to visit), never a whole tree.
///
/// Names are matched by their exact UTF-8 bytes: Swift's String equality treats NFC and NFD forms
/// as equal, but a store may hold both as two different files.
struct TreeMarch {
    struct Pair {
        /// Path relative to both roots.
        var relative: String
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
    func run(destinationExists: Bool, visit: (Pair) throws -> Void, failed: (ListingFailure) -> Void) throws {
        // (relative folder, listed at source?, listed at destination?)
        var pending: [(String, Bool, Bool)] = [("", true, destinationExists)]
        while let (relative, onSource, onDestination) = pending.popLast() {
            var sourceEntries: [Entry] = []
            var destinationEntries: [Entry] = []
            do {
                if onSource { sourceEntries = try children(source, sourceRoot, relative) }
            } catch {
                failed(ListingFailure(side: .source, relative: relative, error: error))
                continue
            }
            do {
                if onDestination {
                    destinationEntries = try children(destination, destinationRoot, relative)
                }
            } catch {
                failed(ListingFailure(side: .destination, relative: relative, error: error))
                continue
            }
            var children: [(String, Bool, Bool)] = []
            try TreeMarch.merge(sourceEntries, destinationEntries) { s, d in
                let name = String((s ?? d)!.name)
                let path = relative.isEmpty ? name : relative + "/" + name
                try visit(Pair(relative: path, source: s, destination: d))
                let sourceDir = s?.isDirectory == true
                let destinationDir = d?.isDirectory == true
                if sourceDir || (destinationDir && visitDestinationOnly && s == nil) {
                    children.append((path, sourceDir, destinationDir))
                }
            }
            // Reverse so that popLast visits children in name order.
            pending.append(contentsOf: children.reversed())
        }
    }

    /// One folder's entries that the filter keeps, sorted by name bytes.
    func children(_ session: Session, _ root: String, _ relative: String) throws -> [Entry] {
        var entries: [Entry] = []
        let prefix = relative.isEmpty ? "" : relative + "/"
        try session.list(join(root, relative)) { entry in
            if filter.isEmpty || filter.includes(entry, relative: prefix + entry.name) { entries.append(entry) }
        }
        entries.sort { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }
        return entries
    }

    /// Merges two name-sorted lists, pairing equal names (byte-exact).
    static func merge(_ a: [Entry], _ b: [Entry], _ body: (Entry?, Entry?) throws -> Void) throws {
        var i = 0
        var j = 0
        while i < a.count || j < b.count {
            if j == b.count {
                try body(a[i], nil)
                i += 1
            } else if i == a.count {
                try body(nil, b[j])
                j += 1
            } else if a[i].name.utf8.elementsEqual(b[j].name.utf8) {
                try body(a[i], b[j])
                i += 1
                j += 1
            } else if a[i].name.utf8.lexicographicallyPrecedes(b[j].name.utf8) {
                try body(a[i], nil)
                i += 1
            } else {
                try body(nil, b[j])
                j += 1
            }
        }
    }
}

func join(_ root: String, _ relative: String) -> String {
    if relative.isEmpty { return root }
    return root.isEmpty ? relative : root + "/" + relative
}
