import Foundation
import SyncHashes
import SyncHost
import Synchronization

extension ConformanceSuite {
    static let checks: [Check] = [
        Check(name: "descriptor", body: descriptor),
        Check(name: "mkdir-and-stat", body: mkdirAndStat),
        Check(name: "write-read-known-size", body: writeReadKnownSize),
        Check(name: "write-unknown-size", body: writeUnknownSize),
        Check(name: "empty-file", body: emptyFile),
        Check(name: "ranged-reads", body: rangedReads),
        Check(name: "list", body: listFolder),
        Check(name: "not-found", body: notFound),
        Check(name: "exists-and-replace", body: existsAndReplace),
        Check(name: "wrong-kind", body: wrongKind),
        Check(name: "abort-leaves-nothing", body: abortLeavesNothing),
        Check(name: "short-write-refused", body: shortWriteRefused),
        Check(name: "mtime", body: mtimeKept),
        Check(name: "remove-and-rmdir", body: removeAndRmdir),
        Check(name: "remove-many", body: removeMany),
        Check(name: "move", body: moveCheck),
        Check(name: "copy", body: copyCheck),
        Check(name: "names", body: names),
        Check(name: "hostile-paths", body: hostilePaths),
        Check(name: "hash-on-demand", body: hashOnDemand),
        Check(name: "about", body: aboutCheck),
        Check(name: "resume", body: resume),
        Check(name: "known-hashes", body: knownHashes),
        Check(name: "reader-entry", body: readerEntry),
        Check(name: "large-file-bounded-memory", body: largeFile),
        Check(name: "concurrent-calls", body: concurrent),
    ]

    static func descriptor(_ c: Context) throws {
        let p = c.plugin
        try c.expect(!p.version.isEmpty, "empty version")
        try c.expect(!p.summary.isEmpty, "empty description")
        try c.expect(p.mtimePrecisionNanoseconds >= 0, "negative mtime precision")
        try c.expect(
            !p.capabilities.contains(.setMtime) || p.mtimePrecisionNanoseconds > 0,
            "declares set-mtime but mtime precision is 0")
        try c.expect(p.capabilities.rawValue >> 32 == 0, "reserved capability bits 32-63 are set")
        // A bit that an optional call stands behind comes with the call, and the other way round.
        for (bit, name, slot, has) in [
            (Capabilities.serverMove, "server-move", "move", p.supportsMove),
            (.serverCopy, "server-copy", "copy", p.supportsCopy),
            (.hashOnDemand, "hash-on-demand", "hash", p.supportsHash),
        ] {
            let declared = p.capabilities.contains(bit)
            try c.expect(
                declared == has,
                declared ? "declares \(name) but has no \(slot)()" : "has \(slot)() but does not declare \(name)")
        }
        // suspend() is optional for a resumable store (without it the host aborts), never without one.
        try c.expect(
            !p.supportsSuspend || p.capabilities.contains(.resumableUpload),
            "has suspend() but does not declare resumable-upload")
        try c.expect(Set(p.options.map(\.name)).count == p.options.count, "options schema names an option twice")
        let root = try c.session.stat("")
        try c.expect(root.isDirectory, "stat of the root is not a folder")
    }

    static func mkdirAndStat(_ c: Context) throws {
        let deep = c.path("a/b/c")
        try c.session.mkdir(deep)
        for p in [c.path("a"), c.path("a/b"), deep] {
            let e = try c.session.stat(p)
            try c.expect(e.isDirectory, "'\(p)' is not a folder after mkdir")
            try c.expect(e.path == p, "stat('\(p)') reported path '\(e.path)'")
        }
        try c.session.mkdir(deep)  // existing folder: success
    }

    static func writeReadKnownSize(_ c: Context) throws {
        let data = pattern(300_001)
        try c.write(c.path("file.bin"), data)
        let stat = try c.session.stat(c.path("file.bin"))
        try c.expect(stat.size == Int64(data.count), "stat size \(stat.size ?? -1), expected \(data.count)")
        try c.expect(try c.readAll(c.path("file.bin")) == data, "content read back differs from what was written")
        // A small caller buffer must work as well as a large one.
        try c.expect(
            try c.readAll(c.path("file.bin"), bufferSize: 1000) == data,
            "content differs when read with a 1000-byte buffer")
    }

