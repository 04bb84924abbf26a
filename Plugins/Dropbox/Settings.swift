import ConnectorKit
import Foundation

/// An account's options, read once when a session opens.
struct DropboxSettings: Sendable {
    var appKey: String
    var appSecret: String?
    var apiURL: String
    var contentURL: String
    var authorizeURL: String
    var tokenURL: String
    var redirectPort: Int
    /// `""` the user's home, `team` the team space a member's account has as its root, or a
    /// namespace id.
    var rootNamespace: String
    var chunkSize: Int64
    var batchSize: Int
    var batchWait: TimeInterval
    var pageSize: Int

    static let options: [ConnectorInfo.Option] = [
        .init(
            "app_key",
            help:
                "The app key of your Dropbox app (App Console; PKCE, no secret needed); for `account add` to authorize"),
        .init("app_secret", secret: true, help: "The app secret, only for an app that cannot use PKCE"),
        .init("token", secret: true, help: "Access token, set by the connector (or pasted: one that does not expire)"),
        .init("refresh_token", secret: true, help: "Set by the connector; renews the access token"),
        .init("token_expiry", help: "When token expires (RFC 3339), set by the connector"),
        .init(
            "root_namespace", default: "",
            help:
                "Which space is the account's root: empty for your own folder, 'team' for your team's space, or a namespace id"
        ),
        .init("api_url", default: "https://api.dropboxapi.com", help: "API host (metadata calls and tokens)"),
        .init("content_url", default: "https://content.dropboxapi.com", help: "Content host (uploads and downloads)"),
        .init("auth_url", default: "https://www.dropbox.com/oauth2/authorize", help: "Authorization page"),
        .init("token_url", default: "https://api.dropboxapi.com/oauth2/token", help: "Token endpoint"),
        .init(
            "redirect_port", .int, default: 53682,
            help: "Port of the redirect address registered for the app, http://localhost:PORT/ (0: any free port)"),
        .init("oauth_timeout", .int, default: 300, help: "Seconds `account add` waits for the authorization"),
        .init(
            "chunk_size", .int, default: 16_777_216,
            help: "Bytes per upload-session request (at most 150 MiB); files up to this size are committed in batches"),
        .init("batch_size", .int, default: 1000, help: "Most files committed by one finish_batch call (at most 1000)"),
        .init(
            "batch_wait_ms", .int, default: 500,
            help: "How long a finished small file waits for others to commit with it, at most"),
        .init("page_size", .int, default: 2000, help: "Entries per listing page (at most 2000)"),
    ]

    init(_ config: ConnectorConfig) {
        appKey = config.string("app_key") ?? ""
        appSecret = config.string("app_secret").flatMap { $0.isEmpty ? nil : $0 }
        apiURL = Self.trimmed(config.string("api_url") ?? "https://api.dropboxapi.com")
        contentURL = Self.trimmed(config.string("content_url") ?? "https://content.dropboxapi.com")
        authorizeURL = config.string("auth_url") ?? "https://www.dropbox.com/oauth2/authorize"
        tokenURL = config.string("token_url") ?? "https://api.dropboxapi.com/oauth2/token"
        redirectPort = Int(min(65535, max(0, config.int("redirect_port") ?? 53682)))
        rootNamespace = config.string("root_namespace") ?? ""
        chunkSize = min(150 << 20, max(64 << 10, config.int("chunk_size") ?? 16 << 20))
        batchSize = Int(min(1000, max(1, config.int("batch_size") ?? 1000)))
        batchWait = Double(max(0, config.int("batch_wait_ms") ?? 500)) / 1000
        pageSize = Int(min(2000, max(1, config.int("page_size") ?? 2000)))
    }

    /// The OAuth app, when one is configured.
    var provider: OAuthProvider? {
        guard !appKey.isEmpty else { return nil }
        return OAuthProvider(
            authorizeURL: authorizeURL, tokenURL: tokenURL, clientID: appKey, clientSecret: appSecret,
            // Without offline access Dropbox gives no refresh token.
            extraAuthorizeParameters: [("token_access_type", "offline")])
    }

    static func trimmed(_ url: String) -> String { url.hasSuffix("/") ? String(url.dropLast()) : url }
}
