import CCRC32
import Foundation
import SyncConfig
import SyncHashes
import Testing

@Suite struct HashVectorTests {
    @Test func knownVectors() {
        let check = Array("123456789".utf8)
        let d = MultiHasher.digest(check, HashKind.allCases)
        #expect(d[.crc32] == "cbf43926")
        #expect(d[.md5] == "25f9e794323b453885f5181f1b624d0b")
        #expect(d[.sha1] == "f7c3bc1d808e04732adf679965ccc34ca7ae3441")
        #expect(d[.sha256] == "15e2b0d3c33891ebb0f1ef609ec419420c20e320ce94c65fbc8c3312448eb225")
        let empty = MultiHasher.digest([], [.crc32, .md5])
        #expect(empty[.crc32] == "00000000")
        #expect(empty[.md5] == "d41d8cd98f00b204e9800998ecf8427e")
    }

    @Test func chunkingDoesNotMatter() {
        let data = (0..<100_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        var h = MultiHasher([.crc32, .sha256])
        data.withUnsafeBytes { raw in
            var i = 0
            while i < raw.count {
                let n = min(777, raw.count - i)
                h.update(UnsafeRawBufferPointer(rebasing: raw[i..<i + n]))
                i += n
            }
        }
        #expect(h.finalize() == MultiHasher.digest(data, [.crc32, .sha256]))
    }

    /// The carry-less CRC-32 must equal zlib's for every length (the 16-byte tail, the 64-byte
    /// minimum), alignment and starting value.
    @Test func acceleratedCRC32AgreesWithZlib() throws {
        let cpu = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        #if arch(x86_64)
            if cpu.contains(" pclmulqdq") && cpu.contains(" sse4_1") {
                #expect(sc_crc32_is_accelerated() == 1, "this CPU can multiply carry-less: the fast path must be on")
            }
        #endif
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        let data = (0..<70_000).map { _ -> UInt8 in
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            return UInt8(truncatingIfNeeded: state)
        }
        data.withUnsafeBytes { raw in
            let base = raw.baseAddress!
            let lengths = Array(0...300) + [1023, 1024, 1025, 4095, 65_536, 69_000]
            for length in lengths {
                for offset in [0, 1, 7, 15] {
                    for start: UInt32 in [0, 0xFFFF_FFFF, 0x1234_5678] {
                        let fast = sc_crc32(start, base + offset, length)
                        let slow = sc_crc32_portable(start, base + offset, length)
                        if fast != slow {
                            Issue.record("length \(length) offset \(offset) start \(start): \(fast) != \(slow)")
                            return
                        }
                    }
                }
            }
        }
        #expect(sc_crc32(0, "123456789", 9) == 0xCBF4_3926)
    }

    @Test func oneOrderOfPreferenceCoversEveryKind() {
        #expect(HashKind.preference.count == HashKind.allCases.count)
        #expect(Set(HashKind.preference) == Set(HashKind.allCases))
        #expect(HashKind.preferred(among: [.md5, .sha256, .crc32]) == .crc32)
        #expect(HashKind.preferred(among: [.md5, .sha1]) == .sha1, "SHA-1 before MD5, not by ABI number")
        #expect(HashKind.preferred(among: []) == nil)
    }

    @Test func bitSets() {
        #expect(HashKind.set(of: [.crc32, .md5]) == 0b110)
        #expect(HashKind.kinds(inSet: 0b110 | (1 << 40)) == [.crc32, .md5])
    }
}

@Suite struct RemoteSpecTests {
    @Test func accounts() throws {
        #expect(try RemoteSpec.parse("putio:a") == RemoteSpec(connector: "putio", account: "a", path: ""))
        #expect(
            try RemoteSpec.parse("putio:a/Movies/2024/")
                == RemoteSpec(connector: "putio", account: "a", path: "Movies/2024"))
        #expect(
            try RemoteSpec.parse("s3:wasabi/bucket//prefix")
                == RemoteSpec(connector: "s3", account: "wasabi", path: "bucket/prefix"))
        #expect(
            try RemoteSpec.parse("sftp:nas/media with space")
                == RemoteSpec(connector: "sftp", account: "nas", path: "media with space"))
    }

    @Test func localPaths() throws {
        #expect(
            try RemoteSpec.parse("local:/srv/data") == RemoteSpec(connector: "local", account: nil, path: "srv/data"))
        #expect(try RemoteSpec.parse("/srv/data/") == RemoteSpec(connector: "local", account: nil, path: "srv/data"))
        #expect(
            try RemoteSpec.parse("rel/dir", currentDirectory: "/home/u")
                == RemoteSpec(connector: "local", account: nil, path: "home/u/rel/dir"))
        #expect(
            try RemoteSpec.parse("./a:b", currentDirectory: "/x")
                == RemoteSpec(connector: "local", account: nil, path: "x/a:b"))
        #expect(try RemoteSpec.parse("local:nas/x") == RemoteSpec(connector: "local", account: "nas", path: "x"))
        #expect(try RemoteSpec.parse("/") == RemoteSpec(connector: "local", account: nil, path: ""))
        #expect(
            try RemoteSpec.parse("../up/./x", currentDirectory: "/a/b")
                == RemoteSpec(connector: "local", account: nil, path: "a/up/x"))
        #expect(try RemoteSpec.parse("/../..") == RemoteSpec(connector: "local", account: nil, path: ""))
    }

    @Test func malformed() {
        for (text, fragment) in [
            ("", "empty remote"), ("putio:", "missing account"), ("putio:/x", "missing account"),
            ("Put IO:a", "connector name"), ("putio:a/../b", "'..'"), ("putio:a/./b", "'.'"), ("local:/x/../y", "'..'"),
            ("putio:a b/x", "account name"), (":a", "connector name"),
        ] {
            do {
                _ = try RemoteSpec.parse(text, currentDirectory: "/")
                Issue.record("'\(text)' parsed")
            } catch {
                #expect(error.description.contains(fragment), "'\(text)': \(error.description)")
                #expect(!error.description.contains("\n"))
            }
        }
    }
}

