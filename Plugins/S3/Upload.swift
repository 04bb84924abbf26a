import ConnectorKit
import Crypto
import Foundation

/// One upload. Bytes collect in a part-sized buffer: a file that fits goes up in one PUT with
/// Content-MD5 at `finish`; a larger one becomes a multipart upload whose parts go up while later
/// ones are still being written (`upload_concurrency` in flight). Nothing is visible at the key
/// before `finish` succeeds; `abort` sends nothing or aborts the multipart upload.
final class S3Writer: ConnectorWriter {
    let connector: S3Connector
    let location: S3Location
    let path: String
    let size: Int64?
    let mtimeNanoseconds: Int64?
    let partSize: Int
    /// The whole file's MD5, computed only when the host wants it and the ETag cannot give it.
    private var wholeMD5: Insecure.MD5?
    private let wantsMD5: Bool
    private var buffer: [UInt8]
    private var total: Int64 = 0
    private var multipart: S3MultipartUpload?
    private var nextPart = 1
    private var ended = false

    init(connector: S3Connector, location: S3Location, path: String, options: WriteOptions) {
        self.connector = connector
        self.location = location
        self.path = path
        size = options.size
        mtimeNanoseconds = options.mtimeNanoseconds
        let partSize = Int(S3Writer.partSize(for: options.size, chunk: connector.chunkSize))
        self.partSize = partSize
        wantsMD5 = options.wantHashes.contains(.md5)
        // A file known to fit in one PUT gets a buffer of its own size, not a whole part's.
        let initial = min(options.size ?? Int64(partSize), Int64(partSize))
        buffer = []
        buffer.reserveCapacity(Int(initial))
    }

    /// Parts of `chunk` bytes, grown (in whole MiB) where 10,000 of them would not hold the file.
    static func partSize(for size: Int64?, chunk: Int64) -> Int64 {
        guard let size else { return chunk }
        let needed = (size + 9_999) / 10_000
        let mib: Int64 = 1 << 20
        return max(chunk, (needed + mib - 1) / mib * mib)
    }

    private var metadataHeaders: [(String, String)] {
        var headers = [("Content-Type", "application/octet-stream")] + connector.objectHeaders
        if let mtimeNanoseconds { headers.append(("x-amz-meta-mtime", S3Hashes.formatMtime(mtimeNanoseconds))) }
        return headers
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard !ended else { throw ConnectorFailure(.invalidArgument, "write '\(path)': the upload has ended") }
        if let size, total + Int64(bytes.count) > size {
            throw ConnectorFailure(.invalidArgument, "write '\(path)': more bytes than the \(size) announced")
        }
        if let multipart { try multipart.check() }
        total += Int64(bytes.count)
        var rest = bytes
        while !rest.isEmpty {
            if buffer.count == partSize { try sendPart() }
            let n = min(rest.count, partSize - buffer.count)
            buffer.append(contentsOf: UnsafeRawBufferPointer(rebasing: rest.prefix(n)))
            rest = UnsafeRawBufferPointer(rebasing: rest.dropFirst(n))
        }
    }

    /// Hands the full buffer to the multipart upload (starting it first) and takes a fresh one.
    private func sendPart() throws {
        if multipart == nil {
            multipart = try S3MultipartUpload(
                connector: connector, location: location, path: path, headers: metadataHeaders)
            if wantsMD5 { wholeMD5 = Insecure.MD5() }
        }
        buffer.withUnsafeBytes { wholeMD5?.update(bufferPointer: $0) }
        let full = buffer
        buffer = multipart!.takeBuffer(capacity: partSize)
        try multipart!.submit(part: nextPart, bytes: full)
        nextPart += 1
    }

    func finish() throws -> ConnectorEntry {
        guard !ended else { throw ConnectorFailure(.invalidArgument, "write '\(path)': the upload has ended") }
        if let size, total != size {
            abort()
            throw ConnectorFailure(.invalidArgument, "write '\(path)': \(total) bytes written, \(size) announced")
        }
        ended = true
        do {
            let entry: ConnectorEntry
            if multipart == nil && total <= connector.uploadCutoff {
                entry = try putObject()
            } else {
                if !buffer.isEmpty || multipart == nil { try sendPart() }
                let md5 = wholeMD5.map { SigV4Signer.hex($0.finalize()) }
                entry = try multipart!.complete(size: total, mtime: mtimeNanoseconds, md5: md5)
            }
            connector.known.note(path, .file)
            return entry
        } catch {
            multipart?.abort()
            throw error
        }
    }

    /// One PUT with Content-MD5: the server refuses bytes that do not match it (AWS, Wasabi, B2).
    private func putObject() throws -> ConnectorEntry {
        let (contentMD5, digest) = buffer.withUnsafeBytes { S3Hashes.base64MD5($0) }
        let call = S3Connector.Call(
            method: "PUT", bucket: location.bucket, key: location.key,
            headers: metadataHeaders + [("Content-MD5", contentMD5)], body: .bytes(buffer),
            payloadHash: SigV4Signer.unsignedPayload)
        let response = try connector.expect(call, "upload '\(path)'")
        buffer = []
        let ours = SigV4Signer.hex(digest)
        var hashes: [HashKind: String] = [:]
        if let theirs = S3Hashes.md5(fromETag: response.header("ETag"), encrypted: connector.isEncrypted(response)) {
            // The server's digest of what it stored: the host compares it with what it sent.
            hashes[.md5] = theirs
        } else {
            // An encrypted object's ETag is no digest; Content-MD5 made the server check ours.
            hashes[.md5] = ours
        }
        return ConnectorEntry(
            path: path, isDirectory: false, size: total, mtimeNanoseconds: mtimeNanoseconds, hashes: hashes)
    }

    func abort() {
        ended = true
        buffer = []
        multipart?.abort()
    }
}
