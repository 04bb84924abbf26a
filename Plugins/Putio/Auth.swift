import ConnectorKit
import Foundation

/// Put.io's OAuth: the authorization-code flow (`/v2/oauth2/authenticate`, `/v2/oauth2/access_token`)
/// for a registered app, or a token the user already has. Put.io's own tokens do not expire; where a
/// token endpoint hands out refresh tokens and expiries, they are kept and used.
extension PutioConnector: InteractiveSetup {
    static func provider(_ config: ConnectorConfig) -> OAuthProvider? {
        guard let id = config.string("client_id"), !id.isEmpty else { return nil }
        let base = trimmed(config.string("oauth_url") ?? "https://api.put.io")
        return OAuthProvider(
            authorizeURL: base + "/v2/oauth2/authenticate", tokenURL: base + "/v2/oauth2/access_token", clientID: id,
            clientSecret: config.string("client_secret"))
    }

    static func authorize(config: ConnectorConfig, host: ConnectorHost) throws -> [String: Any] {
        if let token = config.string("token"), !token.isEmpty { return [:] }
        if let provider = provider(config) {
            guard provider.clientSecret?.isEmpty == false else {
                throw ConnectorFailure(
                    .invalidArgument,
                    "putio: client_id is set but client_secret is not (give it at the prompt, with --stdin or SYNC_CORE_OPTION_CLIENT_SECRET)"
                )
            }
            let http = HTTPClient(settings: httpSettings(config), isCancelled: { host.isCancelled })
            let timeout = TimeInterval(max(1, config.int("oauth_timeout") ?? 300))
            return try OAuthFlow.authorize(provider, http: http, host: host, timeout: timeout).options
        }
        if let pasted = host.askUser("Put.io token (from put.io → Settings → API; input hidden)", secret: true) {
            return ["token": pasted]
        }
        throw ConnectorFailure(
            .auth,
            "putio: no token — give one at the prompt, with --stdin (token=…) or SYNC_CORE_OPTION_TOKEN, or set client_id and client_secret to authorize in a browser"
        )
    }

    static func httpSettings(_ config: ConnectorConfig) -> HTTPSettings {
        HTTPSettings(config: config, userAgent: "sync-core-putio/1.0")
    }
}
