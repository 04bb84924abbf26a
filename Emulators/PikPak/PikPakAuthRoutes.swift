import EmulatorKit
import Foundation

/// The user host (pikpak.md §1.2–1.3): captcha tokens, sign-in with a user name and password,
/// the refresh grant (form or JSON) that rotates the refresh token, and `user/me`.
extension PikPakEmulator {
    /// Routes of the user host, run under the lock.
    func userRoute(_ r: EmulatorRequest) -> EmulatorResponse {
        switch (r.method, r.path) {
        case ("POST", "/v1/shield/captcha/init"): return captchaInit(r)
        case ("POST", "/v1/auth/signin"): return signIn(r)
        case ("POST", "/v1/auth/token"): return refresh(r)
        case ("GET", "/v1/user/me"): return me(r)
        default: return PikPakJSON.error(404, "not_found", code: 5, "No route for \(r.method) \(r.path)")
        }
    }

    private func captchaInit(_ r: EmulatorRequest) -> EmulatorResponse {
        let body = PikPakJSON.body(r)
        guard body["client_id"] as? String == Self.clientId else {
            return PikPakJSON.error(400, "invalid_client", code: 4000, "Invalid client id")
        }
        guard let device = body["device_id"] as? String, device.count == 32,
            device.allSatisfy({ $0.isHexDigit && !$0.isUppercase })
        else {
            return PikPakJSON.error(400, "invalid_argument", code: 3, "device_id must be 32 lowercase hex digits")
        }
        guard let action = body["action"] as? String, action.contains(":/") else {
            return PikPakJSON.error(400, "invalid_argument", code: 3, "action must be METHOD:/path")
        }
        let meta = body["meta"] as? [String: Any] ?? [:]
        // Sign-in's meta names the user; every other action's carries the client's signature
        // (`1.` and 32 hex digits; the salts behind it are the client's, not checked here).
        let sign = meta["captcha_sign"] as? String ?? ""
        let signed = sign.hasPrefix("1.") && sign.count == 34 && sign.dropFirst(2).allSatisfy(\.isHexDigit)
        guard signed || (action == "POST:/v1/auth/signin" && meta["username"] != nil) else {
            return PikPakJSON.error(400, "captcha_invalid", code: 4002, "captcha meta is incomplete")
        }
        if faults.captchaNeedsHuman {
            return PikPakJSON.ok([
                "captcha_token": "", "expires_in": 0,
                "url": "https://user.mypikpak.com/captcha/v2/spritePuzzle.html?action=\(action)",
            ])
        }
        let token = randomToken("ck0.")
        captchas[token] = Date().addingTimeInterval(captchaLifetime)
        return PikPakJSON.ok(["captcha_token": token, "expires_in": Int(captchaLifetime)])
    }

    private func signIn(_ r: EmulatorRequest) -> EmulatorResponse {
        guard let captcha = r.header("X-Captcha-Token"), let until = captchas[captcha], until > Date() else {
            return PikPakJSON.error(400, "captcha_invalid", code: 4002, "Verification code is invalid")
        }
        let body = PikPakJSON.body(r)
        guard let user = body["username"] as? String, let password = body["password"] as? String,
            let account = accounts[user], account.password == password
        else {
            return PikPakJSON.error(
                400, "invalid_account_or_password", code: 4022, "Account or password is incorrect")
        }
        return issueTokens(account)
    }

    private func refresh(_ r: EmulatorRequest) -> EmulatorResponse {
        guard r.param("grant_type") == "refresh_token", let token = r.param("refresh_token") else {
            return PikPakJSON.error(400, "invalid_request", code: 4000, "grant_type=refresh_token is required")
        }
        guard let account = accounts.values.first(where: { $0.refreshTokens.contains(token) }) else {
            return PikPakJSON.error(400, "invalid_grant", code: 4126, "The refresh token is invalid or expired")
        }
        account.refreshTokens.remove(token)  // rotated: each refresh token works once
        return issueTokens(account)
    }

    private func issueTokens(_ account: PikPakAccount) -> EmulatorResponse {
        let access = Self.jwt(sub: account.userId, id: UUID().uuidString)
        let refresh = randomToken("os.")
        account.accessTokens[access] = Date().addingTimeInterval(accessTokenLifetime)
        account.refreshTokens.insert(refresh)
        return PikPakJSON.ok([
            "token_type": "Bearer", "access_token": access, "refresh_token": refresh,
            "expires_in": Int(accessTokenLifetime), "sub": account.userId,
        ])
    }

    private func me(_ r: EmulatorRequest) -> EmulatorResponse {
        guard let header = r.header("Authorization"), header.hasPrefix("Bearer "),
            let account = accounts.values.first(where: {
                ($0.accessTokens[String(header.dropFirst(7))] ?? .distantPast) > Date()
            })
        else { return PikPakJSON.error(401, "unauthenticated", code: 16, "Unauthenticated") }
        return PikPakJSON.ok([
            "sub": account.userId, "name": account.name, "email": "\(account.name)@example.invalid",
            "phone_number": "", "password": "SET", "status": "ACTIVE",
        ])
    }

    /// An unsigned JWT whose `sub` claim is the user id (clients decode it for captcha meta).
    static func jwt(sub: String, id: String) -> String {
        func part(_ object: [String: Any]) -> String {
            let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
            return data.base64EncodedString().replacingOccurrences(of: "+", with: "-")
                .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        }
        return part(["alg": "RS256", "typ": "JWT"]) + "." + part(["sub": sub, "jti": id, "iss": "emulator"]) + "."
            + part(["sig": id])
    }
}
