import Foundation
import SyncHost

/// Walks two trees folder by folder in step, pairing entries by name. Memory holds one folder's
/// listings per side (plus the folders still to visit, spilled to disk past `spillAfter` like a
/// huge listing), never a whole tree.
///
/// Names are matched by their exact UTF-8 bytes: Swift's String equality treats NFC and NFD forms
/// as equal, but a store may hold both as two different files.
struct TreeMarch {
    struct Pair {
        /// The folder it is in, relative to both roots ("" at the top).
        var parent: String
        /// Its last segment, in the source's spelling.
        var name: String
        /// Path relative to both roots, in the source's spelling. Built when asked: an unchanged
        /// file of a re-run never needs it.
        var relative: String { parent.isEmpty ? name : parent + "/" + name }
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
        /// Where it is at the source: the listed path (names there may be encoded), or where it
        /// would be when only the destination has it.
        var sourcePath: String
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
    /// The source's name rules: names it lists are decoded, so what an earlier run stored encoded
    /// there (`a：b.mkv` for `a:b.mkv`) travels under its own name again.
    var sourceNames = NameEncoder(rules: NameRules())
    /// Each side's retry path: a listing that fails with a temporary error or a rate limit is
    /// started over after the account's pause, as a file is.
    let sourceCalls: AccountCalls
    let destinationCalls: AccountCalls
    /// Reports a source entry that cannot be paired on its own (its key collides with another's).
    let collided: (_ relative: String, _ with: String) -> Void
    /// Checked before each folder: true ends the march (an account refused its credentials).
    var stop: () -> Bool = { false }
    /// Reports a file of a source that allows repeated names which, sharing its name with another,
    /// goes under a name of its own.
    var renamed: (_ relative: String, _ as: String) -> Void = { _, _ in }
    /// Entries of one folder's listing held in memory; a bigger folder is spilled to disk in sorted
    /// runs of this size (`SortedEntries`). Up to (1 + `prefetch`) × 2 listings are held at once.
    var spillAfter = SyncOptions.defaultSpillAfter

