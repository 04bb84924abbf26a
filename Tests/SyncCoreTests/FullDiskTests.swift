import Foundation
import Testing

extension EngineTests {
    /// A destination that fills up: the file that does not fit fails alone, with one line saying
    /// which file, where and why; no half-written file is left; the files that fit land. The
    /// destination is a 1 MiB tmpfs mounted in a private mount namespace (`unshare`), so the test
    /// needs no spare disk and leaves nothing mounted.
    @Test func aFullDiskFailsTheFileThatDoesNotFitAndLeavesNothingHalfWritten() throws {
        let full = work + "/full"
        try FileManager.default.createDirectory(atPath: full, withIntermediateDirectories: true)
        // Inside the namespace: mount, copy, then report what the destination holds (hidden files
        // too), since the mount vanishes with the namespace. One transfer at a time: with more,
        // small files written while the big one fills the disk fail too (correctly, but not
        // always the same ones).
        let script = """
            mount -t tmpfs -o size=1m tmpfs "$1" || exit 99
            "$2" copy "$3" "$1/dst" --transfers 1 > "$4/out" 2> "$4/err"
            echo $? > "$4/status"
            cd "$1/dst" && find . -printf '%P\\t%s\\n' > "$4/listing"
            """
        let out = try TestSupport.run(
            "/usr/bin/unshare", ["-r", "-m", "sh", "-c", script, "sh", full, TestSupport.cli, src, work],
            environment: ["HOME": home, "XDG_CONFIG_HOME": home + "/.config"])
        #expect(out.status == 0, "cannot make a small tmpfs in a mount namespace: \(out.stderr)")
        func read(_ name: String) -> String { (try? String(contentsOfFile: work + "/" + name, encoding: .utf8)) ?? "" }

        #expect(read("status").trimmingCharacters(in: .whitespacesAndNewlines) == "1")
        let errors = read("err").split(separator: "\n").filter { $0.hasPrefix("sync-core: error:") }
        #expect(errors.count == 1, "\(read("err"))")
        let line = String(errors.first ?? "")
        #expect(line.contains("Series/Show/Season 1/E01.mkv"), "\(line)")
        #expect(line.contains("No space left on device"), "\(line)")
        #expect(line.contains("'\(full)/dst/Series/Show/Season 1/E01.mkv'"), "the path as the user knows it: \(line)")

        // (NFC and NFD names are one key to a Swift dictionary; the ones checked are ASCII.)
        let listing = Dictionary(
            read("listing").split(separator: "\n").compactMap { row -> (String, Int)? in
                let parts = row.split(separator: "\t", omittingEmptySubsequences: false)
                return parts.count == 2 ? (String(parts[0]), Int(parts[1]) ?? -1) : nil
            }, uniquingKeysWith: { first, _ in first })
        // The 3 MiB file is not there, under its name or a hidden partial one.
        #expect(listing.keys.allSatisfy { !$0.contains("E01.mkv") || $0.contains("Season 2") }, "\(listing.keys)")
        #expect(listing.keys.allSatisfy { !$0.contains("partial") }, "\(listing.keys)")
        // Everything that fits landed whole.
        #expect(listing["Series/Show/Season 2/E01.mkv"] == 200_000)
        #expect(listing["Series/Show/Season 1/E01.en.srt"] == 1000)
        #expect(listing["empty.txt"] == 0)
        #expect(listing["Empty folder"] != nil)
    }
}
