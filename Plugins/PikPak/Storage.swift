import ConnectorKit
import Crypto
import Foundation
import Glibc
import Synchronization

/// The object store an upload ticket points at (pikpak.md §3.6 step 2): S3's PUT, or initiate /
/// parts / complete (abort on failure), signed with SigV4 and the ticket's temporary credentials.
/// The URL is `https://<endpoint>/<key>`, or the account's `storage_url` and the key.
struct PikPakStorage {
    private let url: String
    private let hostHeader: String
    private let path: String
    private let signer: SigV4Signer
    private let http: HTTPClient

    init(_ params: [String: Any], settings: PikPakSettings, http: HTTPClient) throws {
        guard let key = params["key"] as? String, !key.isEmpty, let endpoint = params["endpoint"] as? String,
            let id = params["access_key_id"] as? String, let secret = params["access_key_secret"] as? String
        else { throw ConnectorFailure(.transient, "pikpak: the upload ticket's storage parameters are incomplete") }
        let base =
            !settings.storageURL.isEmpty
            ? settings.storageURL
            : endpoint.contains("://") ? PikPakSettings.trimmed(endpoint) : "https://" + endpoint
        path = SigV4Signer.encodePath(key)
        url = base + path
        guard let parsed = URL(string: base), let name = parsed.host else {
            throw ConnectorFailure(.invalidArgument, "pikpak: storage address '\(base)' is not a URL")
        }
        hostHeader = parsed.port.map { "\(name):\($0)" } ?? name
        signer = SigV4Signer(
            credentials: .init(
                accessKeyID: id, secretAccessKey: secret, sessionToken: params["security_token"] as? String),
            region: "pikpak")
        self.http = http
        http.redactor.register(secret)
        if let token = params["security_token"] as? String { http.redactor.register(token) }
    }

    /// One PUT of the whole spool, its body read from the spool as it is sent (nothing held in
    /// memory). Such a body cannot be rewound by libcurl, so a connection lost on the way (a
    /// kept-alive one the server had closed, say) sends it again from the spool, once.
    func put(spool: Int32, size: Int64, what: String) throws {
        var attempt = 0
        while true {
            attempt += 1
            let request = signed("PUT", query: [], body: [])
            let offset = Mutex<Int64>(0)
            var streamed = request
            streamed.body = .stream(length: size) { buffer in
                try offset.withLock { at in
                    let n = Int(min(Int64(buffer.count), size - at))
                    guard n > 0 else { return 0 }
                    let got = pread(spool, buffer.baseAddress, n, off_t(at))
                    guard got > 0 else {
                        throw ConnectorFailure.posix(got == 0 ? EIO : errno, "read back the spooled upload", "")
                    }
                    at += Int64(got)
                    return got
                }
            }
            do {
                let response = try http.send(streamed)
                guard response.isSuccess else { throw Self.failure(what, response) }
                return
            } catch let failure as ConnectorFailure where failure.code == .transient && attempt < 2 {
                continue
            }
        }
    }

    /// One PUT whose body is sent as it is written, nothing held: `finish` it, then `check` its
    /// answer. A body that cannot be sent again fails as TRANSIENT if the connection goes.
    func openPut(size: Int64) -> HTTPUpload {
        http.openUpload(signed("PUT", query: [], body: []), length: size)
    }

    /// The answer of a streamed PUT, as `send` judges one.
    func check(_ response: HTTPResponse, what: String) throws {
        guard response.isSuccess else { throw Self.failure(what, response) }
    }

    /// A multipart upload in progress: its id, its part size and the ETags of the parts done.
    struct Parts: Codable, Sendable {
        var uploadID: String
        var partSize: Int64
        var etags: [String]
    }

    /// The part size for `size` bytes: `chunk`, grown to stay within 10,000 parts.
    static func partSize(for size: Int64, chunk: Int64) -> Int64 { max(chunk, (size + 9_999) / 10_000) }

    /// Starts a multipart upload.
    func initiate(size: Int64, chunk: Int64, what: String) throws -> Parts {
        let initiated = try send("POST", query: [("uploads", "")], body: [], what: what)
        guard let uploadID = (try? XMLTree.parse(initiated.body))?.child("UploadId")?.text, !uploadID.isEmpty else {
            throw ConnectorFailure(.transient, "\(what): the storage host gave no upload id")
        }
        return Parts(uploadID: uploadID, partSize: Self.partSize(for: size, chunk: chunk), etags: [])
    }

