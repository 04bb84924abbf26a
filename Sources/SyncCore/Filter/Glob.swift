import SyncHost

/// Shell-style patterns on '/'-separated paths:
/// `*` any run of characters except '/', `**` any run including '/', `?` one character except '/',
/// `[abc]`, `[a-z]`, `[!abc]` one character of (not of) a set, `{mkv,mp4}` alternatives, `\x` a literal x.
/// Matching is on unicode scalars, case-sensitive unless asked otherwise.
public struct Glob: Sendable, Equatable {
    indirect enum Token: Sendable, Equatable {
        case literal(Unicode.Scalar)
        case any  // ?
        case star  // *
        case globstar  // **
        case set([ClosedRange<Unicode.Scalar>], negated: Bool)
        case alternatives([[Token]])
    }

    public let pattern: String
    let tokens: [Token]
    let caseInsensitive: Bool

    public init(_ pattern: String, caseInsensitive: Bool = false) throws(ConfigError) {
        self.pattern = pattern
        self.caseInsensitive = caseInsensitive
        var scalars = Array((caseInsensitive ? pattern.lowercased() : pattern).unicodeScalars)[...]
        tokens = try Glob.parse(&scalars, pattern: pattern, inBraces: false)
    }

    private static func parse(_ s: inout ArraySlice<Unicode.Scalar>, pattern: String, inBraces: Bool)
        throws(ConfigError)
        -> [Token]
    {
        var out: [Token] = []
        while let c = s.first {
            if inBraces && (c == "," || c == "}") { return out }
            s.removeFirst()
            switch c {
            case "\\":
                guard let next = s.popFirst() else { throw ConfigError("pattern '\(pattern)' ends with '\\'") }
                out.append(.literal(next))
            case "?": out.append(.any)
            case "*":
                if s.first == "*" {
                    s.removeFirst()
                    out.append(.globstar)
                } else {
                    out.append(.star)
                }
            case "[":
                var negated = false
                if s.first == "!" || s.first == "^" {
                    negated = true
                    s.removeFirst()
                }
                var ranges: [ClosedRange<Unicode.Scalar>] = []
                var first = true
                while true {
                    guard let d = s.popFirst() else { throw ConfigError("pattern '\(pattern)' has an unclosed '['") }
                    if d == "]" && !first { break }
                    first = false
                    if s.first == "-", s.dropFirst().first.map({ $0 != "]" }) == true {
                        s.removeFirst()
                        let upper = s.removeFirst()
                        guard d <= upper else {
                            throw ConfigError("pattern '\(pattern)' has a reversed range \(d)-\(upper)")
                        }
                        ranges.append(d...upper)
                    } else {
                        ranges.append(d...d)
                    }
                }
                out.append(.set(ranges, negated: negated))
            case "{":
                var options: [[Token]] = []
                while true {
                    options.append(try parse(&s, pattern: pattern, inBraces: true))
                    guard let end = s.popFirst() else { throw ConfigError("pattern '\(pattern)' has an unclosed '{'") }
                    if end == "}" { break }
                }
                out.append(.alternatives(options))
            default:
                out.append(.literal(c))
            }
        }
        if inBraces { throw ConfigError("pattern '\(pattern)' has an unclosed '{'") }
        return out
    }

    public func matches(_ path: String) -> Bool {
        let scalars = Array((caseInsensitive ? path.lowercased() : path).unicodeScalars)
        return Glob.match(tokens[...], scalars[...])
    }

    private static func match(_ p: ArraySlice<Token>, _ s: ArraySlice<Unicode.Scalar>) -> Bool {
        guard let token = p.first else { return s.isEmpty }
        let rest = p.dropFirst()
        switch token {
        case .literal(let c):
            return s.first == c && match(rest, s.dropFirst())
        case .any:
            guard let c = s.first, c != "/" else { return false }
            return match(rest, s.dropFirst())
        case .set(let ranges, let negated):
            guard let c = s.first, c != "/" else { return false }
            return ranges.contains { $0.contains(c) } != negated && match(rest, s.dropFirst())
        case .star:
            var i = s.startIndex
            while true {
                if match(rest, s[i...]) { return true }
                if i == s.endIndex || s[i] == "/" { return false }
                i += 1
            }
        case .globstar:
            for i in s.startIndex...s.endIndex where match(rest, s[i...]) { return true }
            return false
        case .alternatives(let options):
            return options.contains { match($0[...] + rest, s) }
        }
    }
}
