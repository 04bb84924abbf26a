import ConnectorKit
import Foundation

/// Dropbox (HTTP API v2, dropbox.md): paths under a case-insensitive, case-preserving namespace
/// (the user's own, or the team's through `Dropbox-API-Path-Root`), content_hash on every file,
/// upload sessions (small files committed together by `finish_batch_v2`, large ones resumable
/// chunk by chunk), server-side copy and move, OAuth with PKCE and refresh tokens.
final class DropboxConnector: Connector, RecursiveListing, ServerMove, ServerCopy, QuotaReporting, Sendable {
    static let info = ConnectorInfo(
        name: "dropbox",
        version: "0.1.0",
        summary: "Dropbox: content_hash verified, small files committed in batches, resumable upload sessions",
        capabilities: [
            .rangedRead, .setMtime, .unknownSize, .atomicWrite, .emptyDirectories, .ids, .resumableUpload,
        ],
        hashKinds: [.dropbox],
        // client_modified is kept to the second.
        mtimePrecisionNanoseconds: 1_000_000_000,
        // What rclone's Dropbox encoding escapes (DEL aside); names are one case-blind. The 255
        // characters a name may have are checked by the connector (the host counts bytes).
        nameRules: .init(forbiddenCharacters: "/\\", caseInsensitive: true, noTrailingSpace: true),
        options: DropboxSettings.options + HTTPSettings.tlsOptions)

    let host: ConnectorHost
    let http: HTTPClient
    let settings: DropboxSettings
    let credentials: OAuthCredentials
    /// `Dropbox-API-Path-Root`, when the account's root is not the user's own folder.
    let rootHeader: [(String, String)]
    let batcher: DropboxCommitBatcher
    let revisions = DropboxRevisions()

    init(config: ConnectorConfig, host: ConnectorHost) throws {
        self.host = host
        settings = DropboxSettings(config)
        let tls = HTTPSettings(config: config, userAgent: "sync-core-dropbox/0.1")
        http = HTTPClient(
            settings: tls, log: { [host] line in host.log(.debug, "dropbox: " + line) },
            isCancelled: { [host] in host.isCancelled })
        guard let token = config.string("token"), !token.isEmpty else {
            throw ConnectorFailure(
                .auth, "dropbox: the account has no token — authorize with `sync-core account add dropbox NAME`")
        }
        credentials = OAuthCredentials(
            token: OAuthToken(
                accessToken: token, refreshToken: config.string("refresh_token"),
                expiresAt: OAuthToken.parseExpiry(config.string("token_expiry"))),
            provider: settings.provider, http: http, host: host)
        batcher = DropboxCommitBatcher(size: settings.batchSize, wait: settings.batchWait)
        if !tls.verifyTLS { host.log(.warn, "dropbox: TLS verification is off for this account") }
        rootHeader = try Self.pathRoot(settings.rootNamespace, http: http, settings: settings, credentials: credentials)
    }

    /// The path-root header for `root_namespace`: none for the user's own folder; for `team`, the
    /// team space the account reports as its root (one call per session).
    private static func pathRoot(
        _ namespace: String, http: HTTPClient, settings: DropboxSettings, credentials: OAuthCredentials
    ) throws -> [(String, String)] {
        var id = namespace
        if namespace.isEmpty { return [] }
        if namespace == "team" {
            try credentials.refreshIfExpiring()
            let response = try http.send(
                HTTPRequest(
                    "POST", settings.apiURL + "/2/users/get_current_account",
                    headers: [("Authorization", "Bearer \(credentials.accessToken)")]))
            guard response.isSuccess else { throw DropboxErrors.failure("users/get_current_account", response) }
            let root = response.json?["root_info"] as? [String: Any] ?? [:]
            guard root[".tag"] as? String == "team", let team = root["root_namespace_id"] as? String else {
                throw ConnectorFailure(
                    .invalidArgument, "dropbox: root_namespace is 'team', but this account belongs to no team space")
            }
            id = team
        }
        guard id.allSatisfy(\.isNumber) else {
            throw ConnectorFailure(
                .invalidArgument, "dropbox: root_namespace must be empty, 'team' or a namespace id (digits)")
        }
        return [("Dropbox-API-Path-Root", #"{".tag":"namespace_id","namespace_id":"\#(id)"}"#)]
    }

    // MARK: - Calls

    /// One RPC call (JSON in, JSON out) on the API host. An access token the server calls expired
    /// is refreshed once and the call tried again.
    func rpc(_ route: String, _ arg: [String: Any]?) throws -> [String: Any] {
        let body = try arg.map { Array(try JSONSerialization.data(withJSONObject: $0)) }
        var retried = false
        while true {
            try credentials.refreshIfExpiring()
            let used = credentials.accessToken
            var headers = [("Authorization", "Bearer \(used)")] + rootHeader
            if body != nil { headers.append(("Content-Type", "application/json")) }
            let response = try http.send(
                HTTPRequest(
                    "POST", settings.apiURL + "/2/" + route, headers: headers, body: body.map { .bytes($0) } ?? .none))
            if response.isSuccess {
                if response.body.isEmpty || response.bodyText == "null" { return [:] }
                guard let json = response.json else {
                    throw ConnectorFailure(.transient, "dropbox: \(route): the answer is not JSON")
                }
                return json
            }
            if response.status == 401, !retried, try credentials.refreshAfterRejection(of: used) {
                retried = true
                continue
            }
            throw DropboxErrors.failure(route, response)
        }
    }

    /// The headers of a content-host call: the token, the path root and the argument, written
    /// "HTTP-header safe" (every character past ASCII as a JSON `\uXXXX` escape).
    func contentHeaders(_ arg: [String: Any]) throws -> [(String, String)] {
        try credentials.refreshIfExpiring()
        return [("Authorization", "Bearer \(credentials.accessToken)"), ("Dropbox-API-Arg", try Self.headerSafe(arg))]
            + rootHeader
    }

    static func headerSafe(_ arg: [String: Any]) throws -> String {
        let json = String(
            decoding: try JSONSerialization.data(withJSONObject: arg, options: [.sortedKeys]), as: UTF8.self)
        var out = ""
        out.reserveCapacity(json.utf8.count)
        for unit in json.utf16 {
            if unit < 0x7F {
                out.unicodeScalars.append(Unicode.Scalar(unit)!)
            } else {
                out += String(format: "\\u%04x", unit)
            }
        }
        return out
    }

    // MARK: - Metadata

    func stat(_ path: String) throws -> ConnectorEntry {
        if path.isEmpty { return ConnectorEntry(path: "", isDirectory: true) }
        let metadata = try rpc("files/get_metadata", ["path": try DropboxPath.api(path)])
        let name = metadata["name"] as? String ?? String(path.split(separator: "/").last ?? "")
        guard let entry = DropboxMetadata.make(metadata, path: DropboxPath.join(DropboxPath.parent(path), name)) else {
            throw ConnectorFailure(.notFound, "dropbox: '\(path)' is deleted")
        }
        return entry
    }

    func about() throws -> Quota {
        let usage = try rpc("users/get_space_usage", nil)
        let used = (usage["used"] as? NSNumber)?.int64Value
        let allocation = usage["allocation"] as? [String: Any] ?? [:]
        let total = (allocation["allocated"] as? NSNumber)?.int64Value
        // A team's allocation is shared: its own `used` is what counts against it.
        let counted = allocation[".tag"] as? String == "team" ? (allocation["used"] as? NSNumber)?.int64Value : used
        return Quota(total: total, used: counted, free: total.flatMap { t in counted.map { max(0, t - $0) } })
    }
}
