import EmulatorKit
import Foundation

/// Uploads (pikpak.md §3.6): the ticket on the drive host (instant when the content is known by
/// GCID and size, or empty), then the bytes to the storage host with the ticket's temporary
/// credentials, S3-style (one PUT, or initiate / parts / complete / abort). The server recomputes
/// the GCID of what arrived; a file whose bytes disagree with the GCID it was announced with ends
/// in PHASE_TYPE_ERROR.
extension PikPakEmulator {
    static let storageBucket = "pikpak-emulator"
    static let minimumPart = 100 << 10

    func uploadTicket(
        _ body: [String: Any], name: String, parent: String, _ a: PikPakAccount, port: Int
    ) -> EmulatorResponse {
        guard let size = Int64("\(body["size"] ?? "")"), size >= 0 else {
            return PikPakJSON.error(400, "invalid_argument", code: 3, "size is required")
        }
        let gcid = (body["hash"] as? String ?? "").uppercased()
        guard size == 0 || (gcid.count == 40 && gcid.allSatisfy(\.isHexDigit)) else {
            return PikPakJSON.error(400, "invalid_argument", code: 3, "hash must be the file's GCID")
        }
        guard a.usage + size <= a.quota else {
            return PikPakJSON.error(403, "file_space_not_enough", code: 8, "Storage space is not enough")
        }
        let now = Date()
        // A name that is taken gets a number, as the real server does; the client sees it in `file`.
        let node = PikPakNode(
            id: newId(), parentId: parent, name: a.freeName(name, in: parent), isFolder: false, size: size,
            gcid: size == 0 ? Self.emptyGCID : gcid, phase: PikPakNode.pending, now: now)
        if size == 0 {
            node.blob = blobs.create([])
        } else if let known = knownBlob(gcid: gcid, size: size) {
            node.blob = blobs.link(known)
        }
        if node.blob != nil {
            node.phase = PikPakNode.complete
            a.add(node)
            let task = schedule(type: "upload", name: node.name) {}
            return PikPakJSON.ok([
                "upload_type": "UPLOAD_TYPE_RESUMABLE", "resumable": NSNull(), "file": PikPakJSON.file(node),
                "task": ["id": task.id, "phase": "PHASE_TYPE_COMPLETE"],
            ])
        }
        a.add(node)
        let key = "u/" + randomToken("")
        let upload = PikPakUpload(
            key: key, fileId: node.id, account: a.name, accessKeyId: "STS." + randomToken("").prefix(20),
            securityToken: randomToken("CAIS"), expires: now.addingTimeInterval(12 * 3600))
        uploads[key] = upload
        let task = PikPakTask(id: newId(), type: "upload", name: node.name, created: now, done: .distantFuture)
        task.fileId = node.id
        tasks[task.id] = task
        upload.taskId = task.id
        return PikPakJSON.ok([
            "upload_type": "UPLOAD_TYPE_RESUMABLE",
            "resumable": [
                "kind": "drive#resumable", "provider": "PROVIDER_ALIYUN",
                "params": [
                    "access_key_id": upload.accessKeyId, "access_key_secret": randomToken(""),
                    "security_token": upload.securityToken, "bucket": Self.storageBucket,
                    "endpoint": "127.0.0.1:\(port)", "key": key, "expiration": PikPakJSON.time(upload.expires),
                ],
            ] as [String: Any],
            "file": PikPakJSON.file(node), "task": ["id": task.id, "phase": "PHASE_TYPE_RUNNING"],
        ])
    }

    static let emptyGCID = "DA39A3EE5E6B4B0D3255BFEF95601890AFD80709"

    /// A blob any account already holds with this GCID and size (PikPak deduplicates across users).
    private func knownBlob(gcid: String, size: Int64) -> String? {
        for account in accounts.values {
            for n in account.nodes.values
            where !n.isFolder && n.phase == PikPakNode.complete && n.size == size && n.gcid == gcid {
                if let blob = n.blob { return blob }
            }
        }
        return nil
    }

    /// `resource/cid`: the GCID of content the server knows by its CID.
    func cidLookup(_ r: EmulatorRequest) -> EmulatorResponse {
        guard let cid = r.queryValue("cid"), let size = Int64(r.queryValue("file_size") ?? ""), size > 0 else {
            return PikPakJSON.error(400, "invalid_argument", code: 3, "cid and file_size is required")
        }
        for account in accounts.values {
            for n in account.nodes.values where n.size == size && n.phase == PikPakNode.complete && !n.isFolder {
                if let blob = n.blob, Self.cid(of: blob, size: size) == cid.uppercased() {
                    return PikPakJSON.ok(["gcid": n.gcid])
                }
            }
        }
        return PikPakJSON.error(500, "internal", code: 13, "rpc error: no record in idx.shub.mypikpak.com")
    }

