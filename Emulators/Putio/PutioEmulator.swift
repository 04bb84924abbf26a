import EmulatorKit
import Foundation

/// An emulator of Put.io's API v2 (see shared/api/putio.md §6): the JSON API, the upload host (single
/// request and tus), self-authorising download URLs, OAuth, and faults switched on by tests. One
/// server plays every host; accounts are told apart by their tokens.
// Unchecked: every route and every test hook reads and writes its state under `lock`.
public final class PutioEmulator: ServedEmulator, @unchecked Sendable {
    let lock = NSLock()
    var accounts: [String: PutioAccount] = [:]
    var nextId: Int64 = 1000
    var faults = PutioFaults()
    var dice = FaultDice(seed: 1)
    /// Signed download URLs: signature → (account, file id, expiry).
    var grants: [String: (account: String, id: Int64, expires: Date, mp4: Bool)] = [:]
    public var downloadURLLifetime: TimeInterval = 3600
    public let blobs: BlobStore
    public let server: EmulatorServer
    var requestCounts: [String: Int] = [:]
    /// Body bytes the storage host has sent (or begun to send) since the last reset.
    var downloadedBytes: Int64 = 0
    var oauthState = OAuthState()
    var transferSeconds: TimeInterval = 1
    var clock: () -> Int64 = { Int64(Date().timeIntervalSince1970) }

    public init(threads: Int = 2) throws {
        blobs = try BlobStore(prefix: "putio-emulator")
        server = EmulatorServer(threads: threads)
    }

    /// Adds an account and returns its token (random unless given).
    @discardableResult
    public func addAccount(_ name: String, token: String? = nil) -> String {
        let token = token ?? "tok-\(name)-" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        withLock { accounts[name] = PutioAccount(name: name, token: token) }
        return token
    }

    /// Makes every current token of `account` invalid (401), as a user revoking the app would.
    public func revokeTokens(of account: String) {
        withLock { accounts[account]?.tokens.removeAll() }
    }

    public func setFaults(_ change: (inout PutioFaults) -> Void) {
        withLock {
            change(&faults)
            dice = FaultDice(seed: faults.seed)
        }
    }

    /// Whether a fault strikes this request: a counted one first, else a random draw. Call with
    /// the lock held.
    func strikes(_ counted: WritableKeyPath<PutioFaults, Int>, rate: Double) -> Bool {
        if faults[keyPath: counted] > 0 {
            faults[keyPath: counted] -= 1
            return true
        }
        return dice.roll(rate)
    }

    /// A commit's answer, or a 503 after the commit took effect (a fault). Call with the lock held.
    func committed(_ answer: EmulatorResponse) -> EmulatorResponse {
        guard strikes(\.errorsAfterCommit, rate: faults.rates.errorsAfterCommit) else { return answer }
        return PutioJSON.error(503, "ServiceUnavailable", "Injected server error after the commit")
    }

    public func setTrash(enabled: Bool, for account: String) {
        withLock { accounts[account]?.trashEnabled = enabled }
    }

    /// Requests served, by route name (`files/list`, `tus/patch`, `download`, …).
    public var requestStats: [String: Int] { withLock { requestCounts } }

    public func resetRequestStats() {
        withLock {
            requestCounts = [:]
            downloadedBytes = 0
        }
    }

    /// Body bytes the storage host has served since the last reset.
    public var servedDownloadBytes: Int64 { withLock { downloadedBytes } }

    func withLock<T>(_ body: () throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }

    func newId() -> Int64 {
        nextId += 1
        return nextId
    }

    func newBlobPath() -> String { blobs.newPath() }

    // MARK: - Routing

    public func bodySink(for request: EmulatorRequest) -> BodySink? {
        if request.method == "PATCH", request.path.hasPrefix("/files/") { return tusSink(request) }
        return nil
    }

    public func handle(_ request: EmulatorRequest) -> EmulatorResponse {
        let key = Self.routeName(request)
        withLock { requestCounts[key, default: 0] += 1 }
        if request.path.hasPrefix("/download/") { return storageDownload(request) }
        if request.path.hasPrefix("/v2/oauth2/") { return oauth(request) }
        if let fault = injectedFault() { return fault }
        guard let account = authenticate(request) else {
            return PutioJSON.error(401, "invalid_grant", "Unauthorized")
        }
        return withLock { route(request, account) }
    }

    static func routeName(_ request: EmulatorRequest) -> String {
        let p = request.path
        if p.hasPrefix("/download/") { return "download" }
        if p.hasPrefix("/files/") || p == "/files" { return "tus/\(request.method.lowercased())" }
        let parts = p.split(separator: "/").dropFirst()  // drop "v2"
        return parts.map { Int64($0) == nil ? String($0) : "{id}" }.joined(separator: "/")
    }

