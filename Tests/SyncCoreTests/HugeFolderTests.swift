import Foundation
import Testing

extension EngineTests {
    /// A folder bigger than `--spill-after` (here 7 entries, so a small tree will do) is sorted on
    /// disk in runs and merged back: every command must do exactly what it does in memory.
    @Test func aFolderOverTheMemoryLimitIsPlannedOnDiskWithTheSameResults() throws {
        let fm = FileManager.default
        for sub in ["Big/sub b", "Big/sub a/deeper"] {
            try fm.createDirectory(atPath: src + "/" + sub, withIntermediateDirectories: true)
        }
        // Listed in an order unlike the sorted one, so runs interleave.
        for i in 0..<120 {
            try write("Big/file \(i * 37 % 120).bin", bytes: i % 9 * 100, seed: UInt64(100 + i))
        }
        try write("Big/sub a/deeper/inner.bin", bytes: 10, seed: 99)
        try write("Big/Zeta ✓.bin", bytes: 20, seed: 98)
        #expect(try cli(["copy", src, dst]).status == 0)

        // The destination lacks 30 files, has 5 changed ones and 20 extras beside an extra folder.
        for i in 0..<30 { try fm.removeItem(atPath: dst + "/Big/file \(i * 4).bin") }
        for i in 0..<5 { try write("Big/file \(i * 4 + 1).bin", bytes: 999, seed: UInt64(500 + i), root: dst) }
        for i in 0..<20 { try write("Big/extra \(i).bin", bytes: 3, seed: UInt64(600 + i), root: dst) }
        try fm.createDirectory(atPath: dst + "/Big/old/stuff", withIntermediateDirectories: true)
        try write("Big/old/stuff/gone.bin", bytes: 3, seed: 700, root: dst)

        let spill = ["--spill-after", "7"]
        func differences(_ extra: [String]) throws -> [String: String] {
            let check = try cli(["check", src, dst, "--json"] + extra)
            #expect(check.status == 1, "\(check.stderr)")
            return Dictionary(
                uniqueKeysWithValues: events(check, "differs").map { ($0["path"] as! String, $0["reason"] as! String) })
        }
        let onDisk = try differences(spill)
        #expect(onDisk == (try differences([])))
        #expect(onDisk.count == 30 + 5 + 20 + 1 + 1 + 1, "\(onDisk.keys.sorted())")
        #expect(onDisk["Big/file 0.bin"] == "only in the source")
        #expect(onDisk["Big/extra 19.bin"] == "only in the destination")
        #expect(onDisk["Big/old/stuff/gone.bin"] == "only in the destination")

        // No room to spill: the folder's listing fails with one line, and the sync deletes nothing.
        let noRoom = try cli(["sync", src, dst] + spill, environment: ["TMPDIR": work + "/no-such-tmp"])
        #expect(noRoom.status == 1)
        #expect(noRoom.stderr.contains("cannot make a temporary file in \(work)/no-such-tmp"), "\(noRoom.stderr)")
        #expect(fm.fileExists(atPath: dst + "/Big/extra 0.bin"))
        #expect(fm.fileExists(atPath: dst + "/Big/old/stuff/gone.bin"))

        let sync = try cli(["sync", src, dst, "--json"] + spill)
        #expect(sync.status == 0, "\(sync.stderr)")
        #expect(summary(sync)["copied"] as? Int == 35)
        #expect(summary(sync)["deleted"] as? Int == 20 + 1 + 2, "\(summary(sync))")
        #expect(try snapshot(dst) == snapshot(src))

        let again = try cli(["copy", src, dst, "--json"] + spill)
        #expect(summary(again)["copied"] as? Int == 0)
        #expect(summary(again)["skipped"] as? Int == 120 + 2 + 7)
    }

    /// Folders waiting to be visited are spilled too: a folder with more subfolders than
    /// `--spill-after` is walked whole, depth first, each subfolder once.
    @Test func moreSubfoldersThanTheMemoryLimitAreAllWalked() throws {
        let fm = FileManager.default
        for i in 0..<40 {
            let dir = "Wide/dir \(i * 17 % 40)"
            try fm.createDirectory(atPath: src + "/" + dir, withIntermediateDirectories: true)
            try write(dir + "/file.bin", bytes: i * 10, seed: UInt64(i))
        }
        for i in stride(from: 0, to: 40, by: 10) {
            for j in 0..<12 {
                try fm.createDirectory(atPath: src + "/Wide/dir \(i)/inner \(j)", withIntermediateDirectories: true)
                try write("Wide/dir \(i)/inner \(j)/deep.bin", bytes: 5, seed: UInt64(900 + j))
            }
        }
        try fm.createDirectory(atPath: src + "/Wide/dir 3/empty", withIntermediateDirectories: true)
        let files = try snapshot(src).values.filter { $0 != nil }.count  // with the suite's own few
        let copy = try cli(["copy", src, dst, "--json", "--spill-after", "5"])
        #expect(copy.status == 0, "\(copy.stderr)")
        #expect(summary(copy)["copied"] as? Int == files)
        #expect(try snapshot(dst) == snapshot(src))
        let again = try cli(["copy", src, dst, "--json", "--spill-after", "5"])
        #expect(summary(again)["copied"] as? Int == 0)
        #expect(summary(again)["skipped"] as? Int == files)
    }
}
