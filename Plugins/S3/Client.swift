import ConnectorKit
import Crypto
import Foundation

/// S3 and its compatibles (AWS, Wasabi, Backblaze B2, MinIO, Cloudflare R2): buckets as the first
/// path element or one bucket fixed in the account, folders as key prefixes (with optional
/// zero-byte `dir/` markers), MD5 from single-part ETags, multipart uploads with several parts in
/// flight, server-side copy, mtime in `x-amz-meta-mtime`. Requests are signed with SigV4.
// Unchecked: the one mutable field, the clock offset, is under `clockLock`.
final class S3Connector: Connector, ServerCopy, ServerMove, RecursiveListing, ReadersDescribeFiles, @unchecked Sendable
{
    static let info = ConnectorInfo(
        name: "s3",
        version: "1.0.0",
        summary:
            "S3-compatible storage (AWS, Wasabi, B2, MinIO, R2): MD5 verified, multipart uploads, server-side copy",
        capabilities: [.rangedRead, .setMtime, .unknownSize, .atomicWrite, .emptyDirectories],
        hashKinds: [.md5],
        mtimePrecisionNanoseconds: 1,
        nameRules: .init(forbiddenCharacters: "/", maxNameBytes: 1024),
        options: [
            .init(
                "provider", default: "aws", help: "aws, wasabi, b2, minio, r2 or other (sets addressing and defaults)"),
            .init(
                "endpoint", help: "Service URL, e.g. https://s3.eu-central-1.wasabisys.com (default: the provider's)"),
            .init("region", help: "Signing region (default: us-east-1; auto for r2)"),
            .init("access_key_id", help: "Access key id (default: $AWS_ACCESS_KEY_ID)"),
            .init("secret_access_key", secret: true, help: "Secret access key (default: $AWS_SECRET_ACCESS_KEY)"),
            .init("session_token", secret: true, help: "Session token of temporary credentials ($AWS_SESSION_TOKEN)"),
            .init("bucket", help: "Work inside this bucket; without it, buckets are the first path element"),
            .init("path_style", .bool, help: "Address buckets as host/bucket (default: true except for aws)"),
            .init(
                "directory_markers", .bool, default: true,
                help: "Keep folders as zero-byte 'dir/' objects, so empty folders survive"),
            .init(
                "chunk_size", .int, default: 8_388_608,
                help: "Multipart part size (at least 5 MiB; grown for files over 10,000 parts)"),
            .init(
                "upload_cutoff", .int, default: 8_388_608,
                help: "Files up to this size go up in one PUT with Content-MD5; larger ones in parts"),
            .init("upload_concurrency", .int, default: 4, help: "Parts of one file in flight at once"),
            .init(
                "copy_cutoff", .int, default: 5_368_709_120,
                help: "Server-side copies above this size go part by part (UploadPartCopy)"),
            .init("storage_class", help: "Storage class for new objects (STANDARD, STANDARD_IA, GLACIER_IR, …)"),
            .init("server_side_encryption", help: "AES256 or aws:kms"),
            .init("sse_kms_key_id", help: "KMS key for server_side_encryption=aws:kms"),
            .init("list_page_size", .int, default: 1000, help: "Keys per listing page (at most 1000)"),
        ] + HTTPSettings.tlsOptions)

    let host: ConnectorHost
    let http: HTTPClient
    let endpoint: S3Endpoint
    let signer: SigV4Signer
    let fixedBucket: String?
    let markers: Bool
    let chunkSize: Int64
    let uploadCutoff: Int64
    let uploadConcurrency: Int
    let copyCutoff: Int64
    let pageSize: Int
    let objectHeaders: [(String, String)]
    let encryptedETags: Bool
    let known = S3KnownNames()
    /// Seconds to add to this machine's clock, learned from a `RequestTimeTooSkewed` answer.
    private let clockLock = NSLock()
    private var clockOffset: TimeInterval = 0

