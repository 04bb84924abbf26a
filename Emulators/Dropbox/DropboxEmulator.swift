import EmulatorKit
import Foundation

/// An emulator of Dropbox's HTTP API v2 (shared/api/dropbox.md §6): OAuth 2.0 with PKCE and
/// refresh tokens, the RPC routes (listings with cursors that later return changes, metadata,
/// folders, deletes, moves, copies, batch commits, space usage), the content routes (download with
/// Range, upload, upload sessions with server-tracked offsets) and the 401/409/429 shapes. One
/// server plays every host; users are told apart by their tokens, and a team member's team space
/// is reached with `Dropbox-API-Path-Root`.
// Unchecked: every route and every test hook reads and writes its state under `lock`.
public final class DropboxEmulator: ServedEmulator, @unchecked Sendable {
    let lock = NSLock()
    var accounts: [String: DropboxAccount] = [:]
    /// App keys and their secrets (nil: a PKCE-only app).
    var apps: [String: String?] = [:]
    var consentAccount: String?
    var codes: [String: (account: String, client: String, redirect: String?, challenge: String?)] = [:]
    /// Codes whose authorization asked for offline access (a refresh token).
    var offline: [String: Bool] = [:]
    var accessTokens: [String: (account: String, expires: Date)] = [:]
    var refreshTokens: [String: String] = [:]
    var faults = DropboxFaults()
    var dice = FaultDice(seed: 1)
    var sessions: [String: DropboxUploadSession] = [:]
    var cursors: [String: DropboxCursor] = [:]
    /// Asynchronous delete_batch jobs and their answers.
    var deleteJobs: [String: [[String: Any]]] = [:]
    var requestCounts: [String: Int] = [:]
    var downloadedBytes: Int64 = 0
    var uploadedBytes: Int64 = 0
    /// When each file was last written, for `lookupAfterUpload`.
    var recentlyWritten: Set<String> = []
    public let blobs: BlobStore
    public let server: EmulatorServer
    var nextId = 1000

    /// How long a new access token works (Dropbox's are short-lived: four hours).
    public var accessTokenLifetime: TimeInterval = 14_400
    /// How long an upload session lives (seven days).
    public var sessionLifetime: TimeInterval = 7 * 86_400
    /// The most bytes one upload or append request may carry (150 MiB).
    public var maxRequestBytes: Int64 = 150 << 20
    /// How long each upload or append waits before it is answered (a slow link, for tests that
    /// interrupt an upload midway).
    public var uploadDelay: TimeInterval = 0
    /// How long a write (a commit, a folder, a delete, a move) holds its namespace's lock; another
    /// write arriving meanwhile is refused with `too_many_write_operations`, as Dropbox refuses
    /// writers that queue on one namespace (0: no contention).
    public var writeLockSeconds: TimeInterval = 0
    /// A delete_batch of more entries than this answers as an asynchronous job.
    public var asyncDeleteOver = 20

    public init(threads: Int = 2) throws {
        blobs = try BlobStore(prefix: "dropbox-emulator")
        server = EmulatorServer(threads: threads)
    }

    // MARK: - Test hooks

    /// Adds a user; with `team`, the user also belongs to a team whose space is its root.
    public func addAccount(_ name: String, team: Bool = false) {
        withLock {
            let home = DropboxSpace(namespaceID: String(newId()))
            let account = DropboxAccount(name: name, accountID: "dbid:AA\(newId())", home: home)
            if team { account.team = DropboxSpace(namespaceID: String(newId())) }
            accounts[name] = account
        }
    }

    /// Registers an app key; `secret` nil makes it a PKCE-only app.
    public func registerApp(key: String, secret: String? = nil) { withLock { apps[key] = .some(secret) } }

    /// The user who "signs in and allows" when a browser reaches the authorize page (nil: denies).
    public func approveAuthorizations(as account: String?) { withLock { consentAccount = account } }

    /// An access and a refresh token for `account`, as a finished authorization would give.
    public func issueTokens(for account: String) -> (access: String, refresh: String) {
        withLock {
            let access = newAccessToken(account)
            let refresh = "rt-" + randomToken()
            refreshTokens[refresh] = account
            return (access, refresh)
        }
    }

