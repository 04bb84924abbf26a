import EmulatorKit
import Foundation

/// An emulator of PikPak's drive API (see shared/api/pikpak.md §6): the user host (captcha tokens,
/// sign-in, rotating refresh tokens), the drive host (listings with filters and page tokens,
/// folders, batch operations settled through tasks, upload tickets with instant completion by
/// GCID), the storage host the tickets point at (S3-style single and multipart uploads) and
/// expiring download links. One server plays every host; accounts are told apart by their tokens.
// Unchecked: every route and every test hook reads and writes its state under `lock`.
public final class PikPakEmulator: ServedEmulator, @unchecked Sendable {
    /// The web client's id, which rclone and this emulator expect.
    public static let clientId = "YUMx5nI8ZU8Ap8pm"

    let lock = NSLock()
    var accounts: [String: PikPakAccount] = [:]
    /// Captcha tokens and when they stop being accepted.
    var captchas: [String: Date] = [:]
    var faults = PikPakFaults()
    var dice = FaultDice(seed: 1)
    var uploads: [String: PikPakUpload] = [:]
    var tasks: [String: PikPakTask] = [:]
    /// Effects of batch operations, applied when their task completes, in order.
    var pending: [(due: Date, apply: () -> Void)] = []
    /// Download links: signature → (account, file id, expiry).
    var grants: [String: (account: String, id: String, expires: Date)] = [:]
    var requestCounts: [String: Int] = [:]
    var downloadedBytes: Int64 = 0
    public let blobs: BlobStore
    public let server: EmulatorServer
    var nextId = 1000

    /// How long a new access token works (the real one: 7200 s); short in tests of refreshing.
    public var accessTokenLifetime: TimeInterval = 7200
    public var captchaLifetime: TimeInterval = 300
    public var downloadLinkLifetime: TimeInterval = 3600
    /// How long a batch operation's task stays RUNNING before its effect shows.
    public var taskSeconds: TimeInterval = 0.05
    /// How long after an upload its download link is missing (the real server: up to a minute).
    public var linkDelay: TimeInterval = 0
    /// How long an offline download takes, at least.
    public var offlineSeconds: TimeInterval = 0.2
    /// How long each storage request waits before it is answered (a slow store, for tests that
    /// interrupt an upload midway).
    public var storageDelay: TimeInterval = 0

    public init(threads: Int = 2) throws {
        blobs = try BlobStore(prefix: "pikpak-emulator")
        server = EmulatorServer(threads: threads)
    }

    /// Adds an account that signs in with `name` and `password`.
    public func addAccount(_ name: String, password: String) {
        withLock {
            accounts[name] = PikPakAccount(name: name, password: password, userId: "ZZ" + String(newId()))
        }
    }

    /// Every access and refresh token of `account` stops working, as when the user signs out
    /// everywhere or changes the password: the next refresh is invalid_grant.
    public func revokeSessions(of account: String) {
        withLock {
            accounts[account]?.accessTokens.removeAll()
            accounts[account]?.refreshTokens.removeAll()
        }
    }

    /// Access tokens of `account` expire now (refresh tokens keep working).
    public func expireAccessTokens(of account: String) {
        withLock {
            guard let a = accounts[account] else { return }
            for token in a.accessTokens.keys { a.accessTokens[token] = .distantPast }
        }
    }

    public func setPassword(_ password: String, for account: String) {
        withLock { accounts[account]?.password = password }
    }

    public func setFaults(_ change: (inout PikPakFaults) -> Void) {
        withLock {
            change(&faults)
            dice = FaultDice(seed: faults.seed)
        }
    }

    public func setQuota(_ bytes: Int64, for account: String) { withLock { accounts[account]?.quota = bytes } }

    /// Requests served, by route name (`drive/files`, `storage/put`, `download`, …).
    public var requestStats: [String: Int] { withLock { requestCounts } }
    public var servedDownloadBytes: Int64 { withLock { downloadedBytes } }

    public func resetRequestStats() {
        withLock {
            requestCounts = [:]
            downloadedBytes = 0
        }
    }

    func withLock<T>(_ body: () throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }

    /// A fresh opaque id in PikPak's style (`VN` and 24 characters).
    func newId() -> String {
        nextId += 1
        let tail = UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(16)
        return "VN" + String(nextId) + tail
    }

    func randomToken(_ prefix: String) -> String {
        prefix + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
            + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
    }

    /// Whether a fault strikes this request: a counted one first, else a random draw. Call with
    /// the lock held.
    func strikes(_ counted: WritableKeyPath<PikPakFaults, Int>, rate: Double = 0) -> Bool {
        if faults[keyPath: counted] > 0 {
            faults[keyPath: counted] -= 1
            return true
        }
        return dice.roll(rate)
    }

    /// Applies the effects of batch operations whose task is done. Call with the lock held.
    func settle(now: Date = Date()) {
        while let first = pending.first, first.due <= now {
            pending.removeFirst()
            first.apply()
        }
    }

    // MARK: - Routing

    public func bodySink(for request: EmulatorRequest) -> BodySink? { nil }

