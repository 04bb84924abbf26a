import ConnectorKit
import Foundation

/// OneDrive (Personal and Business) through Microsoft Graph (onedrive.md): driveItems addressed by
/// path under the account's root and by id, quickXorHash on every file, upload sessions in 320 KiB
/// multiples resumable across runs, downloads through the pre-authenticated URL a `/content`
/// redirects to, server-side moves (PATCH) and asynchronous copies, OAuth with PKCE and rotating
/// refresh tokens. Names follow Windows' rules, which the host encodes reversibly.
final class OneDriveConnector: Connector, ServerMove, ServerCopy, QuotaReporting, Sendable {
    static let info = ConnectorInfo(
        name: "onedrive",
        version: "0.1.0",
        summary: "OneDrive (Graph): quickXorHash verified, resumable upload sessions, server-side copy and move",
        capabilities: [.rangedRead, .setMtime, .atomicWrite, .emptyDirectories, .ids, .resumableUpload],
        hashKinds: [.quickxor],
        // fileSystemInfo keeps milliseconds; rclone, and sync-core, count a second.
        mtimePrecisionNanoseconds: 1_000_000_000,
        nameRules: .init(
            forbiddenCharacters: "/\\\"*:<>?|", caseInsensitive: true, noTrailingDot: true, noTrailingSpace: true,
            noLeadingSpace: true, windowsReserved: true),
        options: OneDriveSettings.options + HTTPSettings.tlsOptions)

    let host: ConnectorHost
    let http: HTTPClient
    let settings: OneDriveSettings
    let credentials: OAuthCredentials
    /// `…/me/drive` or `…/drives/{id}`.
    let drive: String

    init(config: ConnectorConfig, host: ConnectorHost) throws {
        self.host = host
        settings = OneDriveSettings(config)
        let tls = HTTPSettings(config: config, userAgent: "ISV|sync-core|sync-core/0.1")
        http = HTTPClient(
            settings: tls, log: { [host] line in host.log(.debug, "onedrive: " + line) },
            isCancelled: { [host] in host.isCancelled })
        guard let token = config.string("token"), !token.isEmpty else {
            throw ConnectorFailure(
                .auth, "onedrive: the account has no token — authorize with `sync-core account add onedrive NAME`")
        }
        credentials = OAuthCredentials(
            token: OAuthToken(
                accessToken: token, refreshToken: config.string("refresh_token"),
                expiresAt: OAuthToken.parseExpiry(config.string("token_expiry"))),
            provider: settings.provider, http: http, host: host)
        drive =
            settings.graphURL
            + (settings.driveID.isEmpty ? "/me/drive" : "/drives/" + OneDrivePath.escape(settings.driveID))
        if !tls.verifyTLS { host.log(.warn, "onedrive: TLS verification is off for this account") }
    }

    // MARK: - Calls

    /// One Graph call with the bearer token; a token Graph calls expired or invalid is renewed once
    /// and the call tried again. Statuses in `allowed` come back as they are; other failures throw.
    func call(
        _ method: String, _ url: String, json: [String: Any]? = nil, body: [UInt8]? = nil,
        headers: [(String, String)] = [], allowed: Set<Int> = [], what: String
    ) throws -> HTTPResponse {
        let payload = try json.map { Array(try JSONSerialization.data(withJSONObject: $0)) } ?? body
        var retried = false
        while true {
            try Self.advising { try credentials.refreshIfExpiring() }
            let used = credentials.accessToken
            var all = [("Authorization", "Bearer \(used)")] + headers
            if json != nil { all.append(("Content-Type", "application/json")) }
            var request = HTTPRequest(method, url, headers: all, body: payload.map { .bytes($0) } ?? .none)
            request.followRedirects = false
            let response = try http.send(request)
            if response.isSuccess || allowed.contains(response.status) { return response }
            if response.status == 401, !retried, try Self.advising({ try credentials.refreshAfterRejection(of: used) })
            {
                retried = true
                continue
            }
            throw OneDriveErrors.failure(what, response)
        }
    }

    /// A refresh the identity platform refused (a revoked grant, a spent refresh token) says how to
    /// authorize again.
    static func advising<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch var failure as ConnectorFailure where failure.code == .auth {
            failure.message =
                "onedrive: " + failure.message + " — authorize again with `sync-core account add onedrive NAME`"
            throw failure
        }
    }

    /// A driveItem, JSON.
    func json(_ response: HTTPResponse, _ what: String) throws -> [String: Any] {
        guard let json = response.json else {
            throw ConnectorFailure(.transient, "onedrive: \(what): the answer is not JSON")
        }
        return json
    }

    // MARK: - Metadata

    /// The driveItem at `path`, or nil when there is none.
    func lookup(_ path: String) throws -> [String: Any]? {
        let response = try call("GET", try address(path), allowed: [404], what: "look up '\(path)'")
        return response.status == 404 ? nil : try json(response, "look up '\(path)'")
    }

    func stat(_ path: String) throws -> ConnectorEntry {
        guard let item = try lookup(path) else { throw ConnectorFailure(.notFound, "onedrive: '\(path)' not found") }
        if path.isEmpty { return ConnectorEntry(path: "", isDirectory: true, id: item["id"] as? String) }
        let name = item["name"] as? String ?? OneDrivePath.split(path).name
        return Self.entry(item, path: OneDrivePath.join(OneDrivePath.split(path).parent, name))
    }

    /// A driveItem as an entry at `path`: the mtime is fileSystemInfo's (what clients set).
    static func entry(_ item: [String: Any], path: String) -> ConnectorEntry {
        let id = item["id"] as? String
        if item["folder"] != nil || item["root"] != nil || item["file"] == nil && item["package"] == nil {
            return ConnectorEntry(path: path, isDirectory: true, id: id)
        }
        let info = item["fileSystemInfo"] as? [String: Any]
        let modified = (info?["lastModifiedDateTime"] ?? item["lastModifiedDateTime"]) as? String
        return ConnectorEntry(
            path: path, isDirectory: false, size: (item["size"] as? NSNumber)?.int64Value,
            mtimeNanoseconds: modified.flatMap(Self.nanoseconds), id: id, hashes: OneDriveHashes.of(item))
    }

    static func nanoseconds(_ text: String) -> Int64? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        guard let date = formatter.date(from: text) ?? ISO8601DateFormatter().date(from: text) else { return nil }
        return Int64((date.timeIntervalSince1970 * 1000).rounded()) * 1_000_000
    }

    static func time(_ nanoseconds: Int64) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let millis = nanoseconds >= 0 ? nanoseconds / 1_000_000 : (nanoseconds - 999_999) / 1_000_000
        return formatter.string(from: Date(timeIntervalSince1970: Double(millis) / 1000))
    }

    func about() throws -> Quota {
        let drive = try json(try call("GET", self.drive, what: "quota"), "quota")
        let quota = drive["quota"] as? [String: Any] ?? [:]
        func figure(_ name: String) -> Int64? { (quota[name] as? NSNumber)?.int64Value }
        // An all-zero quota is one the drive does not report.
        guard (figure("total") ?? 0) > 0 else { return Quota() }
        return Quota(
            total: figure("total"), used: figure("used"), free: figure("remaining"), trashed: figure("deleted"))
    }
}
