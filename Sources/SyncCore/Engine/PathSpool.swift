import Foundation
import SyncHost

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
    private var pending = SpillRecord.Encoder()
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
        pending.record {
            $0.put(first)
            $0.put(second)
        }
        if pending.bytes.count >= 1 << 20 { try flush() }
    }

    private mutating func flush() throws {
        guard let spill, !pending.bytes.isEmpty else { return }
        spilled.append(try spill.append(records: &pending.bytes))
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
        var fields = SpillRecord.Fields(payload)
        let first = fields.string()
        return (first, fields.string())
    }
}
