import Foundation
import SyncHashes
import Testing

@testable import SyncCore
@testable import SyncHost

/// Huge folders are sorted on disk: what comes back must be exactly what went in, in order.
@Suite struct SpillTests {
    func named(_ i: Int) -> TreeMarch.Named {
        // Names that sort differently from their numbers, unicode and long ones among them.
        let name = i % 7 == 0 ? "Ünïcode \(i * 7919 % 1000) ✓ with a long tail of text" : "f\(i * 7919 % 1009)"
        var entry = Entry(
            path: "some/folder/" + name, kind: i % 5 == 0 ? .directory : .file,
            size: i % 3 == 0 ? nil : Int64(i * 1000), mtimeNanoseconds: i % 4 == 0 ? nil : Int64(i) * 1_000_000_007,
            id: i % 2 == 0 ? "id-\(i)" : nil,
            hashes: i % 6 == 0 ? [.md5: "md5-\(i)", .crc32: "\(i)"] : [:])
        entry.readID = i % 11 == 0 ? "read-\(i)" : nil
        entry.pathIsValidUTF8 = i % 13 != 0
        return TreeMarch.Named(name: name, key: i % 2 == 0 ? name.lowercased() : name, entry: entry)
    }

    func readAll(_ entries: SortedEntries) throws -> [TreeMarch.Named] {
        var cursor = try entries.makeCursor()
        var out: [TreeMarch.Named] = []
        while let next = try cursor.next() { out.append(next) }
        return out
    }

    func same(_ a: [TreeMarch.Named], _ b: [TreeMarch.Named]) -> Bool {
        a.count == b.count
            && zip(a, b).allSatisfy {
                bytesEqual($0.name, $1.name) && bytesEqual($0.key, $1.key) && $0.entry == $1.entry
                    && $0.entry.readID == $1.entry.readID && $0.entry.pathIsValidUTF8 == $1.entry.pathIsValidUTF8
            }
    }

    @Test func spilledRunsComeBackMergedAndWhole() throws {
        let input = (0..<2_000).map(named)
        var collector = ListingCollector(limit: 37)
        for entry in input { try collector.add(entry) }
        let spilled = try collector.finish()
        #expect(spilled.isSpilled)
        #expect(spilled.count == input.count)
        let expected = input.sorted(by: SortedEntries.precedes)
        #expect(same(try readAll(spilled), expected))
        // A cursor reads from the start every time.
        #expect(same(try readAll(spilled), expected))

        var small = ListingCollector(limit: 10_000)
        for entry in input { try small.add(entry) }
        let held = try small.finish()
        #expect(!held.isSpilled)
        #expect(same(try readAll(held), expected))
    }

    /// The sort compares the keys' first 8 bytes as a number first: it must still give byte order
    /// where keys share those bytes, end inside them, or hold bytes of 0x80 and up.
    @Test func sortingByKeyPrefixKeepsByteOrder() throws {
        var names = ["", "a", "ab", "abcdefgh", "abcdefghi", "abcdefgh\u{1}", "abcdefgg~", "abcdefgi", "é", "e\u{301}"]
        names += ["\u{7F}", "\u{80}", "ÿ", "z", "Z", "12345678", "1234567", "123456789", "abcdefg\u{0}", "A"]
        names += (0..<300).map { "shared-prefix-\($0 * 7919 % 997)" } + (0..<50).map { "ab\($0)" }
        let input = names.enumerated().map { i, name in
            // Pairs of keys that are equal (case folded) make the names decide.
            TreeMarch.Named(
                name: name, key: i % 3 == 0 ? name.lowercased() : name,
                entry: Entry(path: "d/" + name, kind: .file, size: Int64(i)))
        }
        let expected = input.sorted(by: SortedEntries.precedes)
        #expect(same(ListingCollector.sorted(input), expected))
        #expect(same(ListingCollector.sorted(input.reversed()), input.reversed().sorted(by: SortedEntries.precedes)))
        let prefixes = ["", "a", "ab", "abcdefgh", "abcdefghi", "ÿ"].map(ListingCollector.keyPrefix)
        #expect(prefixes == prefixes.sorted())
    }

