import Foundation
import SyncHost

/// One folder's entries in pairing order (key bytes, then name bytes). A folder up to `limit`
/// entries is an array; a bigger one is spilled as sorted runs to a `SpillFile` while it is listed
/// and read back merged, so memory is bounded by `limit`, not by the folder.
///
/// Read it with `makeCursor()`, as often as needed: each cursor reads from the start.
struct SortedEntries {
    fileprivate enum Storage {
        case memory([TreeMarch.Named])
        case spilled(SpillFile, runs: [Range<Int64>])
    }

    fileprivate var storage: Storage
    /// Entries, before any collision was resolved.
    let count: Int
    /// Changes made after listing: entries replaced or dropped (by their position in the sorted
    /// order) and entries added (sorted; their keys are new to the folder).
    var replaced: [Int: TreeMarch.Named] = [:]
    var dropped: Set<Int> = []
    var added: [TreeMarch.Named] = []

    static let empty = SortedEntries(storage: .memory([]), count: 0)

    /// The entries themselves when they are held in memory with nothing changed.
    var array: [TreeMarch.Named]? {
        if case .memory(let entries) = storage, replaced.isEmpty, dropped.isEmpty, added.isEmpty { return entries }
        return nil
    }

    var isSpilled: Bool {
        if case .spilled = storage { return true }
        return false
    }

    init(_ entries: [TreeMarch.Named]) {
        self.init(storage: .memory(entries), count: entries.count)
    }

    fileprivate init(storage: Storage, count: Int) {
        self.storage = storage
        self.count = count
    }

    func makeCursor() throws -> EntryCursor {
        switch storage {
        case .memory(let entries):
            return EntryCursor(source: .memory(entries, 0), changes: self)
        case .spilled(let file, let runs):
            return EntryCursor(source: .runs(try RunMerger(file: file, runs: runs)), changes: self)
        }
    }

    /// The pairing order. Equal keys (a collision) are ordered by the names' own bytes, so which
    /// one is kept is the same on every run.
    static func precedes(_ a: TreeMarch.Named, _ b: TreeMarch.Named) -> Bool {
        bytesPrecede(a.key, b.key) || (bytesEqual(a.key, b.key) && bytesPrecede(a.name, b.name))
    }
}

/// Gathers a listing: sorts it when it ends, or spills sorted runs as it grows past `limit`.
struct ListingCollector {
    let limit: Int
    /// Where to spill; nil: `SpillFile.defaultDirectory`, looked up only when needed.
    let directory: String?
    private var buffer: [TreeMarch.Named] = []
    private var spill: SpillFile?
    private var runs: [Range<Int64>] = []
    private var count = 0

    init(limit: Int, directory: String? = nil) {
        self.limit = max(1, limit)
        self.directory = directory
    }

    mutating func add(_ entry: TreeMarch.Named) throws {
        buffer.append(entry)
        count += 1
        if buffer.count >= limit { try spillBuffer() }
    }

    /// Sorts by moving indices, not the entries (about 140 bytes each), then gathers once. Each
    /// index carries its key's first 8 bytes as a number, so most comparisons are one integer
    /// comparison: only keys that share those bytes are compared as strings.
    static func sorted(_ entries: [TreeMarch.Named]) -> [TreeMarch.Named] {
        guard entries.count > 1 else { return entries }
        var order = entries.indices.map { (prefix: keyPrefix(entries[$0].key), index: $0) }
        order.sort { a, b in
            a.prefix != b.prefix ? a.prefix < b.prefix : SortedEntries.precedes(entries[a.index], entries[b.index])
        }
        return order.map { entries[$0.index] }
    }

    /// The first 8 bytes of a key, big-endian, zero-padded: ordered as the bytes are, because a
    /// shorter key's padding sorts before any byte a longer one has there.
    static func keyPrefix(_ key: String) -> UInt64 {
        var prefix: UInt64 = 0
        var shift: UInt64 = 56
        for byte in key.utf8.prefix(8) {
            prefix |= UInt64(byte) << shift
            shift &-= 8
        }
        return prefix
    }

    private mutating func spillBuffer() throws {
        buffer = ListingCollector.sorted(buffer)
        if spill == nil { spill = try SpillFile(directory: directory ?? SpillFile.defaultDirectory) }
        runs.append(try spill!.append(buffer))
        buffer.removeAll(keepingCapacity: true)
    }

    mutating func finish() throws -> SortedEntries {
        guard let spill else { return SortedEntries(ListingCollector.sorted(buffer)) }
        if !buffer.isEmpty { try spillBuffer() }
        buffer = []
        return SortedEntries(storage: .spilled(spill, runs: runs), count: count)
    }
}

/// Reads a `SortedEntries` in order, applying its changes.
struct EntryCursor {
    fileprivate enum Source {
        case memory([TreeMarch.Named], Int)
        case runs(RunMerger)
    }

    fileprivate var source: Source
    private let replaced: [Int: TreeMarch.Named]
    private let dropped: Set<Int>
    private let added: [TreeMarch.Named]
    private let unchanged: Bool
    private var position = 0
    private var addedIndex = 0
    private var pending: TreeMarch.Named?

