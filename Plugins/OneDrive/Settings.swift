import ConnectorKit
import Foundation

/// An account's options, read once when a session opens.
struct OneDriveSettings: Sendable {
    var clientID: String
    var tenant: String
    var graphURL: String
    var authURL: String
    var driveID: String
    /// A folder of the drive that is the account's root (`""`: the drive's root).
    var rootFolder: String
    var redirectPort: Int
    var chunkSize: Int64
    var pageSize: Int

    /// Fragments but the last must be multiples of this (onedrive.md §3.10).
    static let fragmentUnit: Int64 = 327_680

    static let options: [ConnectorInfo.Option] = [
        .init(
            "client_id",
            help: "Application (client) id of your app registration (a public client: no secret); for `account add`"),
        .init(
            "tenant", default: "common",
            help: "Directory: 'common' (personal and work accounts), 'consumers', 'organizations' or a tenant id"),
        .init("token", secret: true, help: "Access token, set by the connector"),
        .init("refresh_token", secret: true, help: "Set by the connector; rotates at each refresh"),
        .init("token_expiry", help: "When token expires (RFC 3339), set by the connector"),
        .init("drive_id", default: "", help: "The drive to use; empty for your own (/me/drive)"),
        .init("root_folder", default: "", help: "A folder of the drive to use as the account's root"),
        .init("graph_url", default: "https://graph.microsoft.com/v1.0", help: "Microsoft Graph endpoint"),
        .init(
            "auth_url", default: "https://login.microsoftonline.com",
            help: "Identity platform host (the tenant and /oauth2/v2.0/… are added)"),
        .init(
            "redirect_port", .int, default: 53682,
            help: "Port of the redirect address registered for the app, http://localhost:PORT/ (0: any free port)"),
        .init("oauth_timeout", .int, default: 300, help: "Seconds `account add` waits for the authorization"),
        .init(
            "chunk_size", .int, default: 10_485_760,
            help: "Bytes per upload fragment, rounded down to a multiple of 320 KiB (at most 60 MiB)"),
        .init("page_size", .int, default: 1000, help: "Items per listing page"),
    ]

    init(_ config: ConnectorConfig) {
        clientID = config.string("client_id") ?? ""
        tenant = config.string("tenant").flatMap { $0.isEmpty ? nil : $0 } ?? "common"
        graphURL = Self.trimmed(config.string("graph_url") ?? "https://graph.microsoft.com/v1.0")
        authURL = Self.trimmed(config.string("auth_url") ?? "https://login.microsoftonline.com")
        driveID = config.string("drive_id") ?? ""
        rootFolder = (config.string("root_folder") ?? "").split(separator: "/").joined(separator: "/")
        redirectPort = Int(min(65535, max(0, config.int("redirect_port") ?? 53682)))
        let chunk = min(60 << 20, max(Self.fragmentUnit, config.int("chunk_size") ?? 10_485_760))
        chunkSize = chunk - chunk % Self.fragmentUnit
        pageSize = Int(min(1000, max(1, config.int("page_size") ?? 1000)))
    }

    /// The app registration, when one is configured.
    var provider: OAuthProvider? {
        guard !clientID.isEmpty else { return nil }
        return OAuthProvider(
            authorizeURL: "\(authURL)/\(tenant)/oauth2/v2.0/authorize",
            tokenURL: "\(authURL)/\(tenant)/oauth2/v2.0/token",
            clientID: clientID, scopes: ["Files.ReadWrite", "offline_access"])
    }

    static func trimmed(_ url: String) -> String { url.hasSuffix("/") ? String(url.dropLast()) : url }
}