    init(config: ConnectorConfig, host: ConnectorHost) throws {
        self.host = host
        let env = ProcessInfo.processInfo.environment
        func option(_ name: String, env variable: String) -> String? {
            if let value = config.string(name), !value.isEmpty { return value }
            return env[variable].flatMap { $0.isEmpty ? nil : $0 }
        }
        guard let keyID = option("access_key_id", env: "AWS_ACCESS_KEY_ID"),
            let secret = option("secret_access_key", env: "AWS_SECRET_ACCESS_KEY")
        else {
            throw ConnectorFailure(
                .auth,
                "s3: no credentials; set access_key_id and secret_access_key in the account (or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)"
            )
        }
        let region =
            config.string("region").flatMap { $0.isEmpty ? nil : $0 } ?? env["AWS_REGION"]
            ?? env["AWS_DEFAULT_REGION"]
        endpoint = try S3Endpoint(
            provider: (config.string("provider") ?? "aws").lowercased(), endpoint: config.string("endpoint"),
            region: region.flatMap { $0.isEmpty ? nil : $0 }, pathStyle: config.bool("path_style"))
        signer = SigV4Signer(
            credentials: .init(
                accessKeyID: keyID, secretAccessKey: secret,
                sessionToken: option("session_token", env: "AWS_SESSION_TOKEN")),
            region: endpoint.region)
        fixedBucket = config.string("bucket").flatMap { $0.isEmpty ? nil : $0 }
        if let fixedBucket, fixedBucket.contains("/") {
            throw ConnectorFailure(.invalidArgument, "s3: bucket '\(fixedBucket)' must not contain '/'")
        }
        markers = config.bool("directory_markers") ?? true
        chunkSize = max(5 << 20, config.int("chunk_size") ?? 8 << 20)
        uploadCutoff = min(max(0, config.int("upload_cutoff") ?? 8 << 20), 5 << 30)
        uploadConcurrency = Int(min(max(1, config.int("upload_concurrency") ?? 4), 64))
        copyCutoff = min(max(5 << 20, config.int("copy_cutoff") ?? 5 << 30), 5 << 30)
        pageSize = Int(min(max(1, config.int("list_page_size") ?? 1000), 1000))
        var headers: [(String, String)] = []
        if let storageClass = config.string("storage_class"), !storageClass.isEmpty {
            headers.append(("x-amz-storage-class", storageClass))
        }
        let sse = config.string("server_side_encryption") ?? ""
        if !sse.isEmpty {
            guard sse == "AES256" || sse == "aws:kms" else {
                throw ConnectorFailure(
                    .invalidArgument, "s3: server_side_encryption is '\(sse)'; expected AES256 or aws:kms")
            }
            headers.append(("x-amz-server-side-encryption", sse))
            if sse == "aws:kms", let kms = config.string("sse_kms_key_id"), !kms.isEmpty {
                headers.append(("x-amz-server-side-encryption-aws-kms-key-id", kms))
            }
        }
        objectHeaders = headers
        // A KMS-encrypted object's ETag is not the MD5 of its content.
        encryptedETags = sse == "aws:kms"
        let settings = HTTPSettings(config: config, userAgent: "sync-core-s3/1.0")
        http = HTTPClient(
            settings: settings, log: { [host] line in host.log(.debug, "s3: " + line) },
            isCancelled: { [host] in host.isCancelled })
        http.redactor.register(secret)
        if let token = signer.credentials.sessionToken { http.redactor.register(token) }
        if !settings.verifyTLS { host.log(.warn, "s3: TLS verification is off for this account") }
    }

    // MARK: - Requests

    struct Call {
        var method: String
        var bucket: String?
        var key: String = ""
        var query: [(String, String)] = []
        var headers: [(String, String)] = []
        var body: HTTPRequest.Body = .none
        /// SHA-256 of the body, or `UNSIGNED-PAYLOAD` for bodies protected by Content-MD5.
        var payloadHash = SigV4Signer.emptyPayloadHash
        /// False for clean-up that must go out even once the host asked to stop.
        var cancellable = true
    }