    fileprivate init(source: Source, changes: SortedEntries) {
        self.source = source
        replaced = changes.replaced
        dropped = changes.dropped
        added = changes.added
        unchanged = replaced.isEmpty && dropped.isEmpty && added.isEmpty
    }

    /// The next entry without the changes, or nil at the end.
    private mutating func nextListed() throws -> TreeMarch.Named? {
        switch source {
        case .memory(let entries, let index):
            guard index < entries.count else { return nil }
            source = .memory(entries, index + 1)
            return entries[index]
        case .runs(let merger):
            return try merger.next()
        }
    }

    /// The next entry, or nil at the end.
    mutating func next() throws -> TreeMarch.Named? {
        if unchanged { return try nextListed() }
        if pending == nil {
            while let listed = try nextListed() {
                defer { position += 1 }
                if dropped.contains(position) { continue }
                pending = replaced[position] ?? listed
                break
            }
        }
        if addedIndex < added.count, pending.map({ SortedEntries.precedes(added[addedIndex], $0) }) ?? true {
            addedIndex += 1
            return added[addedIndex - 1]
        }
        defer { pending = nil }
        return pending
    }
}

/// Merges sorted runs of a spill file: a binary heap of run readers, smallest entry on top; equal
/// entries come in run order, so the merge is stable.
final class RunMerger {
    private var readers: [RunReader]
    private var heap: [Int] = []

    init(file: SpillFile, runs: [Range<Int64>]) throws {
        readers = runs.map { RunReader(file: file, range: $0) }
        for index in readers.indices where try readers[index].advance() {
            heap.append(index)
            siftUp(heap.count - 1)
        }
    }

    func next() throws -> TreeMarch.Named? {
        guard let top = heap.first else { return nil }
        let entry = readers[top].current!
        if try readers[top].advance() {
            siftDown(0)
        } else {
            heap.swapAt(0, heap.count - 1)
            heap.removeLast()
            if !heap.isEmpty { siftDown(0) }
        }
        return entry
    }

    private func less(_ a: Int, _ b: Int) -> Bool {
        let (i, j) = (heap[a], heap[b])
        // Compared in place: copying the entries out would retain and release every string.
        let order = readers[i].order(readers[j])
        return order < 0 || (order == 0 && i < j)
    }

    private func siftUp(_ start: Int) {
        var child = start
        while child > 0 {
            let parent = (child - 1) / 2
            guard less(child, parent) else { return }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    private func siftDown(_ start: Int) {
        var parent = start
        while true {
            let left = 2 * parent + 1
            guard left < heap.count else { return }
            let right = left + 1
            let smaller = right < heap.count && less(right, left) ? right : left
            guard less(smaller, parent) else { return }
            heap.swapAt(smaller, parent)
            parent = smaller
        }
    }
}

/// Reads one run of a spill file record by record (`u32` length, then the payload), through a
/// buffer of its own.
struct RunReader {
    let file: SpillFile
    var range: Range<Int64>
    private(set) var current: TreeMarch.Named?
    private var buffer: [UInt8] = []
    private var at = 0

    init(file: SpillFile, range: Range<Int64>) {
        self.file = file
        self.range = range
    }

    /// The pairing order of the current entries: negative, zero or positive.
    func order(_ other: RunReader) -> Int {
        let x = current.unsafelyUnwrapped
        let y = other.current.unsafelyUnwrapped
        if bytesPrecede(x.key, y.key) { return -1 }
        if !bytesEqual(x.key, y.key) { return 1 }
        return bytesPrecede(x.name, y.name) ? -1 : bytesEqual(x.name, y.name) ? 0 : 1
    }

    /// Moves to the next entry; false at the run's end.
    mutating func advance() throws -> Bool {
        current = try nextRecord(SpillRecord.decode)
        return current != nil
    }

    /// Decodes the next record's payload; nil at the run's end.
    mutating func nextRecord<T>(_ decode: (UnsafeRawBufferPointer) -> T) throws -> T? {
        guard try fill(4) else { return nil }
        let length = Int(buffer.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: at, as: UInt32.self) })
        guard try fill(4 + length) else {
            throw SpillFile.Failure(description: "a huge listing came back short from \(file.directory)")
        }
        defer { at += 4 + length }
        return buffer.withUnsafeBytes { decode(UnsafeRawBufferPointer(rebasing: $0[at + 4..<at + 4 + length])) }
    }

    /// Makes `count` bytes available from `at`; false when the run ends before any of them.
    private mutating func fill(_ count: Int) throws -> Bool {
        if buffer.count - at >= count { return true }
        buffer.removeFirst(at)
        at = 0
        while buffer.count < count && !range.isEmpty {
            let want = Int(min(Int64(max(64 << 10, count - buffer.count)), Int64(range.count)))
            let got = try file.read(at: range.lowerBound, count: want, into: &buffer)
            guard got > 0 else { break }
            range = range.lowerBound + Int64(got)..<range.upperBound
        }
        if buffer.count >= count { return true }
        if buffer.isEmpty { return false }
        throw SpillFile.Failure(description: "a huge listing came back short from \(file.directory)")
    }
}
