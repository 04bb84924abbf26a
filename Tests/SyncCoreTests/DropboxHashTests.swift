import SyncHashes
import Testing

/// Dropbox's content_hash against the vectors in ../shared/api/dropbox.md §4 (rclone's, N bytes of
/// 'A'), and streamed in pieces that cut its 4 MiB blocks anywhere.
@Suite struct DropboxHashTests {
    @Test func publishedVectors() {
        let vectors: [(Int, String)] = [
            (0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
            (1, "1cd6ef71e6e0ff46ad2609d403dc3fee244417089aa4461245a4e4fe23a55e42"),
            (4_194_304, "d4d63bac5b866c71620185392a8a6218ac1092454a2d16f820363b69852befa3"),
            (4_194_305, "8f553da8d00d0bf509d8470e242888be33019c20c0544811f5b2b89e98360b92"),
            (8_388_608, "e08b3ba1f538804075c5f939accdeaa9efc7b5c01865c94a41e78ca6550a88e7"),
        ]
        for (count, hash) in vectors {
            let content = [UInt8](repeating: 0x41, count: count)
            #expect(MultiHasher.digest(content, [.dropbox])[.dropbox] == hash, "\(count) bytes of 'A'")
        }
    }

    @Test func streamedInAnyPiecesMatchesOneShot() {
        let data = (0..<9_000_001).map { UInt8(truncatingIfNeeded: $0 &* 131 &+ $0 >> 11) }
        let whole = MultiHasher.digest(data, [.dropbox])[.dropbox]
        for piece in [1 << 20, 4_194_303, 4_194_304, 4_194_305, 9_000_001] {
            var hasher = DropboxContentHasher()
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
        // Needs no size first: a stream of unknown length has one.
        #expect(MultiHasher([.dropbox]).kinds == [.dropbox])
    }
}