    /// Every access token of `account` expires now (its refresh tokens keep working).
    public func expireAccessTokens(of account: String) {
        withLock {
            for (token, grant) in accessTokens where grant.account == account {
                accessTokens[token] = (account, .distantPast)
            }
        }
    }

    /// The user unlinks the app: every token of `account` stops working.
    public func revokeGrants(of account: String) {
        withLock {
            accessTokens = accessTokens.filter { $0.value.account != account }
            refreshTokens = refreshTokens.filter { $0.value != account }
        }
    }

    public func setFaults(_ change: (inout DropboxFaults) -> Void) {
        withLock {
            change(&faults)
            dice = FaultDice(seed: faults.seed)
        }
    }

    public func setQuota(_ bytes: Int64, for account: String) { withLock { accounts[account]?.quota = bytes } }

    /// Requests served, by route (`files/list_folder`, `files/upload_session/finish_batch_v2`, …).
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

    func randomToken() -> String { UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased() }

    func newAccessToken(_ account: String) -> String {
        let token = "sl." + randomToken() + randomToken()
        accessTokens[token] = (account, Date().addingTimeInterval(accessTokenLifetime))
        return token
    }

    /// Counts down a fault counter, or draws the fault at `rate`. Call with the lock held.
    func strikes(_ counted: WritableKeyPath<DropboxFaults, Int>, rate: Double = 0) -> Bool {
        if faults[keyPath: counted] > 0 {
            faults[keyPath: counted] -= 1
            return true
        }
        return dice.roll(rate)
    }

    // MARK: - Routing

    public func bodySink(for request: EmulatorRequest) -> BodySink? { nil }

    /// Routes that change the tree: they take the namespace's write lock.
    static let writes: Set<String> = [
        "files/upload", "files/upload_session/finish", "files/upload_session/finish_batch_v2",
        "files/create_folder_v2", "files/delete_v2", "files/delete_batch", "files/move_v2", "files/copy_v2",
    ]

    static let contentRoutes: Set<String> = [
        "files/download", "files/upload", "files/upload_session/start", "files/upload_session/append_v2",
        "files/upload_session/finish",
    ]

    public func handle(_ request: EmulatorRequest) -> EmulatorResponse {
        if request.path == "/oauth2/authorize" || request.path == "/1/oauth2/authorize" {
            return withLock { authorizePage(request) }
        }
        if request.path == "/oauth2/token" || request.path == "/1/oauth2/token" {
            withLock { requestCounts["oauth2/token", default: 0] += 1 }
            return withLock { token(request) }
        }
        guard request.path.hasPrefix("/2/") else {
            return DropboxJSON.plain(404, "Unknown endpoint \(request.path)")
        }
        let route = String(request.path.dropFirst(3))
        withLock { requestCounts[route, default: 0] += 1 }
        if let fault = injectedFault(route) { return fault }
        if Self.contentRoutes.contains(route) && route != "files/download" {
            let delay = withLock { uploadDelay }
            if delay > 0 { Thread.sleep(forTimeInterval: delay) }
        }
        return withLock {
            let user: DropboxAccount
            switch authorize(request) {
            case .failure(let refusal): return refusal.response
            case .success(let found): user = found
            }
            if route == "auth/token/revoke" {
                if let token = bearer(request) { accessTokens[token] = nil }
                return .json(200, [:])
            }
            if route.hasPrefix("users/") { return userRoute(route, user) }
            let space: DropboxSpace
            switch pathRoot(request, user) {
            case .failure(let refusal): return refusal.response
            case .success(let found): space = found
            }
            if Self.writes.contains(route), writeLockSeconds > 0 {
                let now = Date()
                if now < space.lockedUntil {
                    return DropboxJSON.tooMany(
                        "too_many_write_operations", retryAfter: 1, header: "1", plain: false)
                }
                space.lockedUntil = now.addingTimeInterval(writeLockSeconds)
            }
            let content = Self.contentRoutes.contains(route)
            guard let arg = DropboxJSON.argument(request, content: content) else {
                return DropboxJSON.badArgument(route, "could not decode input as JSON")
            }
            if content { return contentRoute(route, request, arg, user, space) }
            return filesRoute(route, arg, user, space)
        }
    }