@Suite struct ConfigStoreTests {
    func tempPath() -> String {
        let dir = TestSupport.temporaryDirectory("config")
        return dir + "/sub/config.toml"
    }

    @Test func roundTripAndMode() throws {
        let path = tempPath()
        let store = try ConfigStore(path: path)
        let tricky = "quote\" back\\slash\nnewline\ttab ünï 🎬 \u{1} \u{7F}"
        try store.put(
            Account(
                connector: "putio", name: "a", options: ["token": .string(tricky), "n": .int(-5), "flag": .bool(true)]))
        try store.put(Account(connector: "local", name: "nas.home", options: ["root": .string("/mnt/nas")]))
        var st = stat()
        #expect(lstat(path, &st) == 0)
        #expect(st.st_mode & 0o777 == 0o600)
        let again = try ConfigStore(path: path)
        #expect(again.warnings.isEmpty)
        #expect(
            again.account(connector: "putio", name: "a")?.options == [
                "token": .string(tricky), "n": .int(-5), "flag": .bool(true),
            ])
        #expect(again.account(connector: "local", name: "nas.home")?.options["root"] == .string("/mnt/nas"))
        try again.update(connector: "putio", name: "a", changes: ["token": .string("new")])
        #expect(try ConfigStore(path: path).account(connector: "putio", name: "a")?.options["token"] == .string("new"))
        #expect(try again.remove(connector: "putio", name: "a"))
        #expect(try !again.remove(connector: "putio", name: "a"))
        #expect(try ConfigStore(path: path).accounts.map(\.name) == ["nas.home"])
        let leftovers = try FileManager.default.contentsOfDirectory(
            atPath: (path as NSString).deletingLastPathComponent)
        #expect(leftovers == ["config.toml"])
    }

    @Test func readableByOthersWarns() throws {
        let path = tempPath()
        try FileManager.default.createDirectory(
            atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try "[local.x]\nroot = \"/\"\n".write(toFile: path, atomically: false, encoding: .utf8)
        chmod(path, 0o644)
        let store = try ConfigStore(path: path)
        #expect(store.warnings.count == 1)
        #expect(store.warnings.first?.contains("chmod 600") == true)
    }

    @Test func malformedFilesSayWhere() throws {
        let path = tempPath()
        try FileManager.default.createDirectory(
            atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        for (text, fragment) in [
            ("[local.x]\nroot = \n", "line 2"), ("local = 3\n", "must be a table of accounts"),
            ("[local]\nx = 1\n", "'local.x' must be a table"), ("[local.x]\nroot = [1, 2]\n", "option 'root'"),
        ] {
            try text.write(toFile: path, atomically: false, encoding: .utf8)
            do {
                _ = try ConfigStore(path: path)
                Issue.record("accepted: \(text)")
            } catch {
                #expect(error.description.contains(path))
                #expect(error.description.contains(fragment), "\(error.description)")
            }
        }
    }
}