    static func writeUnknownSize(_ c: Context) throws {
        try c.require(.unknownSize, "unknown-size uploads")
        let data = pattern(200_000, seed: 7)
        try c.write(c.path("streamed.bin"), data, knownSize: false, chunk: 7777)
        try c.expect(try c.readAll(c.path("streamed.bin")) == data, "content of an unknown-size upload differs")
    }

    static func emptyFile(_ c: Context) throws {
        try c.write(c.path("empty"), [])
        let e = try c.session.stat(c.path("empty"))
        try c.expect(
            !e.isDirectory && e.size == 0, "empty file: stat says \(e.isDirectory ? "folder" : "size \(e.size ?? -1)")")
        try c.expect(try c.readAll(c.path("empty")).isEmpty, "empty file read back non-empty")
    }

    static func rangedReads(_ c: Context) throws {
        try c.require(.rangedRead, "ranged reads")
        let data = pattern(100_000, seed: 3)
        let p = c.path("ranged.bin")
        try c.write(p, data)
        for (offset, length) in [(0, 10), (1, 1), (4095, 4097), (99_999, 1), (50_000, nil), (0, nil), (100_000, nil)]
            as [(Int, Int?)]
        {
            let got = try c.readAll(p, offset: Int64(offset), length: length.map(Int64.init))
            let end = length.map { min(offset + $0, data.count) } ?? data.count
            try c.expect(
                got == Array(data[offset..<end]),
                "read at \(offset) length \(length.map(String.init) ?? "to end") returned wrong bytes (\(got.count) bytes)"
            )
        }
        let past = try c.readAll(p, offset: 200_000, length: 10)
        try c.expect(past.isEmpty, "read past the end returned \(past.count) bytes")
    }

    static func listFolder(_ c: Context) throws {
        try c.write(c.path("one.txt"), Array("one".utf8))
        try c.write(c.path("two.txt"), Array("two!".utf8))
        try c.session.mkdir(c.path("sub"))
        try c.write(c.path("sub/inner.txt"), Array("inner".utf8))
        let found = try c.names(in: c.dir)
        try c.expect(
            Set(found.keys) == ["one.txt", "two.txt", "sub"],
            "listing shows \(found.keys.sorted()), expected [one.txt, sub, two.txt]")
        try c.expect(found["one.txt"]?.size == 3 && found["two.txt"]?.size == 4, "listing reports wrong sizes")
        try c.expect(found["sub"]?.isDirectory == true, "'sub' is not listed as a folder")
        try c.expect(
            found["one.txt"]?.path == c.path("one.txt"),
            "entry path is '\(found["one.txt"]?.path ?? "")', expected the full path")
        var below: [String] = []
        try c.session.listRecursive(c.dir) { below.append($0.path) }
        let expected = ["one.txt", "two.txt", "sub", "sub/inner.txt"].map(c.path).sorted()
        try c.expect(below.sorted() == expected, "recursive listing shows \(below.sorted()), expected \(expected)")
        // Stopping a listing from the callback must stop it, and report why.
        struct Stop: Error {}
        var seen = 0
        do {
            try c.session.list(c.dir) { _ in
                seen += 1
                throw Stop()
            }
            throw CheckFailure(description: "listing went on after the host stopped it")
        } catch is Stop {
            try c.expect(seen == 1, "listing called back \(seen) times after the host stopped it")
        }
    }

    static func notFound(_ c: Context) throws {
        let missing = c.path("missing")
        try c.expectError(.notFound, what: "stat of a missing file") { _ = try c.session.stat(missing) }
        try c.expectError(.notFound, what: "list of a missing folder") { try c.session.list(missing) { _ in } }
        try c.expectError(.notFound, what: "read of a missing file") {
            _ = try c.session.openReader(missing).read(into: .allocate(byteCount: 1, alignment: 1))
        }
        try c.expectError(.notFound, what: "remove of a missing file") { try c.session.remove(missing) }
        try c.expectError(.notFound, what: "rmdir of a missing folder") { try c.session.rmdir(missing) }
    }