    /// A 429, a write lock, a 5xx or a dropped connection, when one is due.
    private func injectedFault(_ route: String) -> EmulatorResponse? {
        withLock {
            if strikes(\.rateLimited, rate: faults.rates.rateLimited) {
                let seconds = faults.retryAfter
                let header = faults.retryAfterAsDate ? RetryAfterHeader.date(inSeconds: seconds) : String(seconds)
                return DropboxJSON.tooMany(
                    "too_many_requests", retryAfter: seconds, header: header, plain: faults.plainTextRateLimit)
            }
            if Self.writes.contains(route), strikes(\.writeLocked) {
                return DropboxJSON.tooMany(
                    "too_many_write_operations", retryAfter: faults.retryAfter, header: String(faults.retryAfter),
                    plain: false)
            }
            if strikes(\.serverErrors, rate: faults.rates.serverErrors) {
                return DropboxJSON.plain(faults.serverErrorStatus, "Internal Server Error (injected)")
            }
            if strikes(\.droppedRequests, rate: faults.rates.droppedConnections) { return .hungUp }
            return nil
        }
    }

    struct Refusal: Error {
        let response: EmulatorResponse
        init(_ response: EmulatorResponse) { self.response = response }
    }

    func bearer(_ r: EmulatorRequest) -> String? {
        if let header = r.header("Authorization"), header.hasPrefix("Bearer ") { return String(header.dropFirst(7)) }
        return r.queryValue("authorization").map { $0.hasPrefix("Bearer ") ? String($0.dropFirst(7)) : $0 }
    }

    /// The user a request acts for. Call with the lock held.
    private func authorize(_ r: EmulatorRequest) -> Result<DropboxAccount, Refusal> {
        guard let token = bearer(r), let grant = accessTokens[token] else {
            return .failure(Refusal(DropboxJSON.unauthorized("invalid_access_token")))
        }
        guard grant.expires > Date() else { return .failure(Refusal(DropboxJSON.unauthorized("expired_access_token"))) }
        guard let user = accounts[grant.account] else {
            return .failure(Refusal(DropboxJSON.unauthorized("invalid_access_token")))
        }
        return .success(user)
    }

    /// The space `Dropbox-API-Path-Root` names (the user's home without it). 422 for one the
    /// user cannot reach, or a header that is not a root description.
    private func pathRoot(_ r: EmulatorRequest, _ user: DropboxAccount) -> Result<DropboxSpace, Refusal> {
        guard let header = r.header("Dropbox-API-Path-Root") else { return .success(user.home) }
        guard let root = (try? JSONSerialization.jsonObject(with: Data(header.utf8))) as? [String: Any] else {
            return .failure(Refusal(DropboxJSON.badArgument("path root", "Dropbox-API-Path-Root is not JSON")))
        }
        let id: String?
        switch root[".tag"] as? String {
        case "home": id = user.home.namespaceID
        case "root": id = root["root"] as? String
        case "namespace_id": id = root["namespace_id"] as? String
        default: id = nil
        }
        guard let id, let space = user.space(id) else {
            return .failure(
                Refusal(.json(422, ["error_summary": "no_permission/..", "error": [".tag": "no_permission"]])))
        }
        return .success(space)
    }

    private func userRoute(_ route: String, _ user: DropboxAccount) -> EmulatorResponse {
        switch route {
        case "users/get_space_usage":
            return .json(
                200, ["used": user.used, "allocation": [".tag": "individual", "allocated": user.quota]])
        case "users/get_current_account":
            var root: [String: Any] = [
                ".tag": "user", "root_namespace_id": user.home.namespaceID,
                "home_namespace_id": user.home.namespaceID,
            ]
            if let team = user.team {
                root = [
                    ".tag": "team", "root_namespace_id": team.namespaceID, "home_namespace_id": user.home.namespaceID,
                    "home_path": "/" + user.name,
                ]
            }
            return .json(
                200,
                [
                    "account_id": user.accountID, "name": ["display_name": user.name],
                    "email": "\(user.name)@example.com",
                    "root_info": root,
                ])
        default:
            return DropboxJSON.plain(404, "Unknown endpoint /2/\(route)")
        }
    }
}
