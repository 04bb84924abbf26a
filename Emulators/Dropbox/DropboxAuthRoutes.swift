import Crypto
import EmulatorKit
import Foundation

/// OAuth 2.0 as Dropbox serves it (dropbox.md §1.2): the authorize page (a browser that reaches it
/// is signed in as `consentAccount` and allows at once), and the token endpoint's code exchange
/// (PKCE S256, or the app secret) and refresh grant. A refresh answers a new access token and no new
/// refresh token; `token_access_type=offline` is what brings a refresh token at all.
extension DropboxEmulator {
    /// Call with the lock held.
    func authorizePage(_ r: EmulatorRequest) -> EmulatorResponse {
        guard let client = r.queryValue("client_id"), apps[client] != nil else {
            return DropboxJSON.plain(400, "Invalid client_id")
        }
        guard r.queryValue("response_type") == "code" else {
            return DropboxJSON.plain(400, "Unsupported response_type")
        }
        if let method = r.queryValue("code_challenge_method"), method != "S256" {
            return DropboxJSON.plain(400, "Unsupported code_challenge_method")
        }
        let redirect = r.queryValue("redirect_uri")
        func back(_ fields: [(String, String)]) -> EmulatorResponse {
            guard let redirect else {
                // No redirect: the page shows the code for the user to paste.
                return DropboxJSON.plain(200, fields.map { "\($0.0): \($0.1)" }.joined(separator: "\n"))
            }
            var all = fields
            if let state = r.queryValue("state") { all.append(("state", state)) }
            let query = all.map { "\($0.0)=\(Self.escape($0.1))" }.joined(separator: "&")
            return EmulatorResponse(
                status: 302, headers: [("Location", redirect + (redirect.contains("?") ? "&" : "?") + query)])
        }
        guard let account = consentAccount, accounts[account] != nil else {
            return back([
                ("error", "access_denied"), ("error_description", "The user chose not to give your app access"),
            ])
        }
        let code = randomToken()
        codes[code] = (account, client, redirect, r.queryValue("code_challenge"))
        offline[code] = r.queryValue("token_access_type") == "offline"
        return back([("code", code)])
    }

    /// Call with the lock held.
    func token(_ r: EmulatorRequest) -> EmulatorResponse {
        var client = r.param("client_id")
        var secret = r.param("client_secret")
        if let auth = r.header("Authorization"), auth.hasPrefix("Basic "),
            let decoded = Data(base64Encoded: String(auth.dropFirst(6))).map({ String(decoding: $0, as: UTF8.self) }),
            let colon = decoded.firstIndex(of: ":")
        {
            client = String(decoded[..<colon])
            secret = String(decoded[decoded.index(after: colon)...])
        }
        guard let client, let registered = apps[client] else {
            return .json(400, ["error": "invalid_client", "error_description": "Invalid client_id or client_secret"])
        }
        if let secret, secret != registered {
            return .json(400, ["error": "invalid_client", "error_description": "Invalid client_id or client_secret"])
        }
        switch r.param("grant_type") {
        case "authorization_code":
            guard let code = r.param("code"), let grant = codes.removeValue(forKey: code), grant.client == client,
                grant.redirect == r.param("redirect_uri"), accounts[grant.account] != nil
            else {
                return .json(400, ["error": "invalid_grant", "error_description": "code doesn't exist or has expired"])
            }
            if let challenge = grant.challenge {
                guard let verifier = r.param("code_verifier"), Self.s256(verifier) == challenge else {
                    return .json(400, ["error": "invalid_grant", "error_description": "invalid code verifier"])
                }
            } else if secret == nil || registered == nil {
                return .json(400, ["error": "invalid_request", "error_description": "No auth function available"])
            }
            var answer = tokenAnswer(grant.account)
            if offline.removeValue(forKey: code) == true {
                let refresh = "rt-" + randomToken()
                refreshTokens[refresh] = grant.account
                answer["refresh_token"] = refresh
            }
            return .json(200, answer)
        case "refresh_token":
            guard let refresh = r.param("refresh_token"), let account = refreshTokens[refresh] else {
                return .json(
                    400, ["error": "invalid_grant", "error_description": "refresh token is invalid or revoked"])
            }
            if registered != nil && secret == nil {
                return .json(400, ["error": "invalid_request", "error_description": "No auth function available"])
            }
            return .json(200, tokenAnswer(account))
        default:
            return .json(400, ["error": "unsupported_grant_type"])
        }
    }

    private func tokenAnswer(_ account: String) -> [String: Any] {
        [
            "access_token": newAccessToken(account), "token_type": "bearer", "expires_in": Int(accessTokenLifetime),
            "scope":
                "account_info.read files.content.read files.content.write files.metadata.read files.metadata.write",
            "uid": String(newId()), "account_id": accounts[account]?.accountID ?? "",
        ]
    }

    static func s256(_ verifier: String) -> String {
        Data(SHA256.hash(data: Data(verifier.utf8))).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func escape(_ value: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return value.addingPercentEncoding(withAllowedCharacters: allowed) ?? value
    }
}
