import Crypto
import EmulatorKit
import Foundation

/// An emulator of OneDrive through Microsoft Graph (shared/api/onedrive.md §6): the identity
/// platform's authorize page and token endpoint (PKCE, rotating refresh tokens), driveItems by id
/// and by path (`root:/a/b:/children`, `items/{id}:/rel:/content`), children paging with absolute
/// `@odata.nextLink`, folders with conflict behaviour, PATCH moves and renames, asynchronous copies
/// with an unauthenticated monitor URL, downloads as a 302 to an unauthenticated URL with Range,
/// simple uploads, upload sessions at their own URL (320 KiB fragments, `nextExpectedRanges`, 416,
/// expiry), name rules, quota, and the fault switches. One server plays every host.
// Unchecked: every route and every test hook reads and writes its state under `lock`.
public final class OneDriveEmulator: ServedEmulator, @unchecked Sendable {
    let lock = NSLock()
    var accounts: [String: OneDriveAccount] = [:]
    var apps: Set<String> = []
    var consentAccount: String?
    var codes: [String: (account: String, client: String, redirect: String, challenge: String?)] = [:]
    var accessTokens: [String: (account: String, expires: Date)] = [:]
    var refreshTokens: [String: String] = [:]
    var sessions: [String: OneDriveUploadSession] = [:]
    var downloads: [String: (account: String, id: String, expires: Date)] = [:]
    var copies: [String: OneDriveCopyJob] = [:]
    var faults = OneDriveFaults()
    var dice = FaultDice(seed: 1)
    var requestCounts: [String: Int] = [:]
    var downloadedBytes: Int64 = 0
    var uploadedBytes: Int64 = 0
    public let blobs: BlobStore
    public let server: EmulatorServer
    var nextId = 1000

    /// How long a new access token works (60–90 minutes on the real service).
    public var accessTokenLifetime: TimeInterval = 3600
    /// How long an upload session lives without a fragment.
    public var sessionLifetime: TimeInterval = 3600
    /// How long a server-side copy stays `inProgress`.
    public var copySeconds: TimeInterval = 0.05
    /// Page size of children listings when the client asks for none.
    public var defaultPageSize = 200
    /// How long each fragment waits before it is answered (tests that interrupt an upload).
    public var uploadDelay: TimeInterval = 0

    public init(threads: Int = 2) throws {
        blobs = try BlobStore(prefix: "onedrive-emulator")
        server = EmulatorServer(threads: threads)
    }

    // MARK: - Test hooks

    public func addAccount(_ name: String) {
        withLock {
            accounts[name] = OneDriveAccount(
                name: name, driveID: "b!" + randomToken().prefix(16), rootID: "ROOT" + String(newId()))
        }
    }

    /// Registers a public client (no secret: the desktop registrations sync tools use).
    public func registerApp(clientID: String) { withLock { _ = apps.insert(clientID) } }

    public func approveAuthorizations(as account: String?) { withLock { consentAccount = account } }

    public func issueTokens(for account: String) -> (access: String, refresh: String) {
        withLock { (newAccessToken(account), newRefreshToken(account)) }
    }

    public func expireAccessTokens(of account: String) {
        withLock {
            for (token, grant) in accessTokens where grant.account == account {
                accessTokens[token] = (account, .distantPast)
            }
        }
    }

    public func revokeGrants(of account: String) {
        withLock {
            accessTokens = accessTokens.filter { $0.value.account != account }
            refreshTokens = refreshTokens.filter { $0.value != account }
        }
    }

    /// Every upload session in progress expires now.
    public func expireUploadSessions() {
        withLock { for session in sessions.values { session.expires = .distantPast } }
    }

    public func setFaults(_ change: (inout OneDriveFaults) -> Void) {
        withLock {
            change(&faults)
            dice = FaultDice(seed: faults.seed)
        }
    }

    public func setQuota(_ bytes: Int64, for account: String) { withLock { accounts[account]?.quota = bytes } }