    static func existsAndReplace(_ c: Context) throws {
        let p = c.path("target")
        try c.write(p, Array("first".utf8))
        try c.expectError(.exists, what: "writing over an existing file without replace") {
            let w = try c.session.openWriter(p, options: .init(size: 6))
            try Array("second".utf8).withUnsafeBytes { try w.write($0) }
            _ = try w.finish()
        }
        try c.expect(try c.readAll(p) == Array("first".utf8), "a refused overwrite changed the file")
        try c.write(p, Array("second".utf8), replace: true)
        try c.expect(try c.readAll(p) == Array("second".utf8), "replace did not replace the content")
    }

    static func wrongKind(_ c: Context) throws {
        try c.write(c.path("file"), Array("x".utf8))
        try c.session.mkdir(c.path("folder"))
        try c.expectError(.notADirectory, .notFound, .invalidArgument, what: "list of a file") {
            try c.session.list(c.path("file")) { _ in }
        }
        try c.expectError(.isADirectory, .invalidArgument, what: "remove of a folder") {
            try c.session.remove(c.path("folder"))
        }
        try c.expectError(.isADirectory, .notFound, what: "read of a folder") { _ = try c.readAll(c.path("folder")) }
        try c.expectError(.exists, .notADirectory, .isADirectory, what: "mkdir over a file") {
            try c.session.mkdir(c.path("file"))
        }
        try c.expectError(.isADirectory, .exists, what: "writing a file over a folder") {
            let w = try c.session.openWriter(c.path("folder"), options: .init(size: 1, replace: true))
            try Array("x".utf8).withUnsafeBytes { try w.write($0) }
            _ = try w.finish()
        }
        try c.expect(
            try c.session.stat(c.path("folder")).isDirectory, "the folder did not survive an attempt to write over it")
    }

    static func abortLeavesNothing(_ c: Context) throws {
        let p = c.path("aborted.bin")
        let w = try c.session.openWriter(p, options: .init(size: 100_000))
        try pattern(50_000).withUnsafeBytes { try w.write($0) }
        w.abort()
        try c.expect(try c.session.statIfExists(p) == nil, "an aborted write left '\(p)' behind")
        let left = try c.names(in: c.dir)
        try c.expect(left.isEmpty, "an aborted write left \(left.keys.sorted()) in the listing")
        // Aborting a replace keeps the old content.
        try c.write(p, Array("old".utf8))
        let again = try c.session.openWriter(p, options: .init(size: 3, replace: true))
        try Array("new".utf8).withUnsafeBytes { try again.write($0) }
        again.abort()
        try c.expect(try c.readAll(p) == Array("old".utf8), "an aborted replace changed the existing file")
    }

    static func shortWriteRefused(_ c: Context) throws {
        let p = c.path("short.bin")
        try c.expectError(.invalidArgument, .corrupt, what: "finishing with fewer bytes than declared") {
            let w = try c.session.openWriter(p, options: .init(size: 10))
            try Array("12345".utf8).withUnsafeBytes { try w.write($0) }
            _ = try w.finish()
        }
        try c.expect(try c.session.statIfExists(p) == nil, "a refused short write left '\(p)' visible")
    }

    static func mtimeKept(_ c: Context) throws {
        try c.require(.setMtime, "set-mtime")
        let precision = max(c.plugin.mtimePrecisionNanoseconds, 1)
        let mtime: Int64 = 1_600_000_000_123_456_789
        let p = c.path("dated")
        let finished = try c.write(p, Array("dated".utf8), mtime: mtime)
        for (what, e) in [("finish", finished), ("stat", try c.session.stat(p))] {
            guard let got = e.mtimeNanoseconds else { throw CheckFailure(description: "\(what) reports no mtime") }
            try c.expect(
                abs(got - mtime) < precision, "\(what) reports mtime \(got), expected \(mtime) within \(precision) ns")
        }
    }