    @Test func changesApplyInOrderOnBothKinds() throws {
        let input = (0..<500).map(named)
        for limit in [16, 10_000] {
            var collector = ListingCollector(limit: limit)
            for entry in input { try collector.add(entry) }
            var entries = try collector.finish()
            var expected = input.sorted(by: SortedEntries.precedes)
            // Drop two, replace one, add two with keys of their own.
            var replacement = expected[10]
            replacement.entry.readID = "by-id"
            entries.replaced[10] = replacement
            entries.dropped = [3, 499]
            let added = ["f (2)", "zzz last"].map {
                TreeMarch.Named(name: $0, key: $0, entry: Entry(path: $0, kind: .file, size: 1))
            }
            entries.added = added
            expected[10] = replacement
            expected.remove(at: 499)
            expected.remove(at: 3)
            expected = (expected + added).sorted(by: SortedEntries.precedes)
            #expect(same(try readAll(entries), expected), "limit \(limit)")
        }
    }

    @Test func aSpillThatCannotBeWrittenIsAnErrorNamingWhere() throws {
        var collector = ListingCollector(limit: 2, directory: "/nonexistent-sync-core-tmp")
        try collector.add(named(1))
        do {
            try collector.add(named(2))
            Issue.record("a spill into a missing folder succeeded")
        } catch let error as SpillFile.Failure {
            #expect("\(error)".contains("/nonexistent-sync-core-tmp"), "\(error)")
        }
    }

    @Test func aSpooledListOfPathsComesBackInOrder() throws {
        let pairs = (0..<3_000).map { ("Big/extra \($0) ✓.bin", "root/Big/extra \($0) ✓.bin") }
        var spool = PathSpool(limit: 5)
        for (a, b) in pairs { try spool.append(a, b) }
        #expect(spool.count == pairs.count)
        var back: [(String, String)] = []
        try spool.forEachPair { back.append(($0, $1)) }
        #expect(back.count == pairs.count)
        #expect(zip(back, pairs).allSatisfy { bytesEqual($0.0, $1.0) && bytesEqual($0.1, $1.1) })

        var nowhere = PathSpool(limit: 1, directory: "/nonexistent-sync-core-tmp")
        try nowhere.append("a", "b")
        #expect(throws: SpillFile.Failure.self) { try nowhere.append("c", "d") }
    }

    /// The march's folders still to visit, spilled past a small limit, come back depth first with
    /// siblings in order, each once, and what is listed ahead is what comes next.
    @Test func foldersStillToVisitComeBackDepthFirstPastTheLimit() throws {
        func children(_ path: String) -> [String] {
            let depth = path.split(separator: "/").count
            let count = path.isEmpty ? 50 : path.hasSuffix("3") && depth < 3 ? 30 : depth == 1 ? 2 : 0
            return (0..<count).map { (path.isEmpty ? "" : path + "/") + String(format: "d%02d", $0) }
        }
        func expected(_ path: String) -> [String] { [path] + children(path).flatMap(expected) }
        func folder(_ path: String) -> TreeMarch.Folder {
            .init(
                relative: path, sourcePath: "src：/" + path, destinationPath: "dst/" + path, onSource: true,
                onDestination: path.count % 2 == 0)
        }
        let scratch = TestSupport.temporaryDirectory("folder-stack")
        var stack = FolderStack(limit: 8, directory: scratch)
        try stack.add(folder(""))
        try stack.endBatch()
        var visited: [String] = []
        var promised: [String] = []
        var mostHeld = 0
        while let next = try stack.pop() {
            #expect(next.destinationPath == "dst/" + next.relative && next.sourcePath == "src：/" + next.relative)
            #expect(next.onDestination == (next.relative.count % 2 == 0) && next.onSource)
            if !promised.isEmpty { #expect(next.relative == promised.removeFirst()) }
            visited.append(next.relative)
            for child in children(next.relative) { try stack.add(folder(child)) }
            try stack.endBatch()
            promised = try stack.upcoming(2).map(\.relative)
            mostHeld = max(mostHeld, stack.held)
        }
        #expect(visited == expected(""))
        #expect(mostHeld <= 8 + 4, "held \(mostHeld) folders in memory")

        var nowhere = FolderStack(limit: 1, directory: "/nonexistent-sync-core-tmp")
        try nowhere.add(folder("a"))
        #expect(throws: SpillFile.Failure.self) { try nowhere.add(folder("b")) }
    }
}