    /// Requests served, by kind (`children`, `content`, `createUploadSession`, `fragment`, …).
    public var requestStats: [String: Int] { withLock { requestCounts } }
    public var servedDownloadBytes: Int64 { withLock { downloadedBytes } }
    public var receivedUploadBytes: Int64 { withLock { uploadedBytes } }

    public func resetRequestStats() {
        withLock {
            requestCounts = [:]
            downloadedBytes = 0
            uploadedBytes = 0
        }
    }

    func withLock<T>(_ body: () throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }

    func newId() -> Int {
        nextId += 1
        return nextId
    }

    func randomToken() -> String { UUID().uuidString.replacingOccurrences(of: "-", with: "") }

    /// A Business-style item id.
    func newItemID() -> String { "01" + randomToken().prefix(30) }

    func newAccessToken(_ account: String) -> String {
        let token = "eyJ0" + randomToken() + randomToken()
        accessTokens[token] = (account, Date().addingTimeInterval(accessTokenLifetime))
        return token
    }

    func newRefreshToken(_ account: String) -> String {
        let token = "M.R3_" + randomToken()
        refreshTokens[token] = account
        return token
    }

    func strikes(_ counted: WritableKeyPath<OneDriveFaults, Int>, rate: Double = 0) -> Bool {
        if faults[keyPath: counted] > 0 {
            faults[keyPath: counted] -= 1
            return true
        }
        return dice.roll(rate)
    }

    func count(_ kind: String) { requestCounts[kind, default: 0] += 1 }

    // MARK: - Routing

    public func bodySink(for request: EmulatorRequest) -> BodySink? { nil }

    public func handle(_ request: EmulatorRequest) -> EmulatorResponse {
        let parts = request.path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        if parts.count == 4, parts[1] == "oauth2", parts[2] == "v2.0" {
            return withLock {
                count("oauth2/" + parts[3])
                return parts[3] == "authorize" ? authorizePage(request) : token(request)
            }
        }
        let base = "http://127.0.0.1:\(request.port)"
        if parts.first == "up", parts.count == 2 {
            let delay = withLock { uploadDelay }
            if delay > 0 { Thread.sleep(forTimeInterval: delay) }
            return withLock { uploadSessionRoute(request, parts[1], base: base) }
        }
        if parts.first == "dl", parts.count == 2 { return withLock { downloadRoute(request, parts[1]) } }
        if parts.first == "monitor", parts.count == 2 { return withLock { monitorRoute(parts[1]) } }
        guard parts.first == "v1.0" else { return OneDriveJSON.error(404, "itemNotFound", "No such route") }
        if let fault = injectedFault() { return fault }
        return withLock {
            let account: OneDriveAccount
            switch authorize(request) {
            case .failure(let refusal): return refusal.response
            case .success(let found): account = found
            }
            return graphRoute(request, Array(parts.dropFirst()), account, base: base)
        }
    }

    /// A 429 or 503 with Retry-After, a 504, or a dropped connection, when one is due.
    func injectedFault() -> EmulatorResponse? {
        withLock {
            if strikes(\.throttled, rate: faults.rates.rateLimited) {
                let seconds = faults.retryAfter
                let value = faults.retryAfterAsDate ? RetryAfterHeader.date(inSeconds: seconds) : String(seconds)
                return OneDriveJSON.error(
                    faults.throttleStatus, "activityLimitReached", "The request has been throttled",
                    inner: "throttledRequest", headers: [("Retry-After", value)], innerSpelling: "innerError")
            }
            if strikes(\.serverErrors, rate: faults.rates.serverErrors) {
                return OneDriveJSON.error(faults.serverErrorStatus, "serviceNotAvailable", "Injected server error")
            }
            if strikes(\.droppedRequests, rate: faults.rates.droppedConnections) { return .hungUp }
            return nil
        }
    }

    struct Refusal: Error {
        let response: EmulatorResponse
        init(_ response: EmulatorResponse) { self.response = response }
    }