    private func injectedFault() -> EmulatorResponse? {
        withLock {
            if strikes(\.rateLimited, rate: faults.rates.rateLimited) {
                let seconds = max(faults.retryAfterSeconds, faults.rates.retryAfterSeconds)
                let reset = clock() + Int64(seconds)
                // Alternate the two forms HTTP allows, so clients meet both.
                let asDate = faults.retryAfterAsDate || (!faults.rates.isEmpty && dice.roll(0.5))
                return PutioJSON.error(
                    429, "TooManyRequests", "Too many requests",
                    headers: [
                        ("Retry-After", asDate ? RetryAfterHeader.date(inSeconds: seconds) : String(seconds)),
                        ("X-RateLimit-Limit", "60"), ("X-RateLimit-Remaining", "0"),
                        ("X-RateLimit-Reset", String(reset)), ("X-RateLimit-Id", "emulator"),
                        ("X-RateLimit-Action", "wait"),
                    ])
            }
            if strikes(\.serverErrors, rate: faults.rates.serverErrors) {
                return PutioJSON.error(faults.serverErrorStatus, "ServiceUnavailable", "Injected server error")
            }
            if strikes(\.droppedRequests, rate: faults.rates.droppedConnections) { return .hungUp }
            return nil
        }
    }

    /// The token from `Authorization: Bearer|token|Token …` or `?oauth_token=`.
    private func authenticate(_ request: EmulatorRequest) -> PutioAccount? {
        var token = request.queryValue("oauth_token")
        if let header = request.header("Authorization") {
            let parts = header.split(separator: " ", maxSplits: 1)
            if parts.count == 2, ["bearer", "token"].contains(parts[0].lowercased()) { token = String(parts[1]) }
        }
        guard let token, !token.isEmpty else { return nil }
        return withLock { isExpired(token) ? nil : accounts.values.first { $0.tokens.contains(token) } }
    }

    /// Routes of an authenticated request, run under the lock.
    private func route(_ r: EmulatorRequest, _ a: PutioAccount) -> EmulatorResponse {
        let path = r.path.split(separator: "/").map(String.init)
        func on(_ method: String, _ pattern: String) -> [String]? {
            guard r.method == method else { return nil }
            return RoutePattern.match(path, pattern)
        }
        if on("GET", "v2/account/info") != nil { return accountInfo(a) }
        if on("GET", "v2/files/list") != nil { return list(r, a) }
        if on("POST", "v2/files/list/continue") != nil { return listContinue(r, a) }
        if on("POST", "v2/files/create-folder") != nil { return createFolder(r, a) }
        if on("POST", "v2/files/delete") != nil { return delete(r, a) }
        if on("POST", "v2/files/rename") != nil { return rename(r, a) }
        if on("POST", "v2/files/move") != nil { return move(r, a) }
        if on("POST", "v2/files/copy") != nil { return copy(r, a) }
        if on("POST", "v2/files/touch") != nil { return touch(r, a) }
        if on("POST", "v2/files/upload") != nil { return singleUpload(r, a) }
        if let id = on("GET", "v2/files/*") { return getFile(id[0], r, a) }
        if let id = on("GET", "v2/files/*/mp4") ?? on("POST", "v2/files/*/mp4") { return mp4Status(id[0], r, a) }
        if let id = on("GET", "v2/files/*/mp4/download") ?? on("HEAD", "v2/files/*/mp4/download") {
            return downloadRedirect(id[0], r, a, mp4: true)
        }
        if let id = on("GET", "v2/files/*/child") { return child(id[0], r, a) }
        if let id = on("GET", "v2/files/*/url") { return downloadURL(id[0], r, a) }
        if let id = on("GET", "v2/files/*/download") ?? on("HEAD", "v2/files/*/download") {
            return downloadRedirect(id[0], r, a)
        }
        if on("POST", "files") != nil { return tusCreate(r, a) }
        if let id = on("PATCH", "files/*") { return tusPatch(id[0], r, a) }
        if let id = on("HEAD", "files/*") { return tusHead(id[0], a) }
        if let id = on("DELETE", "files/*") { return tusDelete(id[0], a) }
        if path.count >= 2, path[1] == "transfers", let answer = transfersRoute(r, a, path) { return answer }
        return PutioJSON.error(404, "NOT_FOUND", "No route for \(r.method) \(r.path)")
    }

    func accountInfo(_ a: PutioAccount) -> EmulatorResponse {
        let used = a.used + a.trashSize
        return PutioJSON.ok([
            "info": [
                "user_id": abs(a.name.hashValue % 100000), "username": a.name, "mail": "\(a.name)@example.invalid",
                "account_active": true, "account_status": "active", "trash_size": a.trashSize,
                "settings": ["trash_enabled": a.trashEnabled, "default_download_folder": 0, "sort_by": "NAME_ASC"],
                "disk": ["size": a.diskSize, "used": used, "avail": max(0, a.diskSize - used)],
            ] as [String: Any]
        ])
    }
}
