import Foundation

/// Pairs of paths kept for the end of a run (a sync's deletions), in the order they came: in
/// memory up to `limit`, the rest in a `SpillFile`, so a destination with a million extras does not
/// hold a million paths.
struct PathSpool {
    let limit: Int
    /// Where to spill; nil: `SpillFile.defaultDirectory`, looked up only when needed.
    let directory: String?
    private var held: [(String, String)] = []
    private var spill: SpillFile?
    private var spilled: [Range<Int64>] = []
    private var pending: [UInt8] = []
    private(set) var count = 0

    init(limit: Int, directory: String? = nil) {
        self.limit = max(1, limit)
        self.directory = directory
    }

    mutating func append(_ first: String, _ second: String) throws {
        count += 1
        if spill == nil && held.count < limit {
            held.append((first, second))
            return
        }
        if spill == nil { spill = try SpillFile(directory: directory ?? SpillFile.defaultDirectory) }
        withUnsafeBytes(of: UInt32(8 + first.utf8.count + second.utf8.count)) { pending.append(contentsOf: $0) }
        for part in [first, second] {
            withUnsafeBytes(of: UInt32(part.utf8.count)) { pending.append(contentsOf: $0) }
            pending.append(contentsOf: part.utf8)
        }
        if pending.count >= 1 << 20 { try flush() }
    }

    private mutating func flush() throws {
        guard let spill, !pending.isEmpty else { return }
        spilled.append(try spill.append(records: &pending))
    }

    /// Every pair, in the order appended.
    mutating func forEachPair(_ body: (String, String) throws -> Void) throws {
        for (first, second) in held { try body(first, second) }
        try flush()
        guard let spill else { return }
        for range in spilled {
            var reader = RunReader(file: spill, range: range)
            while let pair = try reader.nextRecord(PathSpool.decode) { try body(pair.0, pair.1) }
        }
    }

    private static func decode(_ payload: UnsafeRawBufferPointer) -> (String, String) {
        var at = 0
        func string() -> String {
            let count = Int(payload.loadUnaligned(fromByteOffset: at, as: UInt32.self))
            defer { at += 4 + count }
            return String(decoding: UnsafeRawBufferPointer(rebasing: payload[at + 4..<at + 4 + count]), as: UTF8.self)
        }
        let first = string()
        return (first, string())
    }
}
