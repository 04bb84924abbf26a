import Crypto
import EmulatorKit
import Foundation

/// OAuth 2.0 as Put.io serves it (authorization code, the OOB "link code" trio, validate), plus one
/// extension for testing generic clients: with `tokenLifetime` set, tokens expire and the token
/// endpoint also hands out refresh tokens (the real service issues long-lived tokens only).
extension PutioEmulator {
    struct OAuthState {
        var clients: [String: String] = [:]
        var consentAccount: String?
        var codes: [String: (account: String, client: String, redirect: String, challenge: String?)] = [:]
        var oob: [String: String?] = [:]
        var refreshTokens: [String: String] = [:]
        var expiries: [String: Date] = [:]
        var tokenLifetime: TimeInterval?
    }

    /// Registers an OAuth app.
    public func registerClient(id: String, secret: String) { withLock { oauthState.clients[id] = secret } }

    /// The account that "logs in and approves" when a browser reaches the authorize page.
    public func approveAuthorizations(as account: String?) { withLock { oauthState.consentAccount = account } }

    /// Tokens issued from now on expire after `seconds` and come with refresh tokens.
    public func setTokenLifetime(_ seconds: TimeInterval?) { withLock { oauthState.tokenLifetime = seconds } }

    /// Links an OOB code to `account`, as the user typing it at put.io/link would.
    public func linkDeviceCode(_ code: String, to account: String) -> Bool {
        withLock {
            guard oauthState.oob[code] != nil, let a = accounts[account] else { return false }
            let token = issueToken(a)
            oauthState.oob[code] = .some(token)
            return true
        }
    }

    func isExpired(_ token: String) -> Bool {
        guard let expiry = oauthState.expiries[token] else { return false }
        return expiry <= Date()
    }

    private func issueToken(_ a: PutioAccount) -> String {
        let token = "tok-\(a.name)-" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        a.tokens.insert(token)
        if let life = oauthState.tokenLifetime { oauthState.expiries[token] = Date().addingTimeInterval(life) }
        return token
    }

    func oauth(_ r: EmulatorRequest) -> EmulatorResponse {
        withLock {
            let parts = Array(r.path.split(separator: "/").map(String.init).dropFirst(2))
            func on(_ method: String, _ pattern: String) -> [String]? {
                r.method == method ? RoutePattern.match(parts, pattern) : nil
            }
            if on("GET", "authenticate") != nil { return authorize(r) }
            if on("POST", "access_token") ?? on("GET", "access_token") != nil { return token(r) }
            if on("GET", "oob/code") != nil {
                let code = String(UUID().uuidString.prefix(6)).uppercased()
                oauthState.oob[code] = .some(nil)
                return PutioJSON.ok(["code": code, "qr_code_url": "http://127.0.0.1:\(r.port)/qr/\(code)"])
            }
            if let code = on("GET", "oob/code/*")?.first {
                guard let entry = oauthState.oob[code] else { return PutioJSON.error(404, "NotFound", "Unknown code") }
                return PutioJSON.ok(["oauth_token": entry.map { $0 as Any } ?? NSNull()])
            }
            if on("GET", "validate") != nil {
                let token = r.queryValue("oauth_token") ?? ""
                let valid = accounts.values.contains { $0.tokens.contains(token) } && !isExpired(token)
                return .json(200, ["result": valid, "token_id": 1, "token_scope": "default", "user_id": 1])
            }
            return PutioJSON.error(404, "NOT_FOUND", "No route for \(r.method) \(r.path)")
        }
    }
    private func authorize(_ r: EmulatorRequest) -> EmulatorResponse {
        guard let client = r.queryValue("client_id"), oauthState.clients[client] != nil else {
            return .json(400, ["error": "unauthorized_client"])
        }
        guard r.queryValue("response_type") == "code", let redirect = r.queryValue("redirect_uri") else {
            return .json(400, ["error": "invalid_request"])
        }
        guard let account = oauthState.consentAccount, accounts[account] != nil else {
            return .json(403, ["error": "access_denied"])
        }
        if let method = r.queryValue("code_challenge_method"), method != "S256" {
            return .json(400, ["error": "invalid_request", "error_description": "only S256"])
        }
        let code = UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        oauthState.codes[code] = (account, client, redirect, r.queryValue("code_challenge"))
        var location = redirect + (redirect.contains("?") ? "&" : "?") + "code=\(code)"
        if let state = r.queryValue("state") {
            location += "&state=" + (state.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")
        }
        return EmulatorResponse(status: 302, headers: [("Location", location)])
    }

    private func token(_ r: EmulatorRequest) -> EmulatorResponse {
        var client = r.param("client_id")
        var secret = r.param("client_secret")
        if let auth = r.header("Authorization"), auth.hasPrefix("Basic "),
            let decoded = Data(base64Encoded: String(auth.dropFirst(6))).map({ String(decoding: $0, as: UTF8.self) }),
            let colon = decoded.firstIndex(of: ":")
        {
            client = String(decoded[..<colon]).removingPercentEncoding
            secret = String(decoded[decoded.index(after: colon)...]).removingPercentEncoding
        }
        guard let client, let expected = oauthState.clients[client], secret == expected else {
            return .json(401, ["error": "invalid_client"])
        }
        switch r.param("grant_type") {
        case "authorization_code":
            guard let code = r.param("code"), let grant = oauthState.codes.removeValue(forKey: code),
                grant.client == client, grant.redirect == r.param("redirect_uri"), let a = accounts[grant.account]
            else { return .json(400, ["error": "invalid_grant"]) }
            if let challenge = grant.challenge {
                guard let verifier = r.param("code_verifier"), Self.s256(verifier) == challenge else {
                    return .json(400, ["error": "invalid_grant", "error_description": "PKCE verification failed"])
                }
            }
            return tokenResponse(a)
        case "refresh_token":
            guard let refresh = r.param("refresh_token"), let name = oauthState.refreshTokens[refresh],
                let a = accounts[name]
            else { return .json(400, ["error": "invalid_grant"]) }
            return tokenResponse(a)
        default:
            return .json(400, ["error": "unsupported_grant_type"])
        }
    }

    private func tokenResponse(_ a: PutioAccount) -> EmulatorResponse {
        let token = issueToken(a)
        var body: [String: Any] = ["access_token": token, "status": "OK"]
        if let life = oauthState.tokenLifetime {
            let refresh = "ref-" + UUID().uuidString.lowercased()
            oauthState.refreshTokens[refresh] = a.name
            body["refresh_token"] = refresh
            body["expires_in"] = Int(life)
            body["token_type"] = "bearer"
        }
        return .json(200, body)
    }

    static func s256(_ verifier: String) -> String {
        Data(SHA256.hash(data: Data(verifier.utf8))).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}