    static func removeAndRmdir(_ c: Context) throws {
        try c.session.mkdir(c.path("full"))
        try c.write(c.path("full/child"), Array("c".utf8))
        try c.expectError(.notEmpty, what: "rmdir of a non-empty folder") { try c.session.rmdir(c.path("full")) }
        try c.expect(try c.session.statIfExists(c.path("full/child")) != nil, "a refused rmdir removed the child")
        try c.session.remove(c.path("full/child"))
        try c.expect(try c.session.statIfExists(c.path("full/child")) == nil, "remove left the file")
        try c.session.rmdir(c.path("full"))
        try c.expect(try c.session.statIfExists(c.path("full")) == nil, "rmdir left the folder")
    }

    /// ABI 1.4 `remove_many`: files go, a path already gone counts as done, a folder is refused
    /// and kept with what it holds.
    static func removeMany(_ c: Context) throws {
        guard c.session.removesMany else { throw Skip(reason: "connector has no remove_many") }
        let files = (0..<3).map { c.path("many/f\($0)") }
        for file in files { try c.write(file, Array(file.utf8)) }
        try c.write(c.path("many/kept/inner"), [1])
        let outcomes = try c.session.removeMany(files + [c.path("many/missing"), c.path("many/kept")])
        try c.expect(outcomes.count == 5, "remove_many answered \(outcomes.count) outcomes for 5 paths")
        for (i, file) in files.enumerated() {
            try c.expect(
                outcomes[i] == nil, "remove_many of '\(file)': \(outcomes[i].map(String.init(describing:)) ?? "")")
            try c.expect(try c.session.statIfExists(file) == nil, "remove_many left '\(file)'")
        }
        try c.expect(
            outcomes[3] == nil, "a path already gone is not done: \(outcomes[3].map(String.init(describing:)) ?? "")")
        try c.expect(
            outcomes[4]?.code == .isADirectory,
            "a folder: expected IS_A_DIRECTORY, got \(String(describing: outcomes[4]))")
        try c.expect(
            try c.session.statIfExists(c.path("many/kept/inner")) != nil, "remove_many removed a folder's file")
    }

    static func moveCheck(_ c: Context) throws {
        guard c.plugin.supportsMove else { throw Skip(reason: "connector has no move") }
        let data = pattern(10_000, seed: 11)
        try c.write(c.path("from"), data)
        try c.session.move(c.path("from"), to: c.path("deeper/to"))
        try c.expect(try c.session.statIfExists(c.path("from")) == nil, "move left the source")
        try c.expect(try c.readAll(c.path("deeper/to")) == data, "moved file has different content")
        try c.write(c.path("other"), Array("o".utf8))
        try c.expectError(.exists, what: "move onto an existing file") {
            try c.session.move(c.path("other"), to: c.path("deeper/to"))
        }
        try c.session.mkdir(c.path("dir/inner"))
        try c.session.move(c.path("dir"), to: c.path("dir2"))
        try c.expect(try c.session.stat(c.path("dir2/inner")).isDirectory, "moving a folder lost its children")
    }

    static func copyCheck(_ c: Context) throws {
        guard c.plugin.supportsCopy else { throw Skip(reason: "connector has no server-side copy") }
        let data = pattern(70_000, seed: 5)
        try c.write(c.path("orig"), data)
        try c.session.copy(c.path("orig"), to: c.path("sub/copy"))
        try c.expect(try c.readAll(c.path("orig")) == data, "copy changed the source")
        try c.expect(try c.readAll(c.path("sub/copy")) == data, "copy has different content")
        try c.expectError(.exists, what: "copy onto an existing file") {
            try c.session.copy(c.path("orig"), to: c.path("sub/copy"))
        }
    }

