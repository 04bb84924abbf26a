import CSyncConnector
import SyncABI

/// Identity and abilities of a connector, turned into the C descriptor once per process.
public struct ConnectorInfo: Sendable {
    /// A default value in the options schema: write `default: 3`, `default: "eu"` or `default: true`.
    public enum DefaultValue: Sendable, ExpressibleByStringLiteral, ExpressibleByIntegerLiteral,
        ExpressibleByBooleanLiteral
    {
        case string(String)
        case int(Int64)
        case bool(Bool)

        public init(stringLiteral value: String) { self = .string(value) }
        public init(integerLiteral value: Int64) { self = .int(value) }
        public init(booleanLiteral value: Bool) { self = .bool(value) }

        var jsonText: String {
            switch self {
            case .string(let s): JSONText.quoted(s)
            case .int(let i): String(i)
            case .bool(let b): b ? "true" : "false"
            }
        }
    }

    public struct Option: Sendable {
        public enum ValueType: String, Sendable { case string, int, bool, path }
        public var name: String
        public var type: ValueType
        public var required: Bool
        public var secret: Bool
        public var defaultValue: DefaultValue?
        public var help: String

        public init(
            _ name: String, _ type: ValueType = .string, required: Bool = false, secret: Bool = false,
            default defaultValue: DefaultValue? = nil, help: String
        ) {
            self.name = name
            self.type = type
            self.required = required
            self.secret = secret
            self.defaultValue = defaultValue
            self.help = help
        }
    }

    public typealias Capabilities = SyncABI.Capabilities
    public typealias NameRules = SyncABI.NameRules

    public var name: String
    public var version: String
    public var summary: String
    /// The store's `SC_CAP_*` bits. The ones an optional call stands behind — server-move,
    /// server-copy, hash-on-demand — need not be listed: the exported descriptor takes them from
    /// the protocols the type conforms to (`ServerMove`, `ServerCopy`, `OnDemandHashing`), whatever
    /// is listed here, so a bit and its call can never disagree.
    public var capabilities: Capabilities
    public var hashKinds: Set<HashKind>
    public var mtimePrecisionNanoseconds: Int64
    public var nameRules: NameRules
    public var options: [Option]

    public init(
        name: String, version: String, summary: String, capabilities: Capabilities, hashKinds: Set<HashKind> = [],
        mtimePrecisionNanoseconds: Int64 = 0, nameRules: NameRules = NameRules(), options: [Option] = []
    ) {
        self.name = name
        self.version = version
        self.summary = summary
        self.capabilities = capabilities
        self.hashKinds = hashKinds
        self.mtimePrecisionNanoseconds = mtimePrecisionNanoseconds
        self.nameRules = nameRules
        self.options = options
    }
}