    /// Sends the parts `parts` does not have yet from the spool, each ETag checked against the
    /// part's MD5, telling `done` after each (a resume checkpoint), then completes the upload.
    func upload(
        _ parts: Parts, spool: Int32, size: Int64, what: String, done: (Parts) -> Void
    ) throws {
        var parts = parts
        var offset = Int64(parts.etags.count) * parts.partSize
        while offset < size {
            let count = Int(min(parts.partSize, size - offset))
            try send(part: try Self.read(spool, offset: offset, count: count), of: &parts, what: what)
            offset += Int64(count)
            done(parts)
        }
        try complete(parts, what: what)
    }

    /// Sends the next part, its ETag checked against the part's MD5.
    func send(part bytes: [UInt8], of parts: inout Parts, what: String) throws {
        let number = parts.etags.count + 1
        let answer = try send(
            "PUT", query: [("partNumber", String(number)), ("uploadId", parts.uploadID)], body: bytes, what: what)
        guard let etag = answer.header("ETag") else {
            throw ConnectorFailure(.transient, "\(what): part \(number) has no ETag")
        }
        let expected = "\"" + Insecure.MD5.hash(data: bytes).map { String(format: "%02x", $0) }.joined() + "\""
        guard etag == expected else {
            throw ConnectorFailure(.corrupt, "\(what): part \(number) stored with ETag \(etag), sent \(expected)")
        }
        parts.etags.append(etag)
    }

    /// Completes a multipart upload from the parts' ETags.
    func complete(_ parts: Parts, what: String) throws {
        let xml =
            "<CompleteMultipartUpload>"
            + parts.etags.enumerated().map {
                "<Part><PartNumber>\($0.offset + 1)</PartNumber><ETag>\($0.element)</ETag></Part>"
            }.joined() + "</CompleteMultipartUpload>"
        _ = try send("POST", query: [("uploadId", parts.uploadID)], body: Array(xml.utf8), what: what)
    }

    /// Abandons a multipart upload, so nothing is left half-made in the store; goes out even
    /// after the host asked to stop.
    func abort(_ parts: Parts) {
        var request = signed("DELETE", query: [("uploadId", parts.uploadID)], body: [])
        request.cancellable = false
        _ = try? http.send(request)
    }

    private func send(_ method: String, query: [(String, String)], body: [UInt8], what: String) throws -> HTTPResponse {
        let response = try http.send(signed(method, query: query, body: body))
        guard response.isSuccess else { throw Self.failure(what, response) }
        return response
    }

    /// S3's XML error code decides; credentials refused by the store are worth another try (a new
    /// ticket brings new ones).
    static func failure(_ what: String, _ response: HTTPResponse) -> ConnectorFailure {
        let code = (try? XMLTree.parse(response.body))?.child("Code")?.text ?? ""
        let mapped: ErrorCode? =
            switch code {
            case "ExpiredToken", "AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch": .transient
            case "EntityTooSmall", "InvalidPart", "InvalidPartOrder": .internal
            default: nil
            }
        return HTTPFailure.failure(what, response, detail: code, code: mapped)
    }

    /// The body is not part of the signature (`UNSIGNED-PAYLOAD`, which S3 allows): each part's
    /// ETag is checked against its MD5 and the whole file against its GCID, and a SHA-256 of every
    /// byte as well cost more CPU than the rest of the upload.
    private func signed(_ method: String, query: [(String, String)], body: [UInt8]) -> HTTPRequest {
        let signature = signer.sign(
            method: method, host: hostHeader, path: path, query: query, headers: [],
            payloadHash: SigV4Signer.unsignedPayload, date: Date())
        let queryText = query.isEmpty ? "" : "?" + SigV4Signer.canonicalQuery(query)
        var request = HTTPRequest(
            method, url + queryText, headers: signature.headers, body: .bytes(body), pathAsIs: true)
        request.followRedirects = false
        return request
    }

    private static func read(_ fd: Int32, offset: Int64, count: Int) throws -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        var done = 0
        while done < count {
            let n = bytes.withUnsafeMutableBytes {
                pread(fd, $0.baseAddress! + done, count - done, off_t(offset) + off_t(done))
            }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw ConnectorFailure.posix(n == 0 ? EIO : errno, "read back the spooled upload", "") }
            done += n
        }
        return bytes
    }
}