    static func names(_ c: Context) throws {
        let nfc = "caf\u{E9}"  // é precomposed
        let nfd = "cafe\u{301}"  // e + combining acute
        var names = [
            "with space", " leading", "trailing ", "emoji 🎬🍿", "日本語のファイル", "a'b\"c", "semi;colon", "percent%41",
            "+plus&amp", nfc,
        ]
        if c.plugin.nameRules.forbiddenCharacters.contains("\\") == false { names.append("back\\slash") }
        if !c.plugin.nameRules.nfcOnly && !c.plugin.nameRules.caseInsensitive { names.append(nfd) }
        if c.plugin.nameRules.noLeadingSpace { names.removeAll { $0.hasPrefix(" ") } }
        if c.plugin.nameRules.noTrailingSpace { names.removeAll { $0.hasSuffix(" ") } }
        // Characters the store declares it refuses are the host's to encode, not the store's to keep.
        let forbidden = Set(c.plugin.nameRules.forbiddenCharacters.unicodeScalars)
        names.removeAll { $0.unicodeScalars.contains(where: forbidden.contains) }
        for (i, name) in names.enumerated() {
            try c.write(c.path(name), Array("name \(i)".utf8))
        }
        try c.session.mkdir(c.path("folder ✓"))
        try c.write(c.path("folder ✓/inside ✓"), Array("inside".utf8))
        // An array, not a dictionary: Swift's String equality folds NFC and NFD together, and the
        // check must see them as the distinct names the store keeps.
        var listed: [Entry] = []
        try c.session.list(c.dir) { listed.append($0) }
        for (i, name) in names.enumerated() {
            guard let entry = listed.first(where: { $0.name.unicodeScalars.elementsEqual(name.unicodeScalars) }) else {
                throw CheckFailure(
                    description:
                        "name '\(name)' (scalars \(name.unicodeScalars.map { String($0.value, radix: 16) })) is not listed byte-exact"
                )
            }
            try c.expect(try c.readAll(entry.path) == Array("name \(i)".utf8), "content of '\(name)' differs")
        }
        try c.expect(
            try c.readAll(c.path("folder ✓/inside ✓")) == Array("inside".utf8), "file in a unicode folder differs")
    }

    static func hostilePaths(_ c: Context) throws {
        for bad in ["../escape", c.path("../../escape"), c.path("./x"), c.path("a//b"), "/absolute", c.path("x/")] {
            try c.expectError(.invalidArgument, .notFound, what: "stat of '\(bad)'") { _ = try c.session.stat(bad) }
            try c.expectError(.invalidArgument, what: "writing '\(bad)'") {
                let w = try c.session.openWriter(bad, options: .init(size: 1))
                try Array("x".utf8).withUnsafeBytes { try w.write($0) }
                _ = try w.finish()
            }
            try c.expectError(.invalidArgument, what: "mkdir '\(bad)'") { try c.session.mkdir(bad) }
        }
        // Names made of dots, or starting or ending with them, are names like any other (where the
        // store does not declare that it refuses a trailing dot: the host encodes those).
        for good in ["...", ".hidden", "tail..", "..x"]
        where !(c.plugin.nameRules.noTrailingDot && good.hasSuffix(".")) {
            let p = c.path("dots/\(good)")
            try c.write(p, Array(good.utf8))
            try c.expect(try c.readAll(p) == Array(good.utf8), "content of '\(good)' differs")
        }
    }

    static func hashOnDemand(_ c: Context) throws {
        guard c.session.hasHash else { throw Skip(reason: "connector has no hash operation") }
        let data = pattern(123_457, seed: 13)
        try c.write(c.path("hashed"), data)
        let expected = MultiHasher.digest(data, c.verifiableKinds)
        for kind in c.verifiableKinds {
            let got = try c.session.hash(c.path("hashed"), kind: kind)
            try c.expect(got == expected[kind], "hash(\(kind)) is \(got), expected \(expected[kind]!)")
        }
        let undeclared = HashKind.allCases.filter { !c.plugin.hashKinds.contains($0) }
        if let kind = undeclared.first {
            try c.expectError(.unsupported, what: "hash of an undeclared kind (\(kind))") {
                _ = try c.session.hash(c.path("hashed"), kind: kind)
            }
        }
    }

    static func aboutCheck(_ c: Context) throws {
        guard c.plugin.optionalOperations.contains("about") else { throw Skip(reason: "connector has no about") }
        let a = try c.session.about()
        if let total = a.total, let used = a.used {
            try c.expect(used <= total, "about: used \(used) > total \(total)")
        }
    }

