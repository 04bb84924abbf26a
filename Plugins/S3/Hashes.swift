import ConnectorKit
import Crypto
import Foundation

/// What S3's ETags say about content, and the `mtime` user metadata rclone also uses.
enum S3Hashes {
    /// The object's MD5 when its ETag is one: 32 hex digits (a multipart ETag ends in `-N`; SSE-C
    /// and SSE-KMS ETags are not digests of the content at all).
    static func md5(fromETag etag: String?, encrypted: Bool = false) -> String? {
        guard let etag, !encrypted else { return nil }
        let bare = unquoted(etag).lowercased()
        guard bare.utf8.count == 32, bare.allSatisfy(\.isHexDigit) else { return nil }
        return bare
    }

    /// rclone's `md5chksum` metadata (base64 of the raw digest), kept where the ETag is no MD5.
    static func md5(fromBase64 value: String?) -> String? {
        guard let value, let raw = Data(base64Encoded: value), raw.count == 16 else { return nil }
        return SigV4Signer.hex(raw)
    }

    static func base64(fromHex hex: String) -> String? {
        let digits = Array(hex.utf8)
        guard digits.count % 2 == 0 else { return nil }
        var raw: [UInt8] = []
        for i in stride(from: 0, to: digits.count, by: 2) {
            guard let byte = UInt8(String(decoding: digits[i..<(i + 2)], as: UTF8.self), radix: 16) else { return nil }
            raw.append(byte)
        }
        return Data(raw).base64EncodedString()
    }

    static func unquoted(_ etag: String) -> String {
        var s = Substring(etag)
        if s.hasPrefix("W/") { s = s.dropFirst(2) }
        if s.hasPrefix("\"") && s.hasSuffix("\"") && s.count >= 2 { s = s.dropFirst().dropLast() }
        return String(s)
    }

    /// The ETag S3 gives a completed multipart upload: MD5 of the parts' raw MD5s, then `-count`.
    static func multipartETag(partDigests: [[UInt8]]) -> String {
        var md5 = Insecure.MD5()
        for digest in partDigests { md5.update(data: digest) }
        return SigV4Signer.hex(md5.finalize()) + "-\(partDigests.count)"
    }

    /// Unix seconds with up to nine fractional digits, trailing zeros dropped: `1700000000.5`.
    static func formatMtime(_ nanoseconds: Int64) -> String {
        var seconds = nanoseconds / 1_000_000_000
        var fraction = nanoseconds % 1_000_000_000
        if fraction < 0 {
            seconds -= 1
            fraction += 1_000_000_000
        }
        guard fraction != 0 else { return String(seconds) }
        var digits = String(fraction)
        digits = String(repeating: "0", count: 9 - digits.count) + digits
        while digits.hasSuffix("0") { digits.removeLast() }
        return "\(seconds).\(digits)"
    }

    /// Parses `formatMtime`'s form (and plain or exponent-free decimals) without going through
    /// Double, which would lose the nanoseconds.
    static func parseMtime(_ text: String?) -> Int64? {
        guard let text = text?.trimmingCharacters(in: .whitespaces), !text.isEmpty else { return nil }
        let parts = text.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        let negative = parts[0].hasPrefix("-")
        guard let whole = Int64(parts[0]) else { return nil }
        var fraction: Int64 = 0
        if parts.count == 2 {
            var digits = String(parts[1].prefix(9))
            guard digits.allSatisfy(\.isNumber) else { return nil }
            digits += String(repeating: "0", count: 9 - digits.count)
            fraction = Int64(digits) ?? 0
        }
        let (product, overflow) = whole.multipliedReportingOverflow(by: 1_000_000_000)
        guard !overflow else { return nil }
        return negative ? product - fraction : product + fraction
    }

    /// An HTTP date (`Last-Modified`) or an ISO 8601 time (listings) as nanoseconds.
    static func parseTime(_ text: String?) -> Int64? {
        guard let text else { return nil }
        if let date = (try? iso8601.parse(text)) ?? httpDate.date(from: text) {
            return Int64((date.timeIntervalSince1970 * 1000).rounded()) * 1_000_000
        }
        return nil
    }

    /// Parses with and without fractional seconds, `Z` or an offset; a value type, safe to share.
    private static let iso8601 = Date.ISO8601FormatStyle()
    private static let httpDate: DateFormatter = {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "GMT")
        f.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        return f
    }()

    static func base64MD5(_ bytes: UnsafeRawBufferPointer) -> (base64: String, digest: [UInt8]) {
        let digest = Array(Insecure.MD5.hash(data: bytes))
        return (Data(digest).base64EncodedString(), digest)
    }
}
