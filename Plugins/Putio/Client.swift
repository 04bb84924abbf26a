import ConnectorKit
import Foundation

/// Put.io (API v2): files by integer id under root 0, CRC-32 hashes, tus uploads, signed download
/// URLs, cloud downloads. Paths are resolved to ids through a per-session cache.
final class PutioConnector: Connector, ServerMove, ServerCopy, QuotaReporting, Sendable {
    static let info = ConnectorInfo(
        name: "putio",
        version: "1.0.0",
        summary: "Put.io: CRC-32 verified, resumable (tus) uploads, server-side copy and move, cloud downloads",
        capabilities: [.rangedRead, .setMtime, .resumableUpload, .atomicWrite, .emptyDirectories, .ids],
        hashKinds: [.crc32],
        mtimePrecisionNanoseconds: 1_000_000_000,
        // The server turns '\' into '-', so it is forbidden here and the host encodes it reversibly.
        nameRules: .init(forbiddenCharacters: "/\\", maxNameBytes: 255, duplicatesAllowed: true),
        options: [
            .init("token", secret: true, help: "OAuth access token (set by `account add`; never put it in argv)"),
            .init("client_id", help: "OAuth app id, for `account add` to authorize a new token"),
            .init("client_secret", secret: true, help: "OAuth app secret"),
            .init("refresh_token", secret: true, help: "Set by the OAuth flow where the token endpoint hands one out"),
            .init("token_expiry", help: "When the token expires (RFC 3339), set by the OAuth flow"),
            .init("api_url", default: "https://api.put.io", help: "API host (override for tests or a proxy)"),
            .init("upload_url", default: "https://upload.put.io", help: "Upload host"),
            .init("oauth_url", default: "https://api.put.io", help: "OAuth host (authorize and token endpoints)"),
            .init(
                "oauth_timeout", .int, default: 300, help: "Seconds `account add` waits for the browser's authorization"
            ),
            .init(
                "upload_cutoff", .int, default: 4_194_304,
                help: "Files below this size without an mtime to keep go up in one request; others use tus"),
            .init(
                "chunk_size", .int, default: 67_108_864,
                help: "tus PATCH size: each completed chunk is a resumable checkpoint"),
            .init("skip_trash", .bool, default: false, help: "Delete permanently instead of moving to the trash"),
            .init(
                "video", default: "original",
                help:
                    "original: videos as uploaded; mp4: Put.io's MP4 conversion instead, where one exists (named .mp4)"),
            .init("per_page", .int, default: 1000, help: "Listing page size"),
        ] + HTTPSettings.tlsOptions)

    let host: ConnectorHost
    let http: HTTPClient
    let apiURL: String
    let uploadURL: String
    let credentials: OAuthCredentials
    let cache = PutioPathCache()
    let uploadCutoff: Int64
    let chunkSize: Int64
    let skipTrash: Bool
    let perPage: Int
    let preferMP4: Bool

    init(config: ConnectorConfig, host: ConnectorHost) throws {
        self.host = host
        guard let token = config.string("token"), !token.isEmpty else {
            throw ConnectorFailure(.auth, "putio: no token in this account; run `sync-core account add putio NAME`")
        }
        apiURL = Self.trimmed(config.string("api_url") ?? "https://api.put.io")
        uploadURL = Self.trimmed(config.string("upload_url") ?? "https://upload.put.io")
        uploadCutoff = config.int("upload_cutoff") ?? 4_194_304
        chunkSize = max(1 << 20, config.int("chunk_size") ?? 67_108_864)
        skipTrash = config.bool("skip_trash") ?? false
        perPage = Int(max(1, config.int("per_page") ?? 1000))
        switch config.string("video") ?? "original" {
        case "original": preferMP4 = false
        case "mp4": preferMP4 = true
        case let other:
            throw ConnectorFailure(.invalidArgument, "putio: option video is '\(other)'; expected 'original' or 'mp4'")
        }
        let settings = Self.httpSettings(config)
        http = HTTPClient(
            settings: settings, log: { [host] line in host.log(.debug, "putio: " + line) },
            isCancelled: { [host] in host.isCancelled })
        let refresh = config.string("refresh_token").flatMap { $0.isEmpty ? nil : $0 }
        credentials = OAuthCredentials(
            token: OAuthToken(
                accessToken: token, refreshToken: refresh,
                expiresAt: OAuthToken.parseExpiry(config.string("token_expiry"))),
            provider: refresh == nil ? nil : Self.provider(config), http: http, host: host)
        if !settings.verifyTLS { host.log(.warn, "putio: TLS verification is off for this account") }
    }