    /// ABI 1.3: a writer told the content's hashes up front stores it as faithfully as one that is
    /// not. A second copy of the same content either takes every byte (offset 0) or none: the
    /// store holds it already (offset = size), and finish then reports a given hash, matching.
    static func knownHashes(_ c: Context) throws {
        let data = pattern(150_001, seed: 29)
        let size = Int64(data.count)
        let given = MultiHasher.digest(data, HashKind.allCases)
        for name in ["known-1.bin", "known-2.bin"] {
            let p = c.path(name)
            let writer = try c.session.openWriter(
                p, options: .init(size: size, wantHashes: c.verifiableKinds, knownHashes: given))
            let entry: Entry
            if writer.startOffset == size {
                entry = try writer.finish()
                let confirmed = given.keys.filter { entry.hashes[$0] != nil }
                try c.expect(
                    !confirmed.isEmpty, "'\(name)': took no bytes, and finish reports none of the hashes given")
                for kind in confirmed {
                    try c.expect(
                        entry.hashes[kind] == given[kind],
                        "'\(name)': took no bytes, and finish reports \(kind) \(entry.hashes[kind]!), not \(given[kind]!)"
                    )
                }
            } else {
                try c.expect(
                    writer.startOffset == 0,
                    "'\(name)': started at \(writer.startOffset) without a resume token (only 0 or the size may be)")
                do {
                    try data.withUnsafeBytes { raw in
                        var offset = 0
                        while offset < raw.count {
                            let n = min(40_000, raw.count - offset)
                            try writer.write(UnsafeRawBufferPointer(rebasing: raw[offset..<offset + n]))
                            offset += n
                        }
                    }
                } catch {
                    writer.abort()
                    throw error
                }
                entry = try writer.finish()
            }
            try c.expect(entry.size == size, "'\(name)': finish reported size \(entry.size ?? -1), expected \(size)")
            try c.expect(try c.readAll(p) == data, "'\(name)': content read back differs from what was written")
        }
    }

    static func resume(_ c: Context) throws {
        try c.require(.resumableUpload, "resumable uploads")
        let data = pattern(24 << 20, seed: 17)
        let p = c.path("resumed.bin")
        var token: String?
        var confirmed: Int64 = 0
        let first = try c.session.openWriter(
            p,
            options: .init(
                size: Int64(data.count), wantHashes: c.verifiableKinds,
                onResumeToken: {
                    token = $0
                    confirmed = $1
                }))
        let half = data.count / 2
        try data.withUnsafeBytes { raw in
            var offset = 0
            while offset < half {
                try first.write(UnsafeRawBufferPointer(rebasing: raw[offset..<min(offset + (1 << 20), half)]))
                offset += 1 << 20
            }
        }
        first.suspend()
        guard let token else { throw CheckFailure(description: "no resume token after writing \(half) bytes") }
        try c.expect(confirmed <= Int64(half), "confirmed offset \(confirmed) beyond the \(half) bytes written")
        try c.expect(try c.session.statIfExists(p) == nil, "a suspended upload is visible at its path")
        let second = try c.session.openWriter(
            p, options: .init(size: Int64(data.count), wantHashes: c.verifiableKinds, resumeToken: token))
        // A store may have kept more than its last checkpoint confirmed (tus counts every byte that
        // arrived), never less, and never more than was written.
        try c.expect(
            second.startOffset >= confirmed && second.startOffset <= Int64(half),
            "resumed at \(second.startOffset), expected between the confirmed \(confirmed) and the \(half) written")
        try data.withUnsafeBytes { raw in
            var offset = Int(second.startOffset)
            while offset < raw.count {
                try second.write(UnsafeRawBufferPointer(rebasing: raw[offset..<min(offset + (1 << 20), raw.count)]))
                offset += 1 << 20
            }
        }
        let entry = try second.finish()
        try c.checkHashes(entry, data, "finish of a resumed upload")
        try c.expect(try c.readAll(p, bufferSize: 1 << 20) == data, "resumed upload has different content")
    }

