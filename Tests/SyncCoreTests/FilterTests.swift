import Foundation
import SyncCore
import SyncHost
import Testing

@Suite struct GlobTests {
    @Test func patterns() throws {
        let cases: [(String, String, Bool)] = [
            ("*.mkv", "a.mkv", true), ("*.mkv", "dir/a.mkv", false), ("**.mkv", "dir/a.mkv", true),
            ("**/*.srt", "a/b/c.srt", true), ("a?c", "abc", true), ("a?c", "a/c", false),
            ("[ab]x", "bx", true), ("[!ab]x", "bx", false), ("[a-c]*", "c1", true), ("*.{mkv,mp4}", "x.mp4", true),
            ("*.{mkv,mp4}", "x.avi", false), ("Season {1,2}/*", "Season 2/e.mkv", true), ("\\*", "*", true),
            ("\\*", "a", false), ("caf\u{E9}", "caf\u{E9}", true), ("*", "", true), ("a**b", "a/x/y/b", true),
        ]
        for (pattern, path, expected) in cases {
            #expect(try Glob(pattern).matches(path) == expected, "\(pattern) ~ \(path)")
        }
        #expect(try Glob("*.MKV", caseInsensitive: true).matches("a.mkv"))
        for bad in ["[abc", "{a,b", "a\\", "[z-a]"] {
            #expect(throws: ConfigError.self) { try Glob(bad) }
        }
    }
}

@Suite struct FilterTests {
    func filter(_ rules: [(Bool, String)]) throws -> Filter {
        var f = Filter()
        f.rules = try rules.map { try Filter.Rule(include: $0.0, pattern: $0.1) }
        return f
    }

    @Test func firstMatchingRuleWins() throws {
        let f = try filter([(false, "*.sample.mkv"), (true, "*.mkv"), (true, "*.srt")])
        #expect(f.includesFile("Movies/a.mkv", size: 1, mtimeNanoseconds: nil))
        #expect(!f.includesFile("Movies/a.sample.mkv", size: 1, mtimeNanoseconds: nil))
        #expect(f.includesFile("deep/er/x.srt", size: 1, mtimeNanoseconds: nil))
        #expect(!f.includesFile("notes.txt", size: 1, mtimeNanoseconds: nil))  // includes exist: the rest is out
        let excludesOnly = try filter([(false, "*.tmp")])
        #expect(excludesOnly.includesFile("notes.txt", size: 1, mtimeNanoseconds: nil))
        #expect(!excludesOnly.includesFile("a/b.tmp", size: 1, mtimeNanoseconds: nil))
    }

    @Test func anchoredAndFolderRules() throws {
        let f = try filter([(false, "/Downloads/"), (false, "cache/")])
        #expect(!f.includesFolder("Downloads"))
        #expect(f.includesFolder("Media/Downloads"))  // anchored: only at the root
        #expect(!f.includesFolder("a/b/cache"))
        #expect(f.includesFile("Downloads", size: 1, mtimeNanoseconds: nil))  // folder rules do not touch files
    }

    @Test func sizeAgeAndType() throws {
        var f = Filter()
        f.minSize = try Filter.parseSize("1k")
        f.maxSize = try Filter.parseSize("1.5M")
        f.now = 10_000 * 1_000_000_000
        f.minAgeNanoseconds = try Filter.parseAge("1h")
        f.types = [.video, .subtitle]
        let old = f.now - 7200 * 1_000_000_000
        #expect(f.includesFile("a.mkv", size: 2048, mtimeNanoseconds: old))
        #expect(!f.includesFile("a.mkv", size: 100, mtimeNanoseconds: old))  // too small
        #expect(!f.includesFile("a.mkv", size: 2 << 20, mtimeNanoseconds: old))  // too large
        #expect(!f.includesFile("a.mkv", size: 2048, mtimeNanoseconds: f.now - 60 * 1_000_000_000))  // too new
        #expect(!f.includesFile("a.mkv", size: 2048, mtimeNanoseconds: nil))  // age unknown
        #expect(!f.includesFile("a.txt", size: 2048, mtimeNanoseconds: old))  // wrong type
        #expect(f.includesFile("a.SRT", size: 2048, mtimeNanoseconds: old))
        #expect(f.includesFolder("any"))
    }

    @Test func parsing() throws {
        #expect(try Filter.parseSize("500") == 500)
        #expect(try Filter.parseSize("100k") == 102_400)
        #expect(try Filter.parseSize("2GiB") == 2 << 30)
        #expect(try Filter.parseAge("7d") == 7 * 86_400 * 1_000_000_000)
        #expect(try Filter.parseAge("90") == 90 * 1_000_000_000)
        for bad in ["", "ten", "-1", "5x"] {
            #expect(throws: ConfigError.self) { try Filter.parseSize(bad) }
        }
        #expect(throws: ConfigError.self) { try Filter.parseAge("1 fortnight") }
        let file = TestSupport.temporaryDirectory("rules") + "/rules"
        try "# media only\n+ *.mkv\n\n- *\n".write(toFile: file, atomically: true, encoding: .utf8)
        let rules = try Filter.rules(fromFile: file)
        #expect(rules.map(\.include) == [true, false])
        try "+ *.mkv\nbogus\n".write(toFile: file, atomically: true, encoding: .utf8)
        #expect {
            _ = try Filter.rules(fromFile: file)
        } throws: { ($0 as? ConfigError)?.description.contains("line 2") == true }
    }
}