    static func trimmed(_ url: String) -> String { url.hasSuffix("/") ? String(url.dropLast()) : url }

    var authHeaders: [(String, String)] {
        [("Authorization", "Bearer \(credentials.accessToken)"), ("Accept", "application/json")]
    }

    /// Sends a request built with the current token. A token about to expire is refreshed first; a
    /// 401 refreshes it (where the account has a refresh token) and tries once more.
    func send(_ build: () -> HTTPRequest) throws -> HTTPResponse {
        try credentials.refreshIfExpiring()
        let used = credentials.accessToken
        let response = try http.send(build())
        if response.status == 401, try credentials.refreshAfterRejection(of: used) {
            return try http.send(build())
        }
        return response
    }

    // MARK: - API calls

    /// Sends an API request and returns its JSON object, or throws the mapped failure.
    func api(_ method: String, _ path: String, query: [(String, String)] = [], form: [(String, String)]? = nil)
        throws -> [String: Any]
    {
        let url = FormEncoding.url(apiURL + path, query)
        let response = try send {
            form.map { HTTPRequest.form(method, url, $0, headers: authHeaders) }
                ?? HTTPRequest(method, url, headers: authHeaders)
        }
        guard response.isSuccess else { throw PutioErrors.failure("\(method) \(path)", response) }
        guard let json = response.json else {
            throw ConnectorFailure(
                .transient, "\(method) \(path): the server's answer is not JSON", httpStatus: response.status)
        }
        return json
    }

    // MARK: - Paths to ids

    /// The id of `path`, from the cache or by looking each missing segment up.
    func resolve(_ path: String) throws -> PutioCacheEntry {
        try PutioPath.validate(path)
        if let known = cache.get(path) { return known }
        let (parent, name) = PutioPath.split(path)
        let folder = try resolve(parent)
        guard folder.isFolder else { throw ConnectorFailure(.notADirectory, "'\(parent)' is a file") }
        do {
            let file = try lookup(name, in: folder.id, path: path)
            return PutioCacheEntry(id: file.id, isFolder: file.isFolder, size: file.size)
        } catch let failure as ConnectorFailure where failure.code == .notFound {
            if try findRendition(path) != nil, let known = cache.get(path) { return known }
            throw failure
        }
    }

    /// One `/child?name=` request; caches and returns what it finds.
    @discardableResult
    func lookup(_ name: String, in folderId: Int64, path: String) throws -> PutioFile {
        do {
            let json = try api("GET", "/v2/files/\(folderId)/child", query: [("name", name)])
            guard let file = PutioFile(json["file"]) else {
                throw ConnectorFailure(.transient, "GET child '\(path)': no file object in the answer")
            }
            cache.put(path, PutioCacheEntry(id: file.id, isFolder: file.isFolder, size: file.size))
            return file
        } catch let failure as ConnectorFailure where failure.code == .notFound {
            throw ConnectorFailure(.notFound, "'\(path)' not found", httpStatus: failure.httpStatus)
        }
    }

    /// Runs `body` with `path`'s id; when the cached id turns out stale (404), forgets it and tries
    /// once more with a fresh lookup.
    func withResolved<T>(_ path: String, _ body: (PutioCacheEntry) throws -> T) throws -> T {
        let cached = cache.get(path) != nil
        let known = try resolve(path)
        do {
            return try body(known)
        } catch let failure as ConnectorFailure where failure.code == .notFound && cached {
            cache.forget(path)
            return try body(try resolve(path))
        }
    }

    /// A lookup where absence is an answer, not an error.
    func lookupIfPresent(_ name: String, in folderId: Int64, path: String) throws -> PutioFile? {
        do {
            return try lookup(name, in: folderId, path: path)
        } catch let failure as ConnectorFailure where failure.code == .notFound {
            return nil
        }
    }

    // MARK: - Connector

    /// Always asks the server (one lookup in the cached parent), so what it reports is current.
    func stat(_ path: String) throws -> ConnectorEntry {
        try PutioPath.validate(path)
        if path.isEmpty { return ConnectorEntry(path: "", isDirectory: true, id: "0") }
        let (parent, name) = PutioPath.split(path)
        return try withResolved(parent) { folder in
            guard folder.isFolder else { throw ConnectorFailure(.notADirectory, "'\(parent)' is a file") }
            do {
                return try lookup(name, in: folder.id, path: path).entry(at: path)
            } catch let failure as ConnectorFailure where failure.code == .notFound {
                if let rendition = try findRendition(path) { return rendition }
                throw failure
            }
        }
    }

