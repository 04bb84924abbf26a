import Foundation
import SyncHashes
import Testing

/// OneDrive's quickXorHash against the vectors in ../shared/api/onedrive.md §4.1 (OneDrive writes
/// it in base64; sync-core keeps hex), and streamed in pieces of every size.
@Suite struct QuickXorHashTests {
    @Test func publishedVectors() {
        let vectors: [([UInt8], String)] = [
            ([], "AAAAAAAAAAAAAAAAAAAAAAAAAAA="),
            ([0x4A], "SgAAAAAAAAAAAAAAAQAAAAAAAAA="),
            ([0xB5, 0xB4], "taAFAAAAAAAAAAAAAgAAAAAAAAA="),
            (Array("hello world".utf8), "aCgDG9jwBhDc4Q1yawMZAAAAAAA="),
        ]
        for (content, base64) in vectors {
            let expected = Data(base64Encoded: base64)!.map { String(format: "%02x", $0) }.joined()
            #expect(MultiHasher.digest(content, [.quickxor])[.quickxor] == expected, "\(content.count) bytes")
            #expect(QuickXorHasher.hex(fromBase64: base64) == expected)
        }
        #expect(QuickXorHasher.hex(fromBase64: "not base64!") == nil)
    }

    @Test func streamedInAnyPiecesMatchesOneShot() {
        let data = (0..<100_003).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ $0 >> 5) }
        let whole = MultiHasher.digest(data, [.quickxor])[.quickxor]
        for piece in [1, 159, 160, 161, 4096, 100_003] {
            var hasher = QuickXorHasher()
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
}
