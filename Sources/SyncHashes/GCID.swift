import Crypto

/// PikPak's GCID (the `hash` of its file objects, and what its uploads are deduplicated by): the
/// content is cut into blocks whose size depends on the file's size, each block is hashed with
/// SHA-1, and the GCID is the SHA-1 of those 20-byte digests in order. The size must be known
/// before the first byte, so a stream of unknown length has no GCID.
///
/// Rendered in lowercase like every other kind here; PikPak writes it in uppercase, and its
/// connector lowercases what the server lists.
public struct GCIDHasher: StreamHasher {
    private let blockSize: Int
    private var block = Insecure.SHA1()
    private var inBlock = 0
    private var digests = Insecure.SHA1()

    public init(size: Int64) { blockSize = GCIDHasher.blockSize(forSize: size) }

    /// 256 KiB, doubled while the file would have more than 512 blocks, up to 2 MiB. A size on a
    /// boundary (exactly 128 or 256 MiB) takes the smaller block, as rclone computes it.
    public static func blockSize(forSize size: Int64) -> Int {
        var block: Int64 = 256 << 10
        while size > 512 * block && block < 2 << 20 { block *= 2 }
        return Int(block)
    }

    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        var rest = bytes
        while !rest.isEmpty {
            let n = min(rest.count, blockSize - inBlock)
            block.update(bufferPointer: UnsafeRawBufferPointer(rebasing: rest.prefix(n)))
            inBlock += n
            rest = UnsafeRawBufferPointer(rebasing: rest.dropFirst(n))
            if inBlock == blockSize { endBlock() }
        }
    }

    public mutating func finalizeHex() -> String {
        if inBlock > 0 { endBlock() }
        return hexString(digests.finalize())
    }

    private mutating func endBlock() {
        let digest = block.finalize()
        digest.withUnsafeBytes { digests.update(bufferPointer: $0) }
        block = Insecure.SHA1()
        inBlock = 0
    }
}

/// PikPak's CID, the key of its `resource/cid` look-up (has the store seen this content?): the
/// SHA-1 of the whole file up to 60 KiB, else of three 20 KiB slices at the start, a third of the
/// way in and the end. Reads only those slices, so it costs three small reads whatever the size.
public enum PikPakCID {
    static let wholeUpTo: Int64 = 0xF000
    static let slice = 0x5000

    /// `read(offset, count)` returns exactly `count` bytes at `offset` of the file.
    public static func of(size: Int64, read: (Int64, Int) throws -> [UInt8]) rethrows -> String {
        var sha = Insecure.SHA1()
        if size <= wholeUpTo {
            sha.update(data: try read(0, Int(size)))
        } else {
            for offset in [0, size / 3, size - Int64(slice)] { sha.update(data: try read(offset, slice)) }
        }
        return hexString(sha.finalize())
    }
}
