import Crypto

/// Dropbox's `content_hash`: the content cut into 4 MiB blocks (the last one shorter, never
/// padded), each block hashed with SHA-256, and the SHA-256 of those 32-byte digests in order.
/// An empty file has no blocks: its hash is the SHA-256 of nothing. Needs no size first, so a
/// stream of unknown length has one.
public struct DropboxContentHasher: StreamHasher {
    public static let blockSize = 4 << 20
    private var block = SHA256()
    private var inBlock = 0
    private var digests = SHA256()

    public init() {}

    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        var rest = bytes
        while !rest.isEmpty {
            let n = min(rest.count, Self.blockSize - inBlock)
            block.update(bufferPointer: UnsafeRawBufferPointer(rebasing: rest.prefix(n)))
            inBlock += n
            rest = UnsafeRawBufferPointer(rebasing: rest.dropFirst(n))
            if inBlock == Self.blockSize { endBlock() }
        }
    }

    public mutating func finalizeHex() -> String {
        if inBlock > 0 { endBlock() }
        return hexString(digests.finalize())
    }

    private mutating func endBlock() {
        let digest = block.finalize()
        digest.withUnsafeBytes { digests.update(bufferPointer: $0) }
        block = SHA256()
        inBlock = 0
    }
}
