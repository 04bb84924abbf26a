/// OneDrive's quickXorHash: every byte XORed into a 160-bit accumulator at a bit offset that
/// advances by 11 per byte (wrapping within the 160 bits), then the total length XORed, as a
/// 64-bit little-endian number, into the last 8 bytes. OneDrive shows it in base64; here it is
/// hex, like every other kind (the connector converts what the server lists).
public struct QuickXorHasher: StreamHasher {
    private var accumulator = [UInt8](repeating: 0, count: 20)
    /// Bit offset of the next byte: (position × 11) mod 160.
    private var shift = 0
    private var length: UInt64 = 0

    public init() {}

    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard !bytes.isEmpty else { return }
        var shift = self.shift
        accumulator.withUnsafeMutableBufferPointer { acc in
            for byte in bytes {
                let index = shift >> 3
                let bit = shift & 7
                let value = UInt16(byte) << UInt16(bit)
                acc[index] ^= UInt8(truncatingIfNeeded: value)
                if bit != 0 { acc[index == 19 ? 0 : index + 1] ^= UInt8(truncatingIfNeeded: value >> 8) }
                shift += 11
                if shift >= 160 { shift -= 160 }
            }
        }
        self.shift = shift
        length &+= UInt64(bytes.count)
    }

    public mutating func finalizeHex() -> String {
        var out = accumulator
        for k in 0..<8 { out[12 + k] ^= UInt8(truncatingIfNeeded: length >> (8 * UInt64(k))) }
        return hexString(out)
    }

    /// OneDrive's base64 spelling of a hash as hex, or nil when it is not 20 bytes of base64.
    public static func hex(fromBase64 text: String) -> String? {
        guard let bytes = Base64.decode(text), bytes.count == 20 else { return nil }
        return hexString(bytes)
    }
}

/// Standard base64 decoding (padded), for hashes that providers list that way.
enum Base64 {
    static func decode(_ text: String) -> [UInt8]? {
        var values: [UInt8] = []
        for c in text.utf8 where c != UInt8(ascii: "=") {
            switch c {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): values.append(c - UInt8(ascii: "A"))
            case UInt8(ascii: "a")...UInt8(ascii: "z"): values.append(c - UInt8(ascii: "a") + 26)
            case UInt8(ascii: "0")...UInt8(ascii: "9"): values.append(c - UInt8(ascii: "0") + 52)
            case UInt8(ascii: "+"): values.append(62)
            case UInt8(ascii: "/"): values.append(63)
            default: return nil
            }
        }
        var out: [UInt8] = []
        var buffer: UInt32 = 0
        var bits = 0
        for v in values {
            buffer = buffer << 6 | UInt32(v)
            bits += 6
            if bits >= 8 {
                bits -= 8
                out.append(UInt8(truncatingIfNeeded: buffer >> UInt32(bits)))
            }
        }
        return out
    }
}