    /// Calls `visit` for every pair, parents before children. A folder that cannot be listed is
    /// reported to `failed` and skipped (with everything below it); the march goes on.
    ///
    /// Listing is pipelined: both sides of a folder are listed at once on the lister threads, and
    /// while the march visits one folder's pairs, the next folders on its stack are already being
    /// listed (at most `prefetch` ahead, so memory stays a few folders' worth).
    /// Returns false when `stop` ended it before every folder was visited.
    @discardableResult
    func run(destinationExists: Bool, visit: (Pair) throws -> Void, failed: (ListingFailure) -> Void) throws -> Bool {
        var pending = FolderStack(limit: spillAfter)
        try pending.add(
            Folder(
                relative: "", sourcePath: sourceRoot, destinationPath: destinationRoot, onSource: true,
                onDestination: destinationExists))
        try pending.endBatch()
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
                    if side == .destination {
                        listing.destination = Result {
                            try children(
                                destinationCalls, folder.destinationPath, relative: folder.relative, decoder: names)
                        }
                    } else {
                        // Collisions are resolved here too, beside the other side's listing: in a
                        // huge folder that is one more pass over it.
                        listing.source = Result {
                            try dropCollisions(
                                children(
                                    sourceCalls, folder.sourcePath, relative: folder.relative, decoder: sourceNames),
                                in: folder.relative, report: { listing.collisions.append($0) })
                        }
                    }
                    listing.done.signal()
                }
            }
            return listing
        }
        while let folder = try pending.pop() {
            if stop() { return false }
            let relative = folder.relative
            let listing = start(folder)
            started[relative] = nil
            listing.done.wait()
            listing.done.wait()
            let sourceEntries: SortedEntries
            let destinationEntries: SortedEntries
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
            for collision in listing.collisions {
                switch collision {
                case .collided(let path, let with): collided(path, with)
                case .renamed(let path, let name): renamed(path, name)
                }
            }
            do {
                try visitFolder(
                    folder, sourceEntries, destinationEntries, pending: &pending, start: start, visit: visit)
            } catch let error as SpillFile.Failure {
                pending.discardBatch()
                failed(ListingFailure(side: .source, relative: relative, error: error))
            }
        }
        return true
    }

    /// Queues a listed folder's subfolders (and starts listing the next ones), then visits its pairs.
    private func visitFolder(
        _ folder: Folder, _ sourceEntries: SortedEntries, _ destinationEntries: SortedEntries,
        pending: inout FolderStack, start: (Folder) -> FolderListing, visit: (Pair) throws -> Void
    ) throws {
        let relative = folder.relative
        func pair(_ name: String, _ s: Entry?, _ d: Entry?) -> Pair {
            let encoded = d.map { String($0.name) } ?? names.encode(name)
            return Pair(
                parent: relative, name: name, source: s, destination: d,
                destinationPath: d?.path ?? join(folder.destinationPath, encoded), encodedName: encoded)
        }
        func note(_ name: String, _ s: Entry?, _ d: Entry?) throws -> Pair? {
            let sourceDir = s?.isDirectory == true
            let destinationDir = d?.isDirectory == true
            guard sourceDir || (destinationDir && visitDestinationOnly && s == nil) else { return nil }
            let p = pair(name, s, d)
            try pending.add(
                Folder(
                    relative: p.relative, sourcePath: s?.path ?? join(folder.sourcePath, sourceNames.encode(name)),
                    destinationPath: p.destinationPath, onSource: sourceDir, onDestination: destinationDir))
            return p
        }
        func queueSubfolders() throws {
            try pending.endBatch()
            for next in try pending.upcoming(prefetch) { _ = start(next) }
        }
        if sourceEntries.isSpilled || destinationEntries.isSpilled {
            // A huge folder is read back from disk once: subfolders are found while visiting.
            try TreeMarch.merge(sourceEntries, destinationEntries) { name, s, d in
                try visit(try note(name, s, d) ?? pair(name, s, d))
            }
            try queueSubfolders()
            return
        }
        // First pass: find the subfolders, queue them and start listing the next ones. Second
        // pass: visit. Two cheap passes over sorted arrays beat holding a folder's pairs.
        try TreeMarch.merge(sourceEntries, destinationEntries) { name, s, d in _ = try note(name, s, d) }
        try queueSubfolders()
        try TreeMarch.merge(sourceEntries, destinationEntries) { name, s, d in try visit(pair(name, s, d)) }
    }

    /// Folders listed ahead of the march.
    let prefetch = 2

    /// Both sides of one folder, filled in by the lister threads.
    // Unchecked: each side is written by its lister before it signals `done`, read after the wait.
    final class FolderListing: @unchecked Sendable {
        var source: Result<SortedEntries, Error> = .success(.empty)
        var destination: Result<SortedEntries, Error> = .success(.empty)
        /// What resolving the source's collisions found, reported when the folder is visited.
        var collisions: [Collision] = []
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

    /// One folder's entries that the filter keeps, sorted by key bytes. Names are decoded from
    /// their store's encoding first.
    func children(_ calls: AccountCalls, _ listed: String, relative: String, decoder: NameEncoder) throws
        -> SortedEntries
    {
        try calls.call { try childrenOnce(calls.session, listed, relative: relative, decoder: decoder) }
    }

    private func childrenOnce(_ session: Session, _ listed: String, relative: String, decoder: NameEncoder) throws
        -> SortedEntries
    {
        var entries = ListingCollector(limit: spillAfter)
        let relativePrefix = relative.isEmpty ? "" : relative + "/"
        let listedSlash = listed.isEmpty ? "" : listed + "/"
        let cut = listedSlash.utf8.count
        try session.list(listed) { entry in
            // The name is what follows "<listed folder>/" (checked, since a connector may err).
            let raw =
                entry.path.utf8.count > cut && bytesStart(entry.path, with: listedSlash)
                ? String(Substring(entry.path.utf8.dropFirst(cut))) : String(entry.name)
            let name = decoder.decode(raw)
            if filter.isEmpty || filter.includes(entry, relative: relativePrefix + name) {
                try entries.add(Named(name: name, key: names.foldsKeys ? names.key(name) : name, entry: entry))
            }
        }
        return try entries.finish()
    }

    /// Merges two key-sorted folders, pairing equal keys (byte-exact).
    static func merge(_ a: SortedEntries, _ b: SortedEntries, _ body: (String, Entry?, Entry?) throws -> Void) throws {
        if let x = a.array, let y = b.array { return try merge(x, y, body) }
        var left = try a.makeCursor()
        var right = try b.makeCursor()
        var x = try left.next()
        var y = try right.next()
        while x != nil || y != nil {
            if let s = x, let d = y, bytesEqual(s.key, d.key) {
                try body(s.name, s.entry, d.entry)
                x = try left.next()
                y = try right.next()
            } else if let s = x, y.map({ bytesPrecede(s.key, $0.key) }) ?? true {
                try body(s.name, s.entry, nil)
                x = try left.next()
            } else if let d = y {
                try body(d.name, nil, d.entry)
                y = try right.next()
            }
        }
    }

    /// The same for two folders held in memory, without cursors.
    static func merge(_ a: [Named], _ b: [Named], _ body: (String, Entry?, Entry?) throws -> Void) rethrows {
        var i = 0
        var j = 0
        while i < a.count || j < b.count {
            if j == b.count {
                try body(a[i].name, a[i].entry, nil)
                i += 1
            } else if i == a.count {
                try body(b[j].name, nil, b[j].entry)
                j += 1
            } else if bytesEqual(a[i].key, b[j].key) {
                try body(a[i].name, a[i].entry, b[j].entry)
                i += 1
                j += 1
            } else if bytesPrecede(a[i].key, b[j].key) {
                try body(a[i].name, a[i].entry, nil)
                i += 1
            } else {
                try body(b[j].name, nil, b[j].entry)
                j += 1
            }
        }
    }
}
