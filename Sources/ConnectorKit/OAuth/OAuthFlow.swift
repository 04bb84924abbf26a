import Foundation

/// An OAuth 2.0 provider as a connector configures it.
public struct OAuthProvider: Sendable {
    public var authorizeURL: String
    public var tokenURL: String
    public var clientID: String
    public var clientSecret: String?
    public var scopes: [String]
    public var extraAuthorizeParameters: [(String, String)]

    public init(
        authorizeURL: String, tokenURL: String, clientID: String, clientSecret: String? = nil, scopes: [String] = [],
        extraAuthorizeParameters: [(String, String)] = []
    ) {
        self.authorizeURL = authorizeURL
        self.tokenURL = tokenURL
        self.clientID = clientID
        self.clientSecret = clientSecret
        self.scopes = scopes
        self.extraAuthorizeParameters = extraAuthorizeParameters
    }
}

/// What a token endpoint hands out.
public struct OAuthToken: Sendable, Equatable {
    public var accessToken: String
    public var refreshToken: String?
    public var expiresAt: Date?

    public init(accessToken: String, refreshToken: String? = nil, expiresAt: Date? = nil) {
        self.accessToken = accessToken
        self.refreshToken = refreshToken
        self.expiresAt = expiresAt
    }

    /// From a token response (`access_token`, optional `refresh_token` and `expires_in`).
    public init?(json: [String: Any], now: Date = Date()) {
        guard let access = json["access_token"] as? String, !access.isEmpty else { return nil }
        accessToken = access
        refreshToken = json["refresh_token"] as? String
        expiresAt = (json["expires_in"] as? NSNumber).map { now.addingTimeInterval($0.doubleValue) }
    }

    /// The account options that hold it: `token`, `refresh_token`, `token_expiry` (RFC 3339).
    public var options: [String: Any] {
        var out: [String: Any] = ["token": accessToken]
        if let refreshToken { out["refresh_token"] = refreshToken }
        if let expiresAt { out["token_expiry"] = OAuthToken.format(expiresAt) }
        return out
    }

    /// An expiry as the `token_expiry` option holds it (RFC 3339).
    public static func formatExpiry(_ date: Date) -> String { format(date) }

    static func format(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: date)
    }

    public static func parseExpiry(_ text: String?) -> Date? {
        guard let text, !text.isEmpty else { return nil }
        return ISO8601DateFormatter().date(from: text)
    }
}

/// The authorization-code flow with PKCE and `state` through a loopback redirect (RFC 8252), the
/// code exchange, and refreshing.
public enum OAuthFlow {
    /// Runs the whole flow: prints the address (and opens a browser where there is one), waits for
    /// the redirect on 127.0.0.1, exchanges the code. `redirectPort` and `redirectHost` give the
    /// redirect address a provider has registered (0: any free port, which needs a provider that
    /// accepts any loopback port).
    public static func authorize(
        _ provider: OAuthProvider, http: HTTPClient, host: ConnectorHost, timeout: TimeInterval = 300,
        redirectPort: Int = 0, redirectHost: String = "127.0.0.1"
    ) throws -> OAuthToken {
        let receiver = try LoopbackReceiver(port: redirectPort, host: redirectHost)
        let pkce = PKCE()
        let state = base64URL(randomBytes(16))
        var parameters: [(String, String)] = [
            ("client_id", provider.clientID), ("response_type", "code"), ("redirect_uri", receiver.redirectURI),
            ("state", state), ("code_challenge", pkce.challenge), ("code_challenge_method", pkce.method),
        ]
        if !provider.scopes.isEmpty { parameters.append(("scope", provider.scopes.joined(separator: " "))) }
        parameters += provider.extraAuthorizeParameters
        let url = FormEncoding.url(provider.authorizeURL, parameters)
        host.tellUser("Open this address to authorize sync-core (waiting up to \(Int(timeout / 60)) min):\n  \(url)")
        Browser.open(url, host: host)
        let fields = try receiver.waitForRedirect(state: state, timeout: timeout, isCancelled: { host.isCancelled })
        host.tellUser("Authorization received; fetching the token…")
        return try exchange(
            code: fields["code"]!, verifier: pkce.verifier, redirectURI: receiver.redirectURI, provider: provider,
            http: http)
    }

    public static func exchange(
        code: String, verifier: String, redirectURI: String, provider: OAuthProvider, http: HTTPClient
    ) throws -> OAuthToken {
        var form = [
            ("grant_type", "authorization_code"), ("code", code), ("redirect_uri", redirectURI),
            ("client_id", provider.clientID), ("code_verifier", verifier),
        ]
        if let secret = provider.clientSecret { form.append(("client_secret", secret)) }
        return try request(form, provider: provider, http: http, what: "token exchange")
    }

    public static func refresh(_ refreshToken: String, provider: OAuthProvider, http: HTTPClient) throws -> OAuthToken {
        var form = [("grant_type", "refresh_token"), ("refresh_token", refreshToken), ("client_id", provider.clientID)]
        if let secret = provider.clientSecret { form.append(("client_secret", secret)) }
        var token = try request(form, provider: provider, http: http, what: "token refresh")
        // Providers may keep the refresh token as it was and not send it again.
        if token.refreshToken == nil { token.refreshToken = refreshToken }
        return token
    }

    private static func request(_ form: [(String, String)], provider: OAuthProvider, http: HTTPClient, what: String)
        throws -> OAuthToken
    {
        for (name, value) in form where ["code", "refresh_token", "client_secret", "code_verifier"].contains(name) {
            http.redactor.register(value)
        }
        let response = try http.send(
            HTTPRequest.form("POST", provider.tokenURL, form, headers: [("Accept", "application/json")]))
        let json = response.json ?? [:]
        guard response.isSuccess, let token = OAuthToken(json: json) else {
            let error = (json["error"] as? String) ?? "no access_token in the answer"
            let code: ErrorCode = response.status >= 500 || response.status == 429 ? .transient : .auth
            throw ConnectorFailure(code, "OAuth \(what) failed: \(error)", httpStatus: response.status)
        }
        http.redactor.register(token.accessToken)
        if let refresh = token.refreshToken { http.redactor.register(refresh) }
        return token
    }
}

/// Opens a URL for the user: `$BROWSER` if set, `xdg-open` on a desktop, nothing on a headless
/// machine (the address was printed).
enum Browser {
    static func open(_ url: String, host: ConnectorHost) {
        let environment = ProcessInfo.processInfo.environment
        let process = Process()
        if let browser = environment["BROWSER"], !browser.isEmpty {
            // The URL goes in as "$1", never spliced into the command text.
            let command =
                browser.contains("%s") ? browser.replacingOccurrences(of: "%s", with: "\"$1\"") : browser + " \"$1\""
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            process.arguments = ["-c", command, "sh", url]
        } else if environment["DISPLAY"] != nil || environment["WAYLAND_DISPLAY"] != nil,
            FileManager.default.isExecutableFile(atPath: "/usr/bin/xdg-open")
        {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/xdg-open")
            process.arguments = [url]
        } else {
            return
        }
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            host.log(.warn, "could not start a browser: \(error)")
        }
    }
}
