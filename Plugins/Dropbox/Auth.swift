import ConnectorKit
import Foundation

/// Dropbox's OAuth 2.0 (dropbox.md §1.2): the code flow with PKCE and `token_access_type=offline`
/// through the redirect address registered for the app (`http://localhost:53682/` by default), or
/// a token the user already has. Access tokens last hours; the refresh token renews them (Dropbox
/// keeps the same refresh token), and each new access token is handed to the host to save.
extension DropboxConnector: InteractiveSetup {
    static func authorize(config: ConnectorConfig, host: ConnectorHost) throws -> [String: Any] {
        if let token = config.string("token"), !token.isEmpty { return [:] }
        let settings = DropboxSettings(config)
        if let provider = settings.provider {
            let http = HTTPClient(
                settings: HTTPSettings(config: config, userAgent: "sync-core-dropbox/0.1"),
                isCancelled: { host.isCancelled })
            let timeout = TimeInterval(max(1, config.int("oauth_timeout") ?? 300))
            let token = try OAuthFlow.authorize(
                provider, http: http, host: host, timeout: timeout, redirectPort: settings.redirectPort,
                redirectHost: "localhost")
            guard token.refreshToken != nil else {
                throw ConnectorFailure(
                    .auth, "dropbox: the authorization gave no refresh token (the app must allow offline access)")
            }
            return token.options
        }
        if let pasted = host.askUser("Dropbox access token (input hidden)", secret: true) {
            return ["token": pasted]
        }
        throw ConnectorFailure(
            .auth,
            "dropbox: no token — set app_key to authorize in a browser (docs/dropbox.md), or give a token at the prompt, with --stdin (token=…) or SYNC_CORE_OPTION_TOKEN"
        )
    }
}
