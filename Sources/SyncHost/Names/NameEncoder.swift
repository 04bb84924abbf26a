import Foundation

/// Applies a destination's name rules with a reversible encoding, so that any source name can be
/// stored and read back unchanged:
/// - a forbidden printable ASCII character becomes its full-width twin (`:` → `：`, U+FF1A);
/// - a forbidden control character becomes its Control Picture (U+0001 → `␁`);
/// - a leading or trailing space the store refuses becomes `␠`; a refused trailing dot becomes `．`;
/// - a character that already looks like one of these replacements is escaped with `‛` (U+201B),
///   and so is `‛` itself, so that decoding is exact.
/// Names are compared through `key`: case-folded for case-insensitive stores, NFC for stores that
/// normalise, otherwise the name itself.
public struct NameEncoder: Sendable {
    public let rules: NameRules
    private let forbidden: Set<Unicode.Scalar>
    /// No rule changes any name: encoding and decoding are the identity.
    public let isIdentity: Bool
    /// Keys differ from names (case folding or normalisation).
    public let foldsKeys: Bool

    static let quote: Unicode.Scalar = "\u{201B}"
    static let space: Unicode.Scalar = "\u{2420}"
    static let dot: Unicode.Scalar = "\u{FF0E}"

    public init(rules: NameRules) {
        self.rules = rules
        // '/' cannot occur in a name at all (names that hold it are refused before this).
        forbidden = Set(rules.forbiddenCharacters.unicodeScalars.filter { $0 != "/" })
        isIdentity = forbidden.isEmpty && !rules.noLeadingSpace && !rules.noTrailingSpace && !rules.noTrailingDot
        foldsKeys = rules.caseInsensitive || rules.nfcOnly
    }

    /// The replacement of a forbidden scalar, or nil if it has none (it is then quoted).
    private static func replacement(_ c: Unicode.Scalar) -> Unicode.Scalar? {
        switch c.value {
        case 0x21...0x7E: return Unicode.Scalar(c.value + 0xFEE0)
        case 0x01...0x1F: return Unicode.Scalar(c.value + 0x2400)
        default: return nil
        }
    }

    /// The scalar a replacement stands for, if `c` is the replacement of a forbidden scalar.
    private func original(of c: Unicode.Scalar) -> Unicode.Scalar? {
        let value: UInt32
        switch c.value {
        case 0xFF01...0xFF5E: value = c.value - 0xFEE0
        case 0x2401...0x241F: value = c.value - 0x2400
        default: return nil
        }
        guard let o = Unicode.Scalar(value), forbidden.contains(o) else { return nil }
        return o
    }

    public func encode(_ name: String) -> String {
        if isIdentity { return name }
        let scalars = Array(name.unicodeScalars)
        var out = String.UnicodeScalarView()
        for (i, c) in scalars.enumerated() {
            let first = i == 0
            let last = i == scalars.count - 1
            if c == " " && ((first && rules.noLeadingSpace) || (last && rules.noTrailingSpace)) {
                out.append(NameEncoder.space)
            } else if c == "." && last && rules.noTrailingDot {
                out.append(NameEncoder.dot)
            } else if forbidden.contains(c), let r = NameEncoder.replacement(c) {
                out.append(r)
            } else if c == NameEncoder.quote || original(of: c) != nil || c == NameEncoder.space || c == NameEncoder.dot
            {
                out.append(NameEncoder.quote)  // a literal that would otherwise decode to something else
                out.append(c)
            } else {
                out.append(c)
            }
        }
        return String(out)
    }

    public func decode(_ name: String) -> String {
        if isIdentity { return name }
        let scalars = Array(name.unicodeScalars)
        var out = String.UnicodeScalarView()
        var i = 0
        while i < scalars.count {
            let c = scalars[i]
            if c == NameEncoder.quote, i + 1 < scalars.count {
                out.append(scalars[i + 1])
                i += 2
                continue
            }
            if c == NameEncoder.space {
                out.append(" ")
            } else if c == NameEncoder.dot {
                out.append(".")
            } else {
                out.append(original(of: c) ?? c)
            }
            i += 1
        }
        return String(out)
    }

    /// What two names are compared by at the destination.
    public func key(_ name: String) -> String {
        guard foldsKeys else { return name }
        var key = rules.nfcOnly || rules.caseInsensitive ? name.precomposedStringWithCanonicalMapping : name
        if rules.caseInsensitive { key = key.lowercased() }
        return key
    }

    /// Why an encoded name cannot be stored, or nil.
    public func refusal(_ encoded: String) -> String? {
        if rules.maxNameBytes > 0, encoded.utf8.count > rules.maxNameBytes {
            return "the name is \(encoded.utf8.count) bytes, longer than the destination's \(rules.maxNameBytes)"
        }
        return nil
    }
}