    /// ABI 1.2 `reader_entry`: what a reader says of its file agrees with stat.
    static func readerEntry(_ c: Context) throws {
        guard c.session.readersDescribeFiles else { throw Skip(reason: "readers do not describe their file") }
        let data = pattern(5000, seed: 23)
        let p = c.path("described")
        let mtime: Int64? = c.plugin.capabilities.contains(.setMtime) ? 1_600_000_000_123_456_789 : nil
        try c.write(p, data, mtime: mtime)
        let stat = try c.session.stat(p)
        for offset: Int64 in [0, 1000] {
            let reader = try c.session.openReader(p, offset: offset, length: nil)
            defer { reader.close() }
            guard let described = reader.describedEntry() else {
                throw CheckFailure(description: "reader_entry is offered but said nothing (offset \(offset))")
            }
            try c.expect(
                described.size == Int64(data.count),
                "reader_entry at offset \(offset) reports size \(described.size ?? -1), expected \(data.count)")
            try c.expect(
                described.mtimeNanoseconds == stat.mtimeNanoseconds,
                "reader_entry reports mtime \(described.mtimeNanoseconds ?? -1), stat \(stat.mtimeNanoseconds ?? -1)")
            try c.expect(
                try c.readAll(p) == data, "reading after reader_entry returned different bytes")
        }
    }

    static func largeFile(_ c: Context) throws {
        let size = 64 << 20
        let chunk = 1 << 20
        let p = c.path("large.bin")
        let block = pattern(chunk, seed: 19)
        let before = residentBytes()
        let writer = try c.session.openWriter(p, options: .init(size: Int64(size), wantHashes: c.verifiableKinds))
        var expected = MultiHasher(c.verifiableKinds, size: Int64(size))
        var peak: Int64 = 0
        try block.withUnsafeBytes { raw in
            for _ in 0..<(size / chunk) {
                try writer.write(raw)
                expected.update(raw)
                peak = max(peak, residentBytes() ?? 0)
            }
        }
        let entry = try writer.finish()
        try c.expect(entry.size == Int64(size), "large file size \(entry.size ?? -1)")
        let wanted = expected.finalize()
        for (kind, value) in wanted {
            try c.expect(
                entry.hashes[kind] == value,
                "large file \(kind) is \(entry.hashes[kind] ?? "missing"), expected \(value)")
        }
        let reader = try c.session.openReader(p)
        defer { reader.close() }
        var readBack = MultiHasher(c.verifiableKinds, size: Int64(size))
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunk, alignment: 16)
        defer { buffer.deallocate() }
        var total = 0
        while true {
            let n = try reader.read(into: buffer)
            if n == 0 { break }
            readBack.update(UnsafeRawBufferPointer(rebasing: buffer[..<n]))
            total += n
            peak = max(peak, residentBytes() ?? 0)
        }
        try c.expect(total == size, "read back \(total) of \(size) bytes")
        try c.expect(readBack.finalize() == wanted, "large file read back differs")
        if let before {
            let growth = peak - before
            try c.expect(
                growth < 48 << 20,
                "memory grew by \(growth >> 20) MiB while streaming 64 MiB: the connector buffers whole files")
        }
    }

    static func concurrent(_ c: Context) throws {
        let workers = 8
        let failures = Mutex<[String]>([])
        DispatchQueue.concurrentPerform(iterations: workers) { i in
            do {
                let data = pattern(150_000 + i, seed: UInt64(100 + i))
                let p = c.path("t\(i)/file")
                try c.session.mkdir(c.path("t\(i)"))
                try c.write(p, data)
                _ = try c.session.stat(p)
                _ = try c.names(in: c.dir)
                guard try c.readAll(p) == data else {
                    throw CheckFailure(description: "worker \(i) read different content")
                }
                try c.session.remove(p)
                try c.session.rmdir(c.path("t\(i)"))
            } catch {
                failures.withLock { $0.append("worker \(i): \(error)") }
            }
        }
        let failed = failures.withLock { $0 }
        try c.expect(failed.isEmpty, failed.joined(separator: "; "))
    }
}