    /// Signs and sends one request; any status comes back. A `RequestTimeTooSkewed` answer sets
    /// the clock offset from the server's Date and signs once more.
    func perform(_ call: Call) throws -> HTTPResponse {
        var response = try http.send(request(for: call))
        if response.status == 403, S3Errors.code(of: response) == "RequestTimeTooSkewed", adjustClock(response) {
            response = try http.send(request(for: call))
        }
        return response
    }

    /// Like `perform`, but a non-2xx answer is thrown as the mapped failure.
    @discardableResult
    func expect(_ call: Call, _ what: @autoclosure () -> String) throws -> HTTPResponse {
        let response = try perform(call)
        guard response.isSuccess else { throw S3Errors.failure(what(), response, bucket: call.bucket) }
        return response
    }

    func request(for call: Call) -> HTTPRequest {
        let (url, hostHeader, path) = endpoint.address(bucket: call.bucket, key: call.key, query: call.query)
        let signed = signer.sign(
            method: call.method, host: hostHeader, path: path, query: call.query,
            headers: call.headers.filter { Self.signs($0.0) }, payloadHash: call.payloadHash, date: now())
        var request = HTTPRequest(
            call.method, url, headers: call.headers + signed.headers, body: call.body, followRedirects: false,
            pathAsIs: true)
        request.cancellable = call.cancellable
        return request
    }

    /// Headers worth signing; libcurl's own (Accept, User-Agent, Expect) are left out.
    private static func signs(_ name: String) -> Bool {
        let n = name.lowercased()
        return n.hasPrefix("x-amz-") || n == "content-md5" || n == "content-type" || n == "range"
            || n.hasPrefix("if-")
    }

    private func now() -> Date {
        clockLock.lock()
        defer { clockLock.unlock() }
        return Date().addingTimeInterval(clockOffset)
    }

    private func adjustClock(_ response: HTTPResponse) -> Bool {
        guard let serverTime = S3Hashes.parseTime(response.header("Date")) else { return false }
        clockLock.lock()
        defer { clockLock.unlock() }
        clockOffset = Double(serverTime) / 1e9 - Date().timeIntervalSince1970
        host.log(.warn, "s3: this machine's clock is \(Int(-clockOffset)) s off the server's; signing with its time")
        return true
    }

    // MARK: - Paths

    /// The bucket and key of `path`; a path with no bucket is the account's root (bucket list).
    func locate(_ path: String) throws -> S3Location {
        try S3Path.validate(path)
        if let fixedBucket { return S3Location(bucket: fixedBucket, key: path) }
        guard !path.isEmpty else { return S3Location(bucket: nil, key: "") }
        let (bucket, rest) =
            path.firstIndex(of: "/").map { (String(path[..<$0]), String(path[path.index(after: $0)...])) }
            ?? (path, "")
        return S3Location(bucket: bucket, key: rest)
    }

    func objectEntry(_ path: String, _ response: HTTPResponse) -> ConnectorEntry {
        let mtime =
            S3Hashes.parseMtime(response.header("x-amz-meta-mtime"))
            ?? S3Hashes.parseTime(response.header("Last-Modified"))
        var hashes: [HashKind: String] = [:]
        if let md5 = S3Hashes.md5(fromETag: response.header("ETag"), encrypted: isEncrypted(response))
            ?? S3Hashes.md5(fromBase64: response.header("x-amz-meta-md5chksum"))
        {
            hashes[.md5] = md5
        }
        return ConnectorEntry(
            path: path, isDirectory: false, size: response.header("Content-Length").flatMap { Int64($0) },
            mtimeNanoseconds: mtime, hashes: hashes)
    }

    func isEncrypted(_ response: HTTPResponse) -> Bool {
        encryptedETags || response.header("x-amz-server-side-encryption") == "aws:kms"
            || response.header("x-amz-server-side-encryption-customer-algorithm") != nil
    }

    // MARK: - Objects and folders