    /// CID as pikpak.md §4 gives it (the server's own reading of a blob).
    static func cid(of blob: String, size: Int64) -> String {
        guard let handle = FileHandle(forReadingAtPath: blob) else { return "" }
        defer { try? handle.close() }
        var data = Data()
        if size <= 0xF000 {
            data = (try? handle.readToEnd()) ?? Data()
        } else {
            for offset in [0, size / 3, size - 0x5000] {
                try? handle.seek(toOffset: UInt64(offset))
                data.append((try? handle.read(upToCount: 0x5000)) ?? Data())
            }
        }
        return ServerGCID.sha1Upper(data)
    }

    // MARK: - Storage host

    /// S3-style object requests on a ticket's key, authorised by the ticket's credentials. Run
    /// under the lock.
    func storageRoute(_ r: EmulatorRequest) -> EmulatorResponse {
        let key = String(r.path.dropFirst())
        guard let upload = uploads[key] else { return Self.s3Error(404, "NoSuchUpload", "No upload for this key") }
        let authorization = r.header("Authorization") ?? ""
        guard authorization.hasPrefix("AWS4-HMAC-SHA256 Credential=\(upload.accessKeyId)/"),
            r.header("X-Amz-Security-Token") == upload.securityToken
        else { return Self.s3Error(403, "AccessDenied", "The ticket's credentials are required") }
        guard upload.expires > Date() else { return Self.s3Error(403, "ExpiredToken", "The credentials expired") }
        if (r.method == "PUT" || r.method == "POST") && !r.body.isEmpty && strikes(\.droppedUploads) {
            return .hungUp
        }
        let uploadId = r.queryValue("uploadId")
        switch (r.method, uploadId, r.queryValue("partNumber")) {
        case ("PUT", nil, nil):
            let blob = blobs.create(r.body)
            finish(upload, blob: blob)
            return EmulatorResponse(status: 200, headers: [("ETag", Self.etag(r.body))])
        case ("POST", nil, nil) where r.query.contains(where: { $0.0 == "uploads" }):
            let id = randomToken("mpu")
            upload.multiparts[id] = [:]
            return Self.xml(
                "<InitiateMultipartUploadResult><Bucket>\(Self.storageBucket)</Bucket><Key>\(key)</Key>"
                    + "<UploadId>\(id)</UploadId></InitiateMultipartUploadResult>")
        case ("PUT", let id?, let number?):
            guard upload.multiparts[id] != nil else { return Self.s3Error(404, "NoSuchUpload", "Unknown uploadId") }
            guard let n = Int(number), (1...10_000).contains(n) else {
                return Self.s3Error(400, "InvalidArgument", "Part number must be 1 to 10000")
            }
            if let old = upload.multiparts[id]?[n] { blobs.remove(old.blob) }
            let etag = Self.etag(r.body)
            upload.multiparts[id]?[n] = (blobs.create(r.body), etag)
            return EmulatorResponse(status: 200, headers: [("ETag", etag)])
        case ("POST", let id?, nil):
            return completeMultipart(upload, id, r)
        case ("DELETE", let id?, nil):
            for part in (upload.multiparts.removeValue(forKey: id) ?? [:]).values { blobs.remove(part.blob) }
            return EmulatorResponse(status: 204)
        default:
            return Self.s3Error(400, "InvalidRequest", "Unsupported \(r.method) on an upload")
        }
    }

    private func completeMultipart(_ upload: PikPakUpload, _ id: String, _ r: EmulatorRequest) -> EmulatorResponse {
        guard let parts = upload.multiparts[id] else { return Self.s3Error(404, "NoSuchUpload", "Unknown uploadId") }
        let text = String(decoding: r.body, as: UTF8.self)
        let listed = Self.partList(text)
        guard !listed.isEmpty, listed.map(\.number) == listed.map(\.number).sorted() else {
            return Self.s3Error(400, "InvalidPartOrder", "Parts must be listed in ascending order")
        }
        var blobsInOrder: [String] = []
        for (i, part) in listed.enumerated() {
            guard let stored = parts[part.number], stored.etag == part.etag else {
                return Self.s3Error(400, "InvalidPart", "Part \(part.number) was not uploaded with that ETag")
            }
            let size = (try? FileManager.default.attributesOfItem(atPath: stored.blob)[.size] as? NSNumber)??.intValue
            if i < listed.count - 1 && (size ?? 0) < Self.minimumPart {
                return Self.s3Error(400, "EntityTooSmall", "Part \(part.number) is smaller than 100 KiB")
            }
            blobsInOrder.append(stored.blob)
        }
        let whole = blobs.newPath()
        _ = FileManager.default.createFile(atPath: whole, contents: nil)
        if let out = FileHandle(forWritingAtPath: whole) {
            for blob in blobsInOrder {
                if let data = FileManager.default.contents(atPath: blob) { out.write(data) }
            }
            try? out.close()
        }
        for part in parts.values { blobs.remove(part.blob) }
        upload.multiparts[id] = nil
        finish(upload, blob: whole)
        return Self.xml(
            "<CompleteMultipartUploadResult><Bucket>\(Self.storageBucket)</Bucket><Key>\(upload.key)</Key>"
                + "<ETag>\"\(randomToken("").prefix(32))-\(listed.count)\"</ETag></CompleteMultipartUploadResult>")
    }

