import ConnectorKit
import Crypto
import Foundation
import Synchronization

/// PikPak's sign-in (pikpak.md §1.2–1.3): a captcha token for the action, the user name and
/// password, then access tokens refreshed with a refresh token that rotates on every use. Each new
/// pair is handed to the host to store; the plugin writes no files. One captcha token serves every
/// call until it expires or the server refuses it.
final class PikPakAuth: Sendable {
    struct State {
        var access = ""
        var refresh = ""
        var expiry = Date.distantPast
        var captcha = ""
        var captchaExpiry = Date.distantPast
        var userID = ""
    }

    private let settings: PikPakSettings
    private let http: HTTPClient
    private let host: ConnectorHost
    /// Held through a sign-in or refresh, so other threads wait for its tokens instead of
    /// spending the refresh token twice.
    private let state: Mutex<State>

    init(settings: PikPakSettings, config: ConnectorConfig, http: HTTPClient, host: ConnectorHost) {
        self.settings = settings
        self.http = http
        self.host = host
        var initial = State()
        initial.access = config.string("access_token") ?? ""
        initial.refresh = config.string("refresh_token") ?? ""
        initial.expiry = OAuthToken.parseExpiry(config.string("token_expiry")) ?? .distantPast
        initial.userID = Self.subject(of: initial.access) ?? ""
        for secret in [initial.access, initial.refresh, settings.password] where !secret.isEmpty {
            http.redactor.register(secret)
        }
        state = Mutex(initial)
    }

    /// Headers for a drive call: a bearer token good for another minute and a captcha token.
    func headers(for action: String) throws -> [(String, String)] {
        try state.withLock { s in
            if s.access.isEmpty || s.expiry.timeIntervalSinceNow < 60 { try renew(&s, rejected: nil) }
            if s.captcha.isEmpty || s.captchaExpiry.timeIntervalSinceNow < 10 { try newCaptcha(&s, action: action) }
            return clientHeaders + [("Authorization", "Bearer \(s.access)"), ("X-Captcha-Token", s.captcha)]
        }
    }

    var clientHeaders: [(String, String)] {
        [
            ("X-Client-Id", settings.clientID), ("X-Client-Version", settings.clientVersion),
            ("X-Device-Id", settings.deviceID),
        ]
    }

    /// After a 401 on a call made with `used` (the Authorization value): new tokens, unless another
    /// thread already got them.
    func accessRejected(_ used: String) throws {
        try state.withLock { s in
            guard used == "Bearer \(s.access)" else { return }
            try renew(&s, rejected: s.access)
        }
    }

    /// After captcha_invalid on a call made with `used`: the next call gets a new captcha token.
    func captchaRejected(_ used: String) {
        state.withLock { s in if s.captcha == used { s.captchaExpiry = .distantPast } }
    }

    /// Refreshes; when no refresh token works, signs in again with the password.
    private func renew(_ s: inout State, rejected: String?) throws {
        if !s.refresh.isEmpty {
            let response = try http.send(
                .form(
                    "POST", settings.userURL + "/v1/auth/token",
                    [("grant_type", "refresh_token"), ("refresh_token", s.refresh), ("client_id", settings.clientID)],
                    headers: clientHeaders))
            if response.isSuccess, let json = response.json {
                try adopt(json, into: &s)
                return
            }
            let failure = PikPakErrors.failure("refresh the access token", response)
            guard failure.code == .auth || response.json?["error"] as? String == "invalid_grant" else { throw failure }
            host.log(.info, "pikpak: the refresh token was refused; signing in again")
            s.refresh = ""
        }
        try signIn(&s)
    }

    private func signIn(_ s: inout State) throws {
        guard !settings.password.isEmpty else {
            throw ConnectorFailure(
                .auth,
                "pikpak: signed out (no working refresh token) and the account has no password; set it with `sync-core account add pikpak NAME`"
            )
        }
        s.captcha = ""
        try newCaptcha(&s, action: "POST:/v1/auth/signin", signIn: true)
        let body: [String: Any] = [
            "username": settings.username, "password": settings.password, "client_id": settings.clientID,
        ]
        let response = try http.send(
            HTTPRequest(
                "POST", settings.userURL + "/v1/auth/signin",
                headers: clientHeaders + [("X-Captcha-Token", s.captcha), ("Content-Type", "application/json")],
                body: .bytes(Array(try JSONSerialization.data(withJSONObject: body)))))
        guard response.isSuccess, let json = response.json else {
            var failure = PikPakErrors.failure("sign in as \(settings.username)", response)
            if response.json?["error"] as? String == "invalid_account_or_password" {
                failure = ConnectorFailure(
                    .auth, "pikpak: PikPak refused the user name or password of \(settings.username)")
            }
            throw failure
        }
        // Its captcha token serves drive calls too until it expires, as rclone uses it: the
        // server does not bind a token strictly to its action (pikpak.md §1.3).
        try adopt(json, into: &s)
    }

