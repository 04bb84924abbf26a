import Foundation

/// Applies a destination's name rules with a reversible encoding, so that any source name can be
/// stored and read back unchanged:
/// - a forbidden printable ASCII character becomes its full-width twin (`:` → `：`, U+FF1A);
/// - a forbidden control character becomes its Control Picture (U+0001 → `␁`);
/// - a leading or trailing space the store refuses becomes `␠`; a refused trailing dot becomes `．`;
/// - a character that already looks like one of these replacements is escaped with `‛` (U+201B),
///   and so is `‛` itself, so that decoding is exact;
/// - where the store refuses Windows' reserved names (`SC_NAME_WINDOWS_RESERVED`: `CON.srt`,
///   `desktop.ini`, `~$doc`, `a_vti_b`), one character of the reserved part becomes its full-width
///   twin (`ＣON.srt`); a twin that stands there in a source name is escaped, so decoding is exact.
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
        isIdentity =
            forbidden.isEmpty && !rules.noLeadingSpace && !rules.noTrailingSpace && !rules.noTrailingDot
            && !rules.windowsReserved
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
        // The one place a reserved name is changed, or a literal twin there escaped.
        var twinAt: Int?
        var quoteAt: Int?
        if rules.windowsReserved {
            if let at = Self.reservedPosition(scalars) {
                twinAt = at
            } else {
                quoteAt = Self.disguisedPosition(scalars)
            }
        }
        var out = String.UnicodeScalarView()
        for (i, c) in scalars.enumerated() {
            let first = i == 0
            let last = i == scalars.count - 1
            if i == twinAt, let twin = NameEncoder.replacement(c) {
                out.append(twin)
            } else if i == quoteAt {
                out.append(NameEncoder.quote)
                out.append(c)
            } else if c == " " && ((first && rules.noLeadingSpace) || (last && rules.noTrailingSpace)) {
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
        var out: [Unicode.Scalar] = []
        var quoted: [Bool] = []
        var i = 0
        while i < scalars.count {
            let c = scalars[i]
            if c == NameEncoder.quote, i + 1 < scalars.count {
                out.append(scalars[i + 1])
                quoted.append(true)
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
            quoted.append(false)
            i += 1
        }
        if rules.windowsReserved, let at = Self.disguisedPosition(out), !quoted[at] {
            out[at] = Unicode.Scalar(out[at].value - 0xFEE0)!
        }
        var text = String.UnicodeScalarView()
        text.append(contentsOf: out)
        return String(text)
    }

    private static let devices: Set<String> = Set(
        ["CON", "PRN", "AUX", "NUL"] + (0...9).flatMap { ["COM\($0)", "LPT\($0)"] })

    /// Where a name Windows (and OneDrive) reserves is changed to store it: the first letter of a
    /// device name (`CON`, `LPT1.txt`) or of `desktop.ini`, the `l` of `.lock`, a leading `~`, the
    /// first `_` of `_vti_`. Nil for a name that is not reserved.
    static func reservedPosition(_ scalars: [Unicode.Scalar]) -> Int? {
        guard !scalars.isEmpty else { return nil }
        let name = String(String.UnicodeScalarView(scalars))
        let stem =
            name.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? name
        if devices.contains(stem.uppercased()) { return 0 }
        if name.lowercased() == "desktop.ini" { return 0 }
        if name.lowercased() == ".lock" { return 1 }
        if scalars[0] == "~" { return 0 }
        let marker: [Unicode.Scalar] = ["_", "v", "t", "i", "_"]
        if scalars.count >= marker.count {
            for start in 0...(scalars.count - marker.count)
            where scalars[start..<start + marker.count].map({ $0.properties.lowercaseMapping.unicodeScalars.first! })
                == marker
            {
                return start
            }
        }
        return nil
    }

    /// Where a name holds a full-width twin that, turned back into ASCII, makes a reserved name
    /// with its change at that very place: what decoding undoes (or encoding must escape).
    static func disguisedPosition(_ scalars: [Unicode.Scalar]) -> Int? {
        for at in 0..<min(scalars.count, 2) where isTwin(scalars[at]) {
            var trial = scalars
            trial[at] = Unicode.Scalar(scalars[at].value - 0xFEE0)!
            if reservedPosition(trial) == at { return at }
        }
        for (at, c) in scalars.enumerated() where c == "\u{FF3F}" {  // ＿ of a disguised _vti_
            var trial = scalars
            trial[at] = "_"
            if reservedPosition(trial) == at { return at }
        }
        return nil
    }

    private static func isTwin(_ c: Unicode.Scalar) -> Bool { (0xFF01...0xFF5E).contains(c.value) }

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