    /// The stored object becomes the file: COMPLETE when its size and GCID are what the ticket
    /// announced, ERROR otherwise.
    private func finish(_ upload: PikPakUpload, blob: String) {
        uploads[upload.key] = nil
        guard let a = accounts[upload.account], let n = a.nodes[upload.fileId] else {
            blobs.remove(blob)
            return
        }
        let size = ((try? FileManager.default.attributesOfItem(atPath: blob)[.size]) as? NSNumber)?.int64Value ?? -1
        let task = upload.taskId.flatMap { tasks[$0] }
        task?.done = Date()
        if size != n.size || ServerGCID.of(file: blob, size: size) != n.gcid {
            n.phase = PikPakNode.failed
            task?.error = "the uploaded content does not match its hash"
            blobs.remove(blob)
            return
        }
        n.blob = blob
        n.phase = PikPakNode.complete
        n.modified = Date()
    }

    static func partList(_ xml: String) -> [(number: Int, etag: String)] {
        var out: [(Int, String)] = []
        for chunk in xml.components(separatedBy: "<Part>").dropFirst() {
            guard let number = Int(value(of: "PartNumber", in: chunk) ?? ""), let etag = value(of: "ETag", in: chunk)
            else { continue }
            out.append((number, etag.replacingOccurrences(of: "&quot;", with: "\"")))
        }
        return out
    }

    private static func value(of tag: String, in text: String) -> String? {
        guard let open = text.range(of: "<\(tag)>"),
            let close = text.range(of: "</\(tag)>", range: open.upperBound..<text.endIndex)
        else { return nil }
        return String(text[open.upperBound..<close.lowerBound])
    }

    static func etag(_ bytes: [UInt8]) -> String { "\"" + ServerGCID.md5Hex(bytes) + "\"" }

    static func xml(_ body: String, status: Int = 200) -> EmulatorResponse {
        EmulatorResponse(
            status: status, headers: [("Content-Type", "application/xml")],
            body: .bytes(Array(("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" + body).utf8)))
    }

    static func s3Error(_ status: Int, _ code: String, _ message: String) -> EmulatorResponse {
        xml("<Error><Code>\(code)</Code><Message>\(message)</Message></Error>", status: status)
    }

    // MARK: - Downloads

    /// A signed link: `fid`, `expire` and the signature must agree with what GET-by-id handed out.
    func download(_ r: EmulatorRequest) -> EmulatorResponse {
        let found: (blob: String, size: Int64, fault: RangedFile.Fault?)? = withLock {
            guard let signature = r.queryValue("sig"), let grant = grants[signature], grant.id == r.queryValue("fid"),
                grant.expires > Date(), Int(r.queryValue("expire") ?? "") == Int(grant.expires.timeIntervalSince1970),
                let n = accounts[grant.account]?.nodes[grant.id], let blob = n.blob
            else { return nil }
            var fault: RangedFile.Fault?
            if strikes(\.linksExpiringMidDownload) {
                grants[signature] = nil
                fault = .drop
            } else if strikes(\.droppedDownloads) {
                fault = .drop
            } else if strikes(\.truncatedDownloads) {
                fault = .truncate
            } else if dice.roll(faults.rates.truncatedDownloads) {
                fault = dice.roll(0.5) ? .drop : .truncate
            }
            return (blob, n.size, fault)
        }
        guard let found else {
            return EmulatorResponse(status: 403, body: .bytes(Array("the link is invalid or expired".utf8)))
        }
        let answer = RangedFile.response(
            path: found.blob, size: found.size, range: r.header("Range"), fault: found.fault)
        if case .file(_, _, let length) = answer.body {
            withLock { downloadedBytes += answer.dropAfterBytes ?? length }
        }
        return answer
    }
}
