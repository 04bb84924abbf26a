import ConnectorKit
import Crypto
import Foundation

/// A multipart upload: initiate, parts sent from buffers on threads of their own (at most
/// `upload_concurrency` at once, each retried a few times from its buffer), complete or abort.
/// Every part's ETag is checked against the MD5 of the bytes sent, and the final ETag against the
/// MD5 of those digests, so a completed upload is known to hold exactly what was written.
// Unchecked: parts, failure and spare buffers are only touched under `lock`.
final class S3MultipartUpload: @unchecked Sendable {
    let connector: S3Connector
    let location: S3Location
    let path: String
    let uploadID: String
    private let slots: DispatchSemaphore
    private let group = DispatchGroup()
    private let lock = NSLock()
    private var parts: [Int: (etag: String, digest: [UInt8])] = [:]
    private var failure: Error?
    private var spare: [[UInt8]] = []
    private var settled = false

    init(connector: S3Connector, location: S3Location, path: String, headers: [(String, String)]) throws {
        self.connector = connector
        self.location = location
        self.path = path
        slots = DispatchSemaphore(value: connector.uploadConcurrency)
        let response = try connector.expect(
            S3Connector.Call(
                method: "POST", bucket: location.bucket, key: location.key, query: [("uploads", "")], headers: headers),
            "start upload '\(path)'")
        guard let id = (try? XMLTree.parse(response.body))?.value("UploadId"), !id.isEmpty else {
            throw ConnectorFailure(.transient, "start upload '\(path)': no UploadId in the answer")
        }
        uploadID = id
    }

    /// Throws the first part's failure, so the writer stops early.
    func check() throws {
        lock.lock()
        defer { lock.unlock() }
        if let failure { throw failure }
    }

    /// A buffer from a finished part, or a new one.
    func takeBuffer(capacity: Int) -> [UInt8] {
        lock.lock()
        var buffer = spare.popLast() ?? []
        lock.unlock()
        buffer.removeAll(keepingCapacity: true)
        buffer.reserveCapacity(capacity)
        return buffer
    }

    /// Sends part `number` on a thread of its own; blocks while `upload_concurrency` parts are in flight.
    func submit(part number: Int, bytes: [UInt8]) throws {
        guard number <= 10_000 else {
            throw ConnectorFailure(.invalidArgument, "upload '\(path)': more than 10,000 parts; raise chunk_size")
        }
        slots.wait()
        do { try check() } catch {
            slots.signal()
            throw error
        }
        group.enter()
        let thread = Thread { [self] in
            defer {
                slots.signal()
                group.leave()
            }
            do {
                let done = try sendPart(number, bytes)
                lock.lock()
                parts[number] = done
                spare.append(bytes)
                lock.unlock()
            } catch {
                lock.lock()
                if failure == nil { failure = error }
                lock.unlock()
            }
        }
        thread.stackSize = 512 << 10
        thread.start()
    }

    private func sendPart(_ number: Int, _ bytes: [UInt8]) throws -> (etag: String, digest: [UInt8]) {
        let (contentMD5, digest) = bytes.withUnsafeBytes { S3Hashes.base64MD5($0) }
        let call = S3Connector.Call(
            method: "PUT", bucket: location.bucket, key: location.key,
            query: [("partNumber", String(number)), ("uploadId", uploadID)],
            headers: [("Content-MD5", contentMD5)], body: .bytes(bytes), payloadHash: SigV4Signer.unsignedPayload)
        let response = try S3Retry.run(connector: connector, what: "upload '\(path)' part \(number)") {
            try connector.expect(call, "upload '\(path)' part \(number)")
        }
        guard let etag = response.header("ETag"), !etag.isEmpty else {
            throw ConnectorFailure(.transient, "upload '\(path)' part \(number): no ETag in the answer")
        }
        if let theirs = S3Hashes.md5(fromETag: etag, encrypted: connector.isEncrypted(response)),
            theirs != SigV4Signer.hex(digest)
        {
            throw ConnectorFailure(
                .corrupt,
                "upload '\(path)' part \(number): the server stored MD5 \(theirs), the bytes sent have \(SigV4Signer.hex(digest))"
            )
        }
        return (etag, digest)
    }