    /// HEAD of an object: its answer, or nil when there is none.
    func head(_ location: S3Location, _ path: String) throws -> HTTPResponse? {
        let response = try perform(Call(method: "HEAD", bucket: location.bucket, key: location.key))
        if response.status == 404 { return nil }
        guard response.isSuccess else { throw S3Errors.failure("stat '\(path)'", response, bucket: location.bucket) }
        return response
    }

    /// Whether any key lies under `location` as a folder (its marker counts).
    func folderExists(_ location: S3Location) throws -> Bool {
        guard let bucket = location.bucket else { return true }
        if location.key.isEmpty { return try bucketExists(bucket) }
        let page = try listPage(bucket: bucket, prefix: location.folderPrefix, delimiter: nil, maxKeys: 1, token: nil)
        return !page.keys.isEmpty || !page.prefixes.isEmpty
    }

    func bucketExists(_ bucket: String) throws -> Bool {
        let response = try perform(Call(method: "HEAD", bucket: bucket))
        if response.status == 404 { return false }
        guard response.isSuccess else { throw S3Errors.failure("bucket '\(bucket)'", response, bucket: bucket) }
        return true
    }

    func stat(_ path: String) throws -> ConnectorEntry {
        let location = try locate(path)
        guard let bucket = location.bucket else { return ConnectorEntry(path: "", isDirectory: true) }
        if location.key.isEmpty {
            guard try bucketExists(bucket) else {
                throw ConnectorFailure(.notFound, "'\(path)': bucket '\(bucket)' does not exist")
            }
            return ConnectorEntry(path: path, isDirectory: true)
        }
        if let response = try head(location, path) { return objectEntry(path, response) }
        if try folderExists(location) { return ConnectorEntry(path: path, isDirectory: true) }
        throw ConnectorFailure(.notFound, "'\(path)' not found")
    }

    func mkdir(_ path: String) throws {
        let location = try locate(path)
        guard let bucket = location.bucket else { return }
        if location.key.isEmpty {
            try createBucket(bucket)
            return
        }
        let cached = known.lookup(path)
        switch cached {
        case .some(.some(.folder)): return
        case .some(.some(.file)): throw ConnectorFailure(.exists, "mkdir '\(path)': a file is in the way")
        case .some(.none): break
        case .none:
            if try head(location, path) != nil {
                throw ConnectorFailure(.exists, "mkdir '\(path)': a file is in the way")
            }
        }
        // Like `mkdir -p` on a disk: each level gets its marker, so removing a folder never makes
        // its parent vanish.
        try ensureParent(of: path)
        if markers {
            let marker = Call(
                method: "PUT", bucket: bucket, key: location.folderPrefix,
                headers: [("Content-Type", "application/x-directory")] + objectHeaders, body: .bytes([]))
            var response = try perform(marker)
            if response.status == 404 && S3Errors.code(of: response) == "NoSuchBucket" {
                // Like `mkdir -p`, the bucket too.
                try createBucket(bucket)
                response = try perform(marker)
            }
            guard response.isSuccess else { throw S3Errors.failure("mkdir '\(path)'", response, bucket: bucket) }
        }
        known.note(path, .folder)
        // A folder that was known absent and is new holds nothing yet.
        if case .some(.none) = cached { known.remember(path, [:]) }
    }

    private func createBucket(_ bucket: String) throws {
        var body: HTTPRequest.Body = .none
        var payload = SigV4Signer.emptyPayloadHash
        var headers: [(String, String)] = []
        if endpoint.region != "us-east-1" && endpoint.region != "auto" {
            let xml = Array(
                "<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><LocationConstraint>\(endpoint.region)</LocationConstraint></CreateBucketConfiguration>"
                    .utf8)
            body = .bytes(xml)
            payload = SigV4Signer.hex(SHA256.hash(data: xml))
            headers = [("Content-Type", "application/xml")]
        }
        let response = try perform(
            Call(method: "PUT", bucket: bucket, headers: headers, body: body, payloadHash: payload))
        if response.isSuccess || S3Errors.code(of: response) == "BucketAlreadyOwnedByYou" { return }
        throw S3Errors.failure("create bucket '\(bucket)'", response, bucket: bucket)
    }

