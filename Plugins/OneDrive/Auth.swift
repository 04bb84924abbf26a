import ConnectorKit
import Foundation

/// The Microsoft identity platform's code flow with PKCE (onedrive.md §1.2), for a public client
/// registration (no secret), asking for `Files.ReadWrite offline_access`; the redirect goes to the
/// address registered for the app. Each refresh hands out a new refresh token and spends the old
/// one: the connector hands every new pair to sync-core to save.
extension OneDriveConnector: InteractiveSetup {
    static func authorize(config: ConnectorConfig, host: ConnectorHost) throws -> [String: Any] {
        if let token = config.string("token"), !token.isEmpty { return [:] }
        let settings = OneDriveSettings(config)
        guard let provider = settings.provider else {
            throw ConnectorFailure(
                .auth,
                "onedrive: no client_id — register an app and give its id with --set client_id=… (docs/onedrive.md)")
        }
        let http = HTTPClient(
            settings: HTTPSettings(config: config, userAgent: "ISV|sync-core|sync-core/0.1"),
            isCancelled: { host.isCancelled })
        let token = try OAuthFlow.authorize(
            provider, http: http, host: host, timeout: TimeInterval(max(1, config.int("oauth_timeout") ?? 300)),
            redirectPort: settings.redirectPort, redirectHost: "localhost")
        guard token.refreshToken != nil else {
            throw ConnectorFailure(.auth, "onedrive: the authorization gave no refresh token (offline_access refused)")
        }
        return token.options
    }
}
