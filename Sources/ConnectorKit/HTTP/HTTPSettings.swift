/// Transport settings every HTTP connector shares; connectors expose the ones users need as options.
public struct HTTPSettings: Sendable {
    /// Seconds to establish a connection (TCP and TLS).
    public var connectTimeout: Double = 20
    /// A transfer slower than one byte per second for this many seconds is dropped as stalled.
    public var stallTimeout: Int = 60
    /// Off only when the user explicitly turned it off for this account.
    public var verifyTLS: Bool = true
    /// A PEM bundle to trust instead of the system's.
    public var caFile: String?
    public var userAgent: String = "sync-core/1.0"
    public var maxRedirects: Int = 10

    public init() {}
}

extension HTTPSettings {
    /// The account options every HTTP connector offers for TLS trust; add them to its schema.
    public static let tlsOptions: [ConnectorInfo.Option] = [
        .init("ca_file", .path, help: "PEM bundle to trust instead of the system's"),
        .init(
            "insecure_skip_tls_verify", .bool, default: false, help: "Turn TLS verification off (never in production)"),
    ]

    /// Settings with `tlsOptions` read from an account.
    public init(config: ConnectorConfig, userAgent: String) {
        self.init()
        self.userAgent = userAgent
        if let ca = config.string("ca_file"), !ca.isEmpty { caFile = ca }
        verifyTLS = !(config.bool("insecure_skip_tls_verify") ?? false)
    }
}