    public func handle(_ request: EmulatorRequest) -> EmulatorResponse {
        let name = Self.routeName(request)
        withLock { requestCounts[name, default: 0] += 1 }
        if request.path == "/download/" || request.path == "/download" { return download(request) }
        if request.path.hasPrefix("/v1/") { return withLock { userRoute(request) } }
        if let fault = injectedFault(drive: request.path.hasPrefix("/drive/")) { return fault }
        if request.path.hasPrefix("/u/") {
            let delay = withLock { storageDelay }
            if delay > 0 { Thread.sleep(forTimeInterval: delay) }
            return withLock { storageRoute(request) }
        }
        guard request.path.hasPrefix("/drive/v1/") else {
            return PikPakJSON.error(404, "not_found", code: 5, "No route for \(request.method) \(request.path)")
        }
        return withLock {
            settle()
            switch authorize(request) {
            case .failure(let refusal): return refusal.response
            case .success(let account): return driveRoute(request, account)
            }
        }
    }

    static func routeName(_ r: EmulatorRequest) -> String {
        if r.path.hasPrefix("/download") { return "download" }
        if r.path.hasPrefix("/u/") {
            if r.queryValue("uploadId") != nil || r.query.contains(where: { $0.0 == "uploads" }) {
                return "storage/multipart"
            }
            return "storage/\(r.method.lowercased())"
        }
        let parts = r.path.split(separator: "/")
        if parts.first == "v1" { return parts.dropFirst().joined(separator: "/") }
        let tail = parts.dropFirst(2).map { $0.hasPrefix("VN") ? "{id}" : String($0) }
        return "drive/" + tail.joined(separator: "/")
    }

    /// A 429, a 5xx, "too frequent" or a dropped connection, when one is due.
    private func injectedFault(drive: Bool) -> EmulatorResponse? {
        withLock {
            if strikes(\.rateLimited, rate: faults.rates.rateLimited) {
                let seconds = faults.retryAfter ?? faults.rates.retryAfterSeconds
                let value =
                    faults.retryAfterAsDate ? RetryAfterHeader.date(inSeconds: seconds) : String(seconds)
                let headers = faults.retryAfter == nil && faults.rates.isEmpty ? [] : [("Retry-After", value)]
                return PikPakJSON.error(429, "too_many_requests", code: 8, "Too many requests", headers: headers)
            }
            if strikes(\.serverErrors, rate: faults.rates.serverErrors) {
                return PikPakJSON.error(faults.serverErrorStatus, "internal", code: 13, "Injected server error")
            }
            if drive, strikes(\.tooFrequent) {
                return PikPakJSON.error(400, "aborted", code: 10, "Operation too frequent, please try again later")
            }
            if strikes(\.droppedRequests, rate: faults.rates.droppedConnections) { return .hungUp }
            return nil
        }
    }

    /// The account a drive request acts for: a valid bearer token and a captcha token the server
    /// still accepts. Call with the lock held.
    private func authorize(_ r: EmulatorRequest) -> Result<PikPakAccount, Refusal> {
        guard let header = r.header("Authorization"), header.hasPrefix("Bearer ") else {
            return .failure(Refusal(PikPakJSON.error(401, "unauthenticated", code: 16, "Unauthenticated")))
        }
        let token = String(header.dropFirst("Bearer ".count))
        guard let account = accounts.values.first(where: { $0.accessTokens[token] != nil }),
            let expiry = account.accessTokens[token], expiry > Date()
        else {
            return .failure(Refusal(PikPakJSON.error(401, "unauthenticated", code: 16, "Unauthenticated")))
        }
        guard let captcha = r.header("X-Captcha-Token"), let until = captchas[captcha], until > Date(),
            !strikes(\.captchaRejections)
        else {
            return .failure(Refusal(PikPakJSON.error(400, "captcha_invalid", code: 9, "Verification code is invalid")))
        }
        return .success(account)
    }

    struct Refusal: Error {
        let response: EmulatorResponse
        init(_ response: EmulatorResponse) { self.response = response }
    }

    /// Routes of the drive host, run under the lock.
    private func driveRoute(_ r: EmulatorRequest, _ a: PikPakAccount) -> EmulatorResponse {
        let path = Array(r.path.split(separator: "/").map(String.init).dropFirst(2))  // drop "drive", "v1"
        func on(_ method: String, _ pattern: String) -> [String]? {
            r.method == method ? RoutePattern.match(path, pattern) : nil
        }
        if on("GET", "about") != nil { return about(a) }
        if on("GET", "files") != nil { return list(r, a) }
        if on("POST", "files") != nil { return create(r, a) }
        if on("PATCH", "files/trash:empty") != nil { return emptyTrash(a) }
        if let id = on("GET", "files/*") { return get(id[0], r, a) }
        if let id = on("PATCH", "files/*") { return rename(id[0], r, a) }
        if let op = on("POST", "*"), op[0].hasPrefix("files:") { return batch(String(op[0].dropFirst(6)), r, a) }
        if let id = on("GET", "tasks/*") { return task(id[0]) }
        if on("GET", "tasks") != nil { return listTasks(r, a) }
        if on("DELETE", "tasks") != nil { return deleteTasks(r, a) }
        if on("GET", "resource/cid") != nil { return cidLookup(r) }
        return PikPakJSON.error(404, "not_found", code: 5, "No route for \(r.method) \(r.path)")
    }

    func about(_ a: PikPakAccount) -> EmulatorResponse {
        PikPakJSON.ok([
            "kind": "drive#about", "expires_at": "", "quotas": [:] as [String: Any],
            "quota": [
                "kind": "drive#quota", "limit": String(a.quota), "usage": String(a.usage),
                "usage_in_trash": String(a.usageInTrash), "play_times_limit": "-1", "play_times_usage": "0",
                "is_unlimited": false,
            ] as [String: Any],
        ])
    }
}