    private func authorize(_ r: EmulatorRequest) -> Result<OneDriveAccount, Refusal> {
        guard let header = r.header("Authorization"), header.hasPrefix("Bearer "),
            let grant = accessTokens[String(header.dropFirst(7))], let account = accounts[grant.account]
        else {
            return .failure(
                Refusal(
                    OneDriveJSON.error(
                        401, "InvalidAuthenticationToken", "Access token is empty or invalid.",
                        headers: [("WWW-Authenticate", #"Bearer error="invalid_token""#)])))
        }
        guard grant.expires > Date() else {
            return .failure(
                Refusal(
                    OneDriveJSON.error(
                        401, "InvalidAuthenticationToken", "Access token has expired.",
                        headers: [
                            (
                                "WWW-Authenticate",
                                #"Bearer error="invalid_token", error_description="The access token has expired", expired_token"#
                            )
                        ])))
        }
        return .success(account)
    }

    // MARK: - OAuth

    func authorizePage(_ r: EmulatorRequest) -> EmulatorResponse {
        guard let client = r.queryValue("client_id"), apps.contains(client), r.queryValue("response_type") == "code",
            let redirect = r.queryValue("redirect_uri")
        else { return .json(400, ["error": "invalid_request"]) }
        var fields: [(String, String)] = []
        if let account = consentAccount, accounts[account] != nil,
            (r.queryValue("scope") ?? "").split(separator: " ").contains("offline_access")
        {
            let code = "M.C5_" + randomToken()
            codes[code] = (account, client, redirect, r.queryValue("code_challenge"))
            fields.append(("code", code))
        } else {
            fields.append(("error", "access_denied"))
        }
        if let state = r.queryValue("state") { fields.append(("state", state)) }
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        let query = fields.map { "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: allowed) ?? $0.1)" }
        return EmulatorResponse(
            status: 302,
            headers: [("Location", redirect + (redirect.contains("?") ? "&" : "?") + query.joined(separator: "&"))])
    }

    func token(_ r: EmulatorRequest) -> EmulatorResponse {
        func refuse(_ error: String, _ description: String) -> EmulatorResponse {
            .json(400, ["error": error, "error_description": description, "error_codes": [70008]])
        }
        guard let client = r.param("client_id"), apps.contains(client) else {
            return refuse("invalid_client", "AADSTS700016: Application not found")
        }
        // Public clients must not send a secret.
        if r.param("client_secret") != nil {
            return refuse("invalid_request", "AADSTS90023: Public clients can't send a client secret.")
        }
        let account: String
        switch r.param("grant_type") {
        case "authorization_code":
            guard let code = r.param("code"), let grant = codes.removeValue(forKey: code), grant.client == client,
                grant.redirect == r.param("redirect_uri")
            else { return refuse("invalid_grant", "AADSTS70000: The provided authorization code is invalid") }
            if let challenge = grant.challenge {
                let verifier = r.param("code_verifier") ?? ""
                let digest = Data(SHA256.hash(data: Data(verifier.utf8))).base64EncodedString()
                    .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
                    .replacingOccurrences(of: "=", with: "")
                guard digest == challenge else {
                    return refuse("invalid_grant", "AADSTS501481: The Code_Verifier does not match the code_challenge")
                }
            }
            account = grant.account
        case "refresh_token":
            // Rotation: the refresh token used is spent.
            guard let refresh = r.param("refresh_token"), let owner = refreshTokens.removeValue(forKey: refresh) else {
                return refuse("invalid_grant", "AADSTS70008: The refresh token has expired or is invalid")
            }
            account = owner
        default:
            return refuse("unsupported_grant_type", "AADSTS70003: unsupported grant type")
        }
        return .json(
            200,
            [
                "token_type": "Bearer", "expires_in": Int(accessTokenLifetime),
                "scope": "Files.ReadWrite offline_access", "access_token": newAccessToken(account),
                "refresh_token": newRefreshToken(account),
            ])
    }
}