    func mkdir(_ path: String) throws {
        try PutioPath.validate(path)
        if path.isEmpty { return }
        if let known = cache.get(path) {
            if known.isFolder { return }
            throw ConnectorFailure(.exists, "mkdir '\(path)': a file is in the way")
        }
        let (parent, name) = PutioPath.split(path)
        try mkdir(parent)
        let parentId = try resolve(parent).id
        if !cache.knownAbsent(name, in: parentId) {
            if let existing = try lookupIfPresent(name, in: parentId, path: path) {
                if existing.isFolder { return }
                throw ConnectorFailure(.exists, "mkdir '\(path)': a file is in the way")
            }
        }
        do {
            let json = try api(
                "POST", "/v2/files/create-folder", form: [("name", name), ("parent_id", String(parentId))])
            guard let folder = PutioFile(json["file"]) else {
                throw ConnectorFailure(.transient, "mkdir '\(path)': no folder in the answer")
            }
            cache.put(path, PutioCacheEntry(id: folder.id, isFolder: true, size: 0))
            cache.noteChild(name, in: parentId)
            cache.markCreated(folder.id)
        } catch let failure as ConnectorFailure where failure.code == .exists {
            // Another worker made it first.
            let existing = try lookup(name, in: parentId, path: path)
            if !existing.isFolder { throw ConnectorFailure(.exists, "mkdir '\(path)': a file is in the way") }
        }
    }

    func remove(_ path: String) throws {
        guard !path.isEmpty else { throw ConnectorFailure(.isADirectory, "remove: the root is a folder") }
        try withResolved(path) { known in
            if known.isFolder { throw ConnectorFailure(.isADirectory, "remove '\(path)': is a folder") }
            try refuseRendition(known, path, "remove")
            try delete(known.id)
        }
        cache.forget(path)
    }

    func rmdir(_ path: String) throws {
        guard !path.isEmpty else { throw ConnectorFailure(.invalidArgument, "rmdir: refusing to remove the root") }
        try withResolved(path) { known in
            if !known.isFolder { throw ConnectorFailure(.notADirectory, "rmdir '\(path)': not a folder") }
            let page = try api("GET", "/v2/files/list", query: [("parent_id", String(known.id)), ("per_page", "1")])
            if let files = page["files"] as? [Any], !files.isEmpty {
                throw ConnectorFailure(.notEmpty, "rmdir '\(path)': folder not empty")
            }
            try delete(known.id)
        }
        cache.forget(path)
    }

    func delete(_ id: Int64) throws {
        _ = try api(
            "POST", "/v2/files/delete", query: skipTrash ? [("skip_trash", "1")] : [],
            form: [("file_ids", String(id))])
    }

    func about() throws -> Quota {
        let json = try api("GET", "/v2/account/info")
        guard let info = json["info"] as? [String: Any], let disk = info["disk"] as? [String: Any] else {
            throw ConnectorFailure(.transient, "account/info: no disk figures in the answer")
        }
        func number(_ v: Any?) -> Int64? { (v as? NSNumber)?.int64Value }
        return Quota(
            total: number(disk["size"]), used: number(disk["used"]), free: number(disk["avail"]),
            trashed: number(info["trash_size"]))
    }

    func openReader(_ path: String, offset: Int64, length: Int64?) throws -> any ConnectorReader {
        try withResolved(path) { known in
            if known.isFolder { throw ConnectorFailure(.isADirectory, "read '\(path)': is a folder") }
            return try PutioReader(connector: self, path: path, known: known, offset: offset, length: length)
        }
    }

    /// An MP4 conversion is not a file of its own: changing it would change the original.
    func refuseRendition(_ known: PutioCacheEntry, _ path: String, _ what: String) throws {
        if known.rendition {
            throw ConnectorFailure(
                .permission,
                "\(what) '\(path)': this is Put.io's MP4 conversion of another file (video = mp4); change the original instead"
            )
        }
    }

    func openWriter(_ path: String, options: WriteOptions) throws -> any ConnectorWriter {
        try PutioPath.validate(path)
        guard !path.isEmpty else { throw ConnectorFailure(.isADirectory, "write: the root is a folder") }
        return try PutioWriter.open(connector: self, path: path, options: options)
    }
}

typealias PutioCacheEntry = PutioPathCache.Known
