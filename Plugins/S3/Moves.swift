import ConnectorKit
import Foundation

/// Server-side copy (CopyObject; UploadPartCopy above `copy_cutoff`) and move (copy, then delete:
/// S3 has no rename). A folder moves key by key.
extension S3Connector {
    func copy(_ from: String, to: String) throws {
        let source = try locate(from)
        let target = try locate(to)
        guard source.bucket != nil, !source.key.isEmpty, target.bucket != nil, !target.key.isEmpty else {
            throw ConnectorFailure(.isADirectory, "copy '\(from)' → '\(to)': buckets cannot be copied")
        }
        guard let head = try head(source, from) else {
            if try folderExists(source) {
                throw ConnectorFailure(.isADirectory, "copy '\(from)': is a folder; only files are copied")
            }
            throw ConnectorFailure(.notFound, "copy '\(from)': not found")
        }
        try refuseExisting(target, to)
        try ensureParent(of: to)
        try copyObject(source, to: target, head: head, from, to)
        known.note(to, .file)
    }

    func move(_ from: String, to: String) throws {
        let source = try locate(from)
        let target = try locate(to)
        guard source.bucket != nil, !source.key.isEmpty, target.bucket != nil, !target.key.isEmpty else {
            throw ConnectorFailure(.invalidArgument, "move '\(from)' → '\(to)': buckets cannot be moved")
        }
        if let head = try head(source, from) {
            try refuseExisting(target, to)
            try ensureParent(of: to)
            try copyObject(source, to: target, head: head, from, to)
            try deleteObject(source, from)
            known.note(from, nil)
            known.note(to, .file)
            return
        }
        guard try folderExists(source) else { throw ConnectorFailure(.notFound, "move '\(from)': not found") }
        try refuseExisting(target, to)
        try ensureParent(of: to)
        // Every key below, markers included, then the originals: a failure half-way leaves both
        // copies, never neither.
        var keys: [S3ListPage.Object] = []
        var token: String?
        repeat {
            let page = try listPage(
                bucket: source.bucket!, prefix: source.folderPrefix, delimiter: nil, maxKeys: 1000, token: token)
            keys += page.keys
            token = page.nextToken
        } while token != nil
        for object in keys {
            let rest = String(object.key.utf8.dropFirst(source.folderPrefix.utf8.count))!
            try copyObject(
                S3Location(bucket: source.bucket, key: object.key),
                to: S3Location(bucket: target.bucket, key: target.folderPrefix + rest), size: object.size, head: nil,
                from, to)
        }
        for object in keys {
            try deleteObject(S3Location(bucket: source.bucket, key: object.key), from)
        }
        known.forget(from)
        known.forget(to)
        known.note(from, nil)
        known.note(to, .folder)
    }

    private func refuseExisting(_ target: S3Location, _ to: String) throws {
        if try head(target, to) != nil { throw ConnectorFailure(.exists, "'\(to)' already exists") }
        if try folderExists(target) { throw ConnectorFailure(.exists, "'\(to)' already exists (a folder)") }
    }

    private func copySourceHeader(_ source: S3Location) -> String {
        "/" + SigV4Signer.encode(source.bucket!) + SigV4Signer.encodePath(source.key)
    }

    /// CopyObject keeps the metadata (mtime included); a 200 may still carry an error.
    /// `head`: the source's HEAD answer where the caller has one (its size then comes from there).
    func copyObject(
        _ source: S3Location, to target: S3Location, size: Int64? = nil, head: HTTPResponse?, _ from: String,
        _ to: String
    ) throws {
        let size = size ?? head?.header("Content-Length").flatMap { Int64($0) } ?? 0
        if size > copyCutoff { return try copyInParts(source, to: target, size: size, head: head, from, to) }
        let call = Call(
            method: "PUT", bucket: target.bucket, key: target.key,
            headers: [("x-amz-copy-source", copySourceHeader(source))] + objectHeaders)
        try S3Retry.run(connector: self, what: "copy '\(from)'") {
            let response = try expect(call, "copy '\(from)' → '\(to)'")
            let tree = try? XMLTree.parse(response.body)
            if tree?.localName == "Error" {
                throw S3Errors.failure("copy '\(from)' → '\(to)'", HTTPResponse(status: 500, body: response.body))
            }
        }
    }

    /// UploadPartCopy, for sources larger than one CopyObject may take (5 GiB).
    private func copyInParts(
        _ source: S3Location, to target: S3Location, size: Int64, head known: HTTPResponse?, _ from: String,
        _ to: String
    ) throws {
        // Its metadata and content type go on the new upload, so the HEAD is needed here anyway.
        guard let head = try known ?? head(source, from) else {
            throw ConnectorFailure(.notFound, "copy '\(from)': not found")
        }
        var headers = [("Content-Type", head.header("Content-Type") ?? "application/octet-stream")] + objectHeaders
        for (name, value) in head.headers where name.lowercased().hasPrefix("x-amz-meta-") {
            headers.append((name.lowercased(), value))
        }
        // The copy's ETag will be a multipart one: its MD5 (the source's, the server copies the
        // bytes) travels as rclone's md5chksum, where stat finds it.
        if head.header("x-amz-meta-md5chksum") == nil,
            let md5 = S3Hashes.md5(fromETag: head.header("ETag"), encrypted: isEncrypted(head)),
            let encoded = S3Hashes.base64(fromHex: md5)
        {
            headers.append(("x-amz-meta-md5chksum", encoded))
        }
        let upload = try S3MultipartUpload(connector: self, location: target, path: to, headers: headers)
        do {
            let partSize = S3Writer.partSize(for: size, chunk: max(chunkSize, 512 << 20))
            var parts: [(Int, String)] = []
            var offset: Int64 = 0
            var number = 1
            while offset < size {
                let last = min(offset + partSize, size) - 1
                let call = Call(
                    method: "PUT", bucket: target.bucket, key: target.key,
                    query: [("partNumber", String(number)), ("uploadId", upload.uploadID)],
                    headers: [
                        ("x-amz-copy-source", copySourceHeader(source)),
                        ("x-amz-copy-source-range", "bytes=\(offset)-\(last)"),
                    ])
                let response = try S3Retry.run(connector: self, what: "copy '\(from)' part \(number)") {
                    try expect(call, "copy '\(from)' part \(number)")
                }
                guard let etag = (try? XMLTree.parse(response.body))?.value("ETag") else {
                    throw ConnectorFailure(.transient, "copy '\(from)' part \(number): no ETag in the answer")
                }
                parts.append((number, etag))
                offset = last + 1
                number += 1
            }
            try upload.completeCopied(parts: parts)
        } catch {
            upload.abort()
            throw error
        }
    }
}