    /// Takes a token answer and hands the new pair to the host to store.
    private func adopt(_ json: [String: Any], into s: inout State) throws {
        guard let access = json["access_token"] as? String, !access.isEmpty,
            let refresh = json["refresh_token"] as? String
        else { throw ConnectorFailure(.transient, "pikpak: the token answer has no tokens") }
        let lifetime = (json["expires_in"] as? NSNumber)?.doubleValue ?? 7200
        s.access = access
        s.refresh = refresh
        s.expiry = Date().addingTimeInterval(lifetime)
        s.userID = json["sub"] as? String ?? Self.subject(of: access) ?? s.userID
        http.redactor.register(access)
        http.redactor.register(refresh)
        host.credentialsChanged([
            "access_token": access, "refresh_token": refresh, "token_expiry": OAuthToken.formatExpiry(s.expiry),
        ])
    }

    private func newCaptcha(_ s: inout State, action: String, signIn: Bool = false) throws {
        let millis = String(Int64(Date().timeIntervalSince1970 * 1000))
        var meta: [String: Any]
        if signIn {
            meta = ["username": settings.username]
        } else {
            guard !settings.captchaSalts.isEmpty else {
                throw ConnectorFailure(
                    .invalidArgument,
                    "pikpak: captcha_salts is not set; PikPak needs the client's salts to sign captcha requests (docs/pikpak.md)"
                )
            }
            meta = [
                "captcha_sign": captchaSign(timestamp: millis), "client_version": settings.clientVersion,
                "package_name": settings.packageName, "timestamp": millis, "user_id": s.userID,
            ]
        }
        let body: [String: Any] = [
            "action": action, "captcha_token": s.captcha, "client_id": settings.clientID,
            "device_id": settings.deviceID, "meta": meta,
        ]
        let response = try http.send(
            HTTPRequest(
                "POST", settings.userURL + "/v1/shield/captcha/init",
                headers: clientHeaders + [("Content-Type", "application/json")],
                body: .bytes(Array(try JSONSerialization.data(withJSONObject: body)))))
        guard response.isSuccess, let json = response.json else {
            throw PikPakErrors.failure("get a captcha token", response)
        }
        if let url = json["url"] as? String, !url.isEmpty {
            throw ConnectorFailure(
                .auth, "pikpak: PikPak wants a person to verify this sign-in; open \(url) in a browser, then run again")
        }
        guard let token = json["captcha_token"] as? String, !token.isEmpty else {
            throw ConnectorFailure(.transient, "pikpak: the captcha answer has no token")
        }
        http.redactor.register(token)
        s.captcha = token
        s.captchaExpiry = Date().addingTimeInterval((json["expires_in"] as? NSNumber)?.doubleValue ?? 300)
    }

    /// `1.` and the client's fields hashed through each salt in turn (pikpak.md §1.3).
    func captchaSign(timestamp: String) -> String {
        var s = settings.clientID + settings.clientVersion + settings.packageName + settings.deviceID + timestamp
        for salt in settings.captchaSalts {
            s = Insecure.MD5.hash(data: Data((s + salt).utf8)).map { String(format: "%02x", $0) }.joined()
        }
        return "1." + s
    }

    /// The `sub` claim of a JWT (the user id), without checking its signature.
    static func subject(of jwt: String) -> String? {
        let parts = jwt.split(separator: ".")
        guard parts.count >= 2 else { return nil }
        var text = parts[1].replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        text += String(repeating: "=", count: (4 - text.count % 4) % 4)
        guard let data = Data(base64Encoded: text),
            let claims = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
        else { return nil }
        return claims["sub"] as? String
    }
}