    /// Waits for the parts, then completes the upload and checks its ETag.
    func complete(size: Int64, mtime: Int64?, md5: String?) throws -> ConnectorEntry {
        group.wait()
        try check()
        lock.lock()
        let numbers = parts.keys.sorted()
        let list = numbers.map { parts[$0]! }
        lock.unlock()
        guard numbers == Array(1...max(1, numbers.count)) else {
            throw ConnectorFailure(.internal, "upload '\(path)': parts \(numbers) are not contiguous")
        }
        let expected = S3Hashes.multipartETag(partDigests: list.map(\.digest))
        let etag = try completeRequest(Array(zip(numbers, list.map(\.etag))))
        lock.lock()
        settled = true
        lock.unlock()
        let got = S3Hashes.unquoted(etag).lowercased()
        if got.contains("-") && !connector.encryptedETags && got != expected {
            throw ConnectorFailure(
                .corrupt, "upload '\(path)': the server assembled ETag \(got), the parts sent make \(expected)")
        }
        var hashes: [HashKind: String] = [:]
        if let md5 { hashes[.md5] = md5 }
        return ConnectorEntry(path: path, isDirectory: false, size: size, mtimeNanoseconds: mtime, hashes: hashes)
    }

    /// Completes the upload of parts already on the server (a copy made part by part).
    func completeCopied(parts: [(Int, String)]) throws {
        _ = try completeRequest(parts)
        lock.lock()
        settled = true
        lock.unlock()
    }

    /// CompleteMultipartUpload; returns the object's ETag.
    private func completeRequest(_ parts: [(Int, String)]) throws -> String {
        var xml = "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
        for (number, part) in parts {
            xml += "<Part><PartNumber>\(number)</PartNumber><ETag>\(Self.escape(part))</ETag></Part>"
        }
        xml += "</CompleteMultipartUpload>"
        let body = Array(xml.utf8)
        let call = S3Connector.Call(
            method: "POST", bucket: location.bucket, key: location.key, query: [("uploadId", uploadID)],
            headers: [("Content-Type", "application/xml")], body: .bytes(body),
            payloadHash: SigV4Signer.hex(SHA256.hash(data: body)))
        var etag: String?
        var attempt = 0
        while etag == nil {
            attempt += 1
            let response = try connector.perform(call)
            // S3 may answer 200 and still report an error in the body (it streams while assembling).
            let tree = try? XMLTree.parse(response.body)
            // moto names the root CompleteMultipartUploadResponse; S3 says …Result.
            if response.isSuccess, let tree, tree.localName.hasPrefix("CompleteMultipartUpload") {
                etag = tree.value("ETag") ?? ""
                break
            }
            if response.isSuccess && tree?.localName != "Error" {
                throw ConnectorFailure(
                    .transient,
                    "complete upload '\(path)': unexpected answer: \(String(response.bodyText.prefix(300)))")
            }
            let failure = S3Errors.failure(
                "complete upload '\(path)'",
                response.isSuccess ? HTTPResponse(status: 500, body: response.body) : response,
                bucket: location.bucket)
            if failure.code == .notFound && attempt > 1 {
                // An earlier attempt went through after all: the object tells.
                guard let head = try connector.head(location, path) else { throw failure }
                etag = head.header("ETag") ?? ""
                break
            }
            guard failure.code == .transient || failure.code == .rateLimited, attempt < 4 else { throw failure }
            Thread.sleep(forTimeInterval: Double(attempt) * 0.5)
        }
        return etag ?? ""
    }

    /// Stops the upload and frees its parts on the server (they are billed until then).
    func abort() {
        group.wait()
        lock.lock()
        let done = settled
        settled = true
        lock.unlock()
        guard !done else { return }
        var call = S3Connector.Call(
            method: "DELETE", bucket: location.bucket, key: location.key, query: [("uploadId", uploadID)])
        call.cancellable = false
        for attempt in 1...3 {
            if let response = try? connector.perform(call), response.isSuccess || response.status == 404 { return }
            Thread.sleep(forTimeInterval: Double(attempt) * 0.3)
        }
        connector.host.log(
            .warn,
            "s3: could not abort the multipart upload of '\(path)' (id \(uploadID)); it may need a lifecycle rule")
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;")
    }
}

/// Retries a request whose body is still in memory (a part, a copy) on temporary failures,
/// instead of making the host send the whole file again.
enum S3Retry {
    static func run<T>(connector: S3Connector, what: String, attempts: Int = 3, _ body: () throws -> T) throws -> T {
        var attempt = 0
        while true {
            attempt += 1
            do {
                return try body()
            } catch let failure as ConnectorFailure
                where (failure.code == .transient || failure.code == .rateLimited) && attempt < attempts
            {
                try connector.host.checkCancelled()
                let wait = failure.code == .rateLimited ? Double(max(failure.retryAfterMilliseconds, 500)) / 1000 : 0.25
                connector.host.log(.debug, "s3: \(what): \(failure.message); trying again")
                Thread.sleep(forTimeInterval: min(wait * Double(attempt), 10))
            }
        }
    }
}
