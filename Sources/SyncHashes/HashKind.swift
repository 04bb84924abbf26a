/// Hash kinds, numbered exactly as `SC_HASH_*` in `sync_connector.h` (the raw value is the ABI value).
public enum HashKind: Int32, CaseIterable, Sendable, Comparable, CustomStringConvertible {
    case crc32 = 1
    case md5 = 2
    case sha1 = 3
    case sha256 = 4
    case dropbox = 5
    case quickxor = 6
    case gcid = 7

    public static func < (a: HashKind, b: HashKind) -> Bool { a.rawValue < b.rawValue }

    /// The one order in which the engine prefers kinds wherever several could serve (comparing two
    /// listings, verifying a copy, remembering a file): the cheapest to compute first — CRC-32 runs
    /// at memory speed, SHA-1 with the CPU's SHA instructions beats MD5 — then the providers' own
    /// composites by the cost of the digest under them. Every kind is in it exactly once (a test
    /// checks), so a new kind cannot be left out.
    public static let preference: [HashKind] = [.crc32, .sha1, .md5, .quickxor, .gcid, .sha256, .dropbox]

    /// The kind of `kinds` that comes first in `preference`; nil when there is none.
    public static func preferred(among kinds: some Sequence<HashKind>) -> HashKind? {
        let offered = Set(kinds)
        return preference.first(where: offered.contains)
    }

    /// The name used on the command line and in JSON output.
    public var description: String {
        switch self {
        case .crc32: "crc32"
        case .md5: "md5"
        case .sha1: "sha1"
        case .sha256: "sha256"
        case .dropbox: "dropbox"
        case .quickxor: "quickxor"
        case .gcid: "gcid"
        }
    }

    public init?(name: String) {
        guard let kind = HashKind.allCases.first(where: { $0.description == name.lowercased() }) else {
            return nil
        }
        self = kind
    }

    /// This kind's bit in an ABI hash set (`SC_HASH_BIT`).
    public var bit: UInt64 { 1 << UInt64(rawValue) }

    /// Decodes an ABI hash set; unknown bits (kinds newer than this build) are ignored.
    public static func kinds(inSet set: UInt64) -> [HashKind] {
        allCases.filter { set & $0.bit != 0 }
    }

    public static func set(of kinds: some Sequence<HashKind>) -> UInt64 {
        kinds.reduce(0) { $0 | $1.bit }
    }
}
