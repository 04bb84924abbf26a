import CCRC32
import Crypto

/// A hash computed incrementally over a stream of bytes.
public protocol StreamHasher {
    mutating func update(_ bytes: UnsafeRawBufferPointer)
    /// The lowercase hexadecimal digest. Call once, after the last update.
    mutating func finalizeHex() -> String
}

/// CRC-32 (IEEE, as zlib and Put.io compute it), rendered as `%08x` of the value. Computed by
/// carry-less multiplication where the CPU has it (about 3.5× zlib's speed), so verifying a copy
/// costs little CPU beside the copy itself.
public struct CRC32Hasher: StreamHasher {
    private var value: UInt32 = 0
    public init() {}
    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return }
        value = sc_crc32(value, base, bytes.count)
    }
    public mutating func finalizeHex() -> String { hex32(value) }
}

/// Any swift-crypto hash function as a StreamHasher.
public struct CryptoHasher<H: HashFunction>: StreamHasher {
    private var function = H()
    public init() {}
    public mutating func update(_ bytes: UnsafeRawBufferPointer) { function.update(bufferPointer: bytes) }
    public mutating func finalizeHex() -> String { hexString(function.finalize()) }
}

/// Computes several kinds at once over one pass of the data.
public struct MultiHasher {
    private var hashers: [(HashKind, any StreamHasher)]

    /// Kinds without a local implementation (provider composites not yet written) are skipped, and
    /// so is a kind that needs the size first (GCID) when `size` is nil; `kinds` tells which ones
    /// are computed.
    public init(_ wanted: some Sequence<HashKind>, size: Int64? = nil) {
        hashers = Set(wanted).sorted().compactMap { kind in MultiHasher.make(kind, size: size).map { (kind, $0) } }
    }

    public var kinds: [HashKind] { hashers.map(\.0) }

    /// Whether this build computes `kind` (for GCID: given the file's size).
    public static func canCompute(_ kind: HashKind) -> Bool { make(kind, size: 0) != nil }

    private static func make(_ kind: HashKind, size: Int64?) -> (any StreamHasher)? {
        switch kind {
        case .crc32: CRC32Hasher()
        case .md5: CryptoHasher<Insecure.MD5>()
        case .sha1: CryptoHasher<Insecure.SHA1>()
        case .sha256: CryptoHasher<SHA256>()
        case .gcid: size.map { GCIDHasher(size: $0) }
        case .dropbox: DropboxContentHasher()
        case .quickxor: QuickXorHasher()
        }
    }

    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        for i in hashers.indices { hashers[i].1.update(bytes) }
    }

    public mutating func finalize() -> [HashKind: String] {
        var out: [HashKind: String] = [:]
        for i in hashers.indices { out[hashers[i].0] = hashers[i].1.finalizeHex() }
        return out
    }

    /// Hashes of an in-memory value (tests and small payloads).
    public static func digest(_ bytes: [UInt8], _ kinds: some Sequence<HashKind>) -> [HashKind: String] {
        var hasher = MultiHasher(kinds, size: Int64(bytes.count))
        bytes.withUnsafeBytes { hasher.update($0) }
        return hasher.finalize()
    }
}

private let hexDigits = Array("0123456789abcdef".utf8)

func hexString(_ bytes: some Sequence<UInt8>) -> String {
    var out: [UInt8] = []
    for b in bytes {
        out.append(hexDigits[Int(b >> 4)])
        out.append(hexDigits[Int(b & 0xF)])
    }
    return String(decoding: out, as: UTF8.self)
}

func hex32(_ v: UInt32) -> String {
    hexString([UInt8(v >> 24), UInt8((v >> 16) & 0xFF), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)])
}
