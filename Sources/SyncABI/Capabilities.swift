import CSyncConnector

/// `SC_CAP_*` bits of a descriptor.
public struct Capabilities: OptionSet, Sendable, CustomStringConvertible {
    public let rawValue: UInt64
    public init(rawValue: UInt64) { self.rawValue = rawValue }

    public static let rangedRead = Capabilities(rawValue: SC_CAP_RANGED_READ)
    public static let setMtime = Capabilities(rawValue: SC_CAP_SET_MTIME)
    public static let unknownSize = Capabilities(rawValue: SC_CAP_UNKNOWN_SIZE)
    public static let resumableUpload = Capabilities(rawValue: SC_CAP_RESUMABLE_UPLOAD)
    public static let atomicWrite = Capabilities(rawValue: SC_CAP_ATOMIC_WRITE)
    public static let emptyDirectories = Capabilities(rawValue: SC_CAP_EMPTY_DIRS)
    public static let serverMove = Capabilities(rawValue: SC_CAP_SERVER_MOVE)
    public static let serverCopy = Capabilities(rawValue: SC_CAP_SERVER_COPY)
    public static let ids = Capabilities(rawValue: SC_CAP_IDS)
    public static let hashOnDemand = Capabilities(rawValue: SC_CAP_HASH_ON_DEMAND)
    /// Writers want the content's hash before its bytes (ABI 1.3 known hashes).
    public static let hashFirst = Capabilities(rawValue: SC_CAP_HASH_FIRST)

    public static let names: [(Capabilities, String)] = [
        (.rangedRead, "ranged-read"), (.setMtime, "set-mtime"), (.unknownSize, "unknown-size"),
        (.resumableUpload, "resumable-upload"), (.atomicWrite, "atomic-write"),
        (.emptyDirectories, "empty-dirs"), (.serverMove, "server-move"), (.serverCopy, "server-copy"),
        (.ids, "ids"), (.hashOnDemand, "hash-on-demand"), (.hashFirst, "hash-first"),
    ]

    public var names: [String] { Capabilities.names.filter { contains($0.0) }.map(\.1) }
    public var description: String { names.joined(separator: ",") }
}

/// A store's naming rules (`SC_NAME_*` and the related descriptor fields).
public struct NameRules: Sendable {
    public var forbiddenCharacters: String
    public var maxNameBytes: Int
    public var maxPathBytes: Int
    public var flags: UInt32

    public init(forbiddenCharacters: String = "", maxNameBytes: Int = 0, maxPathBytes: Int = 0, flags: UInt32 = 0) {
        self.forbiddenCharacters = forbiddenCharacters
        self.maxNameBytes = maxNameBytes
        self.maxPathBytes = maxPathBytes
        self.flags = flags
    }

    /// Rules built from the common flags.
    public init(
        forbiddenCharacters: String = "", maxNameBytes: Int = 0, maxPathBytes: Int = 0, caseInsensitive: Bool = false,
        duplicatesAllowed: Bool = false, noTrailingDot: Bool = false, noTrailingSpace: Bool = false,
        noLeadingSpace: Bool = false, windowsReserved: Bool = false
    ) {
        self.init(
            forbiddenCharacters: forbiddenCharacters, maxNameBytes: maxNameBytes, maxPathBytes: maxPathBytes,
            flags: (caseInsensitive ? SC_NAME_CASE_INSENSITIVE : 0)
                | (duplicatesAllowed ? SC_NAME_DUPLICATES_ALLOWED : 0) | (noTrailingDot ? SC_NAME_NO_TRAILING_DOT : 0)
                | (noTrailingSpace ? SC_NAME_NO_TRAILING_SPACE : 0) | (noLeadingSpace ? SC_NAME_NO_LEADING_SPACE : 0)
                | (windowsReserved ? SC_NAME_WINDOWS_RESERVED : 0))
    }

    public var caseInsensitive: Bool { flags & SC_NAME_CASE_INSENSITIVE != 0 }
    public var duplicatesAllowed: Bool { flags & SC_NAME_DUPLICATES_ALLOWED != 0 }
    public var noTrailingDot: Bool { flags & SC_NAME_NO_TRAILING_DOT != 0 }
    public var noTrailingSpace: Bool { flags & SC_NAME_NO_TRAILING_SPACE != 0 }
    public var noLeadingSpace: Bool { flags & SC_NAME_NO_LEADING_SPACE != 0 }
    public var nfcOnly: Bool { flags & SC_NAME_NFC_ONLY != 0 }
    public var windowsReserved: Bool { flags & SC_NAME_WINDOWS_RESERVED != 0 }
}