    func remove(_ path: String) throws {
        let location = try locate(path)
        guard location.bucket != nil, !location.key.isEmpty else {
            throw ConnectorFailure(.isADirectory, "remove '\(path)': is a folder")
        }
        if known.lookup(path) != .some(.some(.file)) {
            if try head(location, path) == nil {
                if try folderExists(location) { throw ConnectorFailure(.isADirectory, "remove '\(path)': is a folder") }
                throw ConnectorFailure(.notFound, "remove '\(path)': not found")
            }
        }
        try deleteObject(location, path)
        known.note(path, nil)
    }

    func deleteObject(_ location: S3Location, _ path: String) throws {
        try expect(Call(method: "DELETE", bucket: location.bucket, key: location.key), "delete '\(path)'")
    }

    func rmdir(_ path: String) throws {
        let location = try locate(path)
        guard let bucket = location.bucket else {
            throw ConnectorFailure(.invalidArgument, "rmdir: refusing to remove the root")
        }
        if location.key.isEmpty {
            let response = try perform(Call(method: "DELETE", bucket: bucket))
            guard response.isSuccess else { throw S3Errors.failure("rmdir '\(path)'", response, bucket: bucket) }
            return
        }
        let prefix = location.folderPrefix
        let page = try listPage(bucket: bucket, prefix: prefix, delimiter: nil, maxKeys: 2, token: nil)
        if page.keys.contains(where: { $0.key != prefix }) || !page.prefixes.isEmpty {
            throw ConnectorFailure(.notEmpty, "rmdir '\(path)': folder not empty")
        }
        if page.keys.isEmpty {
            if try head(location, path) != nil {
                throw ConnectorFailure(.notADirectory, "rmdir '\(path)': not a folder")
            }
            throw ConnectorFailure(.notFound, "rmdir '\(path)': not found")
        }
        try deleteObject(S3Location(bucket: bucket, key: prefix), path)
        known.note(path, nil)
    }

    func openReader(_ path: String, offset: Int64, length: Int64?) throws -> any ConnectorReader {
        let location = try locate(path)
        guard location.bucket != nil, !location.key.isEmpty else {
            throw ConnectorFailure(.isADirectory, "read '\(path)': is a folder")
        }
        return try S3Reader(connector: self, location: location, path: path, offset: offset, length: length)
    }

    func openWriter(_ path: String, options: WriteOptions) throws -> any ConnectorWriter {
        let location = try locate(path)
        guard location.bucket != nil, !location.key.isEmpty else {
            throw ConnectorFailure(.isADirectory, "write '\(path)': is a folder")
        }
        switch known.lookup(path) {
        case .some(.some(.folder)): throw ConnectorFailure(.isADirectory, "write '\(path)': a folder is in the way")
        case .some(.some(.file)):
            if !options.replace { throw ConnectorFailure(.exists, "write '\(path)': already exists") }
        case .some(.none): break
        case .none:
            if try head(location, path) != nil {
                if !options.replace { throw ConnectorFailure(.exists, "write '\(path)': already exists") }
            } else if try folderExists(location) {
                throw ConnectorFailure(.isADirectory, "write '\(path)': a folder is in the way")
            }
        }
        try ensureParent(of: path)
        return S3Writer(connector: self, location: location, path: path, options: options)
    }

    /// With markers, a file's folder gets one too (unless known), so the folder outlives its
    /// last file as it would on a disk.
    func ensureParent(of path: String) throws {
        guard markers else { return }
        let (parent, _) = S3Path.split(path)
        let location = try locate(parent)
        guard location.bucket != nil, !location.key.isEmpty, known.lookup(parent) != .some(.some(.folder)) else {
            return
        }
        try mkdir(parent)
    }
}
