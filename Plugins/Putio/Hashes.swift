/// Put.io reports one content hash: CRC-32 (IEEE, zlib's) as 8 lowercase hex digits.
enum PutioHashes {
    /// Lowercased and padded to 8 digits; nil for missing or malformed values (treated as no hash).
    static func normalize(_ value: String?) -> String? {
        guard let value, !value.isEmpty, value.count <= 8, value.allSatisfy(\.isHexDigit) else { return nil }
        return String(repeating: "0", count: 8 - value.count) + value.lowercased()
    }
}
