import SyncHashes
import Testing

/// PikPak's GCID and CID against the vectors in ../shared/api/pikpak.md §4.
@Suite struct GCIDTests {
    static let vectors: [(content: [UInt8], gcid: String, cid: String)] = [
        ([], "da39a3ee5e6b4b0d3255bfef95601890afd80709", "da39a3ee5e6b4b0d3255bfef95601890afd80709"),
        (
            Array("hello world".utf8), "67becf85308acf0261750da1075681ee5c412f05",
            "2aae6c35c94fcfb415dbe95f408b9ce91ee846ed"
        ),
        (
            [UInt8](repeating: 0, count: 300_000), "5bf7f5505781cf3cc3b71acd8d3aad6541b615e9",
            "d2258cfecefde0e3ad67dd5b9883a2bbc60890e8"
        ),
        (
            [UInt8](repeating: 0x61, count: 1_048_576), "fccd6467c0cfcdca91ec4dd2de26cb275a55d476",
            "49c85476c9f47cca3a12286691d1d4e8e00f9254"
        ),
    ]

    @Test func publishedVectors() {
        for v in Self.vectors {
            #expect(MultiHasher.digest(v.content, [.gcid])[.gcid] == v.gcid, "gcid of \(v.content.count) bytes")
            let cid = PikPakCID.of(size: Int64(v.content.count)) { offset, count in
                Array(v.content[Int(offset)..<Int(offset) + count])
            }
            #expect(cid == v.cid, "cid of \(v.content.count) bytes")
        }
    }

    /// A block boundary falling anywhere in a write, and writes of every size, give the same GCID.
    @Test func streamedInAnyPiecesMatchesOneShot() {
        let data = (0..<700_001).map { UInt8(truncatingIfNeeded: $0 &* 131 &+ $0 >> 9) }
        let whole = MultiHasher.digest(data, [.gcid])[.gcid]
        for piece in [1, 4095, 65_536, 262_144, 262_145, 700_001] {
            var hasher = GCIDHasher(size: Int64(data.count))
            data.withUnsafeBytes { raw in
                var i = 0
                while i < raw.count {
                    let n = min(piece, raw.count - i)
                    hasher.update(UnsafeRawBufferPointer(rebasing: raw[i..<i + n]))
                    i += n
                }
            }
            #expect(hasher.finalizeHex() == whole, "pieces of \(piece)")
        }
    }

    /// rclone's rule, which the notes give with its boundaries: a size exactly on one takes the
    /// smaller block.
    @Test func blockSizeBoundaries() {
        let expected: [(Int64, Int)] = [
            (0, 256 << 10), (134_217_728, 256 << 10), (134_217_729, 512 << 10), (268_435_456, 512 << 10),
            (268_435_457, 1 << 20), (536_870_912, 1 << 20), (536_870_913, 2 << 20), (1 << 40, 2 << 20),
        ]
        for (size, block) in expected {
            #expect(GCIDHasher.blockSize(forSize: size) == block, "block for \(size) bytes")
        }
    }

    /// GCID needs the size before the first byte: a stream of unknown length has none, rather
    /// than a wrong one.
    @Test func noSizeNoGCID() {
        let hasher = MultiHasher([.gcid, .sha1])
        #expect(hasher.kinds == [.sha1])
        #expect(MultiHasher.canCompute(.gcid))
    }
}
