import Crypto
import EmulatorKit
import Foundation

/// Downloads, uploads and upload sessions (dropbox.md §3.7–3.9), and the commit every upload ends
/// in. Call with the lock held.
extension DropboxEmulator {
    func contentRoute(
        _ route: String, _ r: EmulatorRequest, _ arg: [String: Any], _ user: DropboxAccount, _ space: DropboxSpace
    ) -> EmulatorResponse {
        switch route {
        case "files/download": return download(r, arg, space)
        case "files/upload":
            if Int64(r.body.count) > maxRequestBytes {
                return DropboxJSON.endpoint([".tag": "payload_too_large"], summary: "payload_too_large")
            }
            if strikes(\.droppedUploads, rate: faults.rates.droppedConnections) { return .hungUp }
            uploadedBytes += Int64(r.body.count)
            let blob = blobs.create(r.body)
            if let expected = arg["content_hash"] as? String, expected != Self.contentHash(blob) {
                blobs.remove(blob)
                return DropboxJSON.endpoint([".tag": "content_hash_mismatch"], summary: "content_hash_mismatch")
            }
            switch commit(blob, arg, user, space) {
            case .success(let node): return .json(200, DropboxJSON.metadata(node, space, tagged: false))
            case .failure(let failure):
                blobs.remove(blob)
                return DropboxJSON.uploadWrite(failure.error, summary: failure.summary)
            }
        case "files/upload_session/start":
            if Int64(r.body.count) > maxRequestBytes {
                return DropboxJSON.endpoint([".tag": "payload_too_large"], summary: "payload_too_large")
            }
            if strikes(\.droppedUploads, rate: faults.rates.droppedConnections) { return .hungUp }
            uploadedBytes += Int64(r.body.count)
            let session = DropboxUploadSession(
                id: "pid_upload_session:" + randomToken(), account: user.name, blob: blobs.create(r.body),
                expires: Date().addingTimeInterval(sessionLifetime))
            session.offset = Int64(r.body.count)
            session.closed = arg["close"] as? Bool ?? false
            sessions[session.id] = session
            return .json(200, ["session_id": session.id])
        case "files/upload_session/append_v2":
            let cursor = arg["cursor"] as? [String: Any] ?? [:]
            switch appendable(cursor, user, bytes: Int64(r.body.count)) {
            case .failure(let lookup): return DropboxJSON.endpoint(lookup.error, summary: lookup.tag)
            case .success(let session):
                if strikes(\.droppedUploads, rate: faults.rates.droppedConnections) { return .hungUp }
                append(r.body, to: session)
                if arg["close"] as? Bool == true { session.closed = true }
                if strikes(\.lostAppendReplies) { return .hungUp }
                return EmulatorResponse(
                    status: 200, headers: [("Content-Type", "application/json")], body: .bytes(Array("null".utf8)))
            }
        case "files/upload_session/finish":
            let cursor = arg["cursor"] as? [String: Any] ?? [:]
            switch appendable(cursor, user, bytes: Int64(r.body.count), finishing: true) {
            case .failure(let lookup):
                return DropboxJSON.endpoint(
                    [".tag": "lookup_failed", "lookup_failed": lookup.error], summary: "lookup_failed/" + lookup.tag)
            case .success(let session):
                if strikes(\.droppedUploads, rate: faults.rates.droppedConnections) { return .hungUp }
                append(r.body, to: session)
                switch commit(session.blob, arg["commit"] as? [String: Any] ?? [:], user, space) {
                case .success(let node):
                    sessions[session.id] = nil
                    return .json(200, DropboxJSON.metadata(node, space, tagged: false))
                case .failure(let failure):
                    return DropboxJSON.endpoint(failure.union("path"), summary: "path/" + failure.summary)
                }
            }
        default:
            return DropboxJSON.plain(404, "Unknown endpoint /2/\(route)")
        }
    }

    // MARK: Download

    private func download(_ r: EmulatorRequest, _ arg: [String: Any], _ space: DropboxSpace) -> EmulatorResponse {
        guard let path = arg["path"] as? String, let found = space.lookup(path), let node = found.node else {
            return DropboxJSON.lookup("path", "not_found")
        }
        guard !node.isFolder, let blob = node.blob else { return DropboxJSON.lookup("path", "not_file") }
        let fault: RangedFile.Fault? =
            node.size > 1 && strikes(\.truncatedDownloads, rate: faults.rates.truncatedDownloads) ? .drop : nil
        let response = RangedFile.response(
            path: blob, size: node.size, range: r.header("Range"), fault: fault,
            headers: [
                ("Content-Type", "application/octet-stream"),
                ("Dropbox-API-Result", DropboxJSON.headerSafe(DropboxJSON.metadata(node, space, tagged: false))),
            ])
        downloadedBytes += response.headers.last { $0.0 == "Content-Length" }.flatMap { Int64($0.1) } ?? 0
        return response
    }

    // MARK: Sessions

    /// The session a cursor names, if bytes may go to it at that offset; else the lookup error.
    private func appendable(
        _ cursor: [String: Any], _ user: DropboxAccount, bytes: Int64, finishing: Bool = false
    ) -> Result<DropboxUploadSession, LookupFailure> {
        guard let id = cursor["session_id"] as? String, let session = sessions[id], session.account == user.name,
            session.expires > Date()
        else { return .failure(LookupFailure(error: [".tag": "not_found"])) }
        if bytes > maxRequestBytes { return .failure(LookupFailure(error: [".tag": "payload_too_large"])) }
        let offset = (cursor["offset"] as? NSNumber)?.int64Value ?? -1
        guard offset == session.offset else {
            return .failure(LookupFailure(error: [".tag": "incorrect_offset", "correct_offset": session.offset]))
        }
        if session.closed && (bytes > 0 || !finishing) { return .failure(LookupFailure(error: [".tag": "closed"])) }
        return .success(session)
    }

    private func append(_ bytes: [UInt8], to session: DropboxUploadSession) {
        guard !bytes.isEmpty, let handle = FileHandle(forWritingAtPath: session.blob) else { return }
        defer { try? handle.close() }
        _ = try? handle.seekToEnd()
        try? handle.write(contentsOf: Data(bytes))
        session.offset += Int64(bytes.count)
        uploadedBytes += Int64(bytes.count)
    }

    /// Commits many closed sessions at once, each answered in request order.
    func finishBatch(_ arg: [String: Any], _ user: DropboxAccount, _ space: DropboxSpace) -> EmulatorResponse {
        let entries = arg["entries"] as? [[String: Any]] ?? []
        guard entries.count <= 1000 else {
            return DropboxJSON.badArgument("files/upload_session/finish_batch_v2", "at most 1000 entries")
        }
        let results = entries.map { entry -> [String: Any] in
            let cursor = entry["cursor"] as? [String: Any] ?? [:]
            func failure(_ error: [String: Any]) -> [String: Any] { [".tag": "failure", "failure": error] }
            guard let id = cursor["session_id"] as? String, let session = sessions[id], session.account == user.name,
                session.expires > Date()
            else { return failure([".tag": "lookup_failed", "lookup_failed": [".tag": "not_found"]]) }
            guard session.closed else {
                return failure([".tag": "lookup_failed", "lookup_failed": [".tag": "not_closed"]])
            }
            guard (cursor["offset"] as? NSNumber)?.int64Value == session.offset else {
                return failure([
                    ".tag": "lookup_failed",
                    "lookup_failed": [".tag": "incorrect_offset", "correct_offset": session.offset],
                ])
            }
            switch commit(session.blob, entry["commit"] as? [String: Any] ?? [:], user, space) {
            case .success(let node):
                sessions[id] = nil
                var out = DropboxJSON.metadata(node, space, tagged: false)
                out[".tag"] = "success"
                return out
            case .failure(let write): return failure(write.union("path"))
            }
        }
        return .json(200, ["entries": results])
    }

    // MARK: Commit

    /// Puts the blob's bytes at `commit.path` under the commit's mode. The blob becomes the file's
    /// (or is dropped when the file already holds these bytes).
    func commit(_ blob: String, _ commit: [String: Any], _ user: DropboxAccount, _ space: DropboxSpace)
        -> Result<DropboxNode, WriteFailure>
    {
        guard let path = commit["path"] as? String else { return .failure(.reason("malformed_path")) }
        let names: [String]
        switch parts(path) {
        case .failure(let failure): return .failure(failure)
        case .success(let found): names = found
        }
        let name = names.last!
        if Self.ignoredNames.contains(name.lowercased()) { return .failure(.reason("disallowed_name")) }
        let size = Int64(
            (try? FileManager.default.attributesOfItem(atPath: blob)[.size] as? NSNumber)??.int64Value ?? 0)
        var parentID = ""
        if names.count > 1 {
            switch makeFolders("/" + names.dropLast().joined(separator: "/"), space) {
            case .failure(let failure):
                return .failure(failure.reason == "conflict" ? .conflict("file_ancestor") : failure)
            case .success(let (parent, _)): parentID = parent.id
            }
        }
        let hash = Self.contentHash(blob)
        let mode = commit["mode"]
        let modeTag = (mode as? String) ?? ((mode as? [String: Any])?[".tag"] as? String) ?? "add"
        let existing = space.child(of: parentID, named: name)
        var target = existing
        if let existing {
            if existing.isFolder { return .failure(.conflict("folder")) }
            let same = existing.contentHash == hash && existing.size == size
            switch modeTag {
            case "overwrite": break
            case "update":
                let rev = (mode as? [String: Any])?["update"] as? String
                if rev != existing.rev { return .failure(.conflict("file")) }
            default:
                if same && commit["strict_conflict"] as? Bool != true {
                    blobs.remove(blob)
                    return .success(existing)  // identical content: nothing written, no conflict
                }
                if commit["autorename"] as? Bool == true {
                    target = nil
                } else {
                    return .failure(.conflict("file"))
                }
            }
        }
        let growth = size - (target?.size ?? 0)
        if user.used + growth > user.quota { return .failure(.reason("insufficient_space")) }
        let node: DropboxNode
        if let target {
            node = target
            if let old = node.blob { blobs.remove(old) }
        } else {
            let free = space.tree.freeName(
                name, isTaken: { space.child(of: parentID, named: $0) != nil },
                numbered: { stem, n, ext in ext.isEmpty ? "\(stem) (\(n))" : "\(stem) (\(n)).\(ext)" })
            node = DropboxNode(id: "id:" + randomToken().prefix(22), parentId: parentID, name: free, isFolder: false)
            space.tree.add(node)
        }
        node.blob = blob
        node.size = size
        node.contentHash = hash
        node.rev = newRev()
        node.serverModified = Date()
        node.clientModified = DropboxJSON.parseTime(commit["client_modified"] as? String) ?? node.serverModified
        space.changed(node.id)
        recentlyWritten.insert(node.id)
        return .success(node)
    }

    /// The content hash of a blob, computed here (independently of the client's SyncHashes): SHA-256
    /// of the SHA-256s of its 4 MiB blocks.
    static func contentHash(_ blob: String) -> String {
        guard let handle = FileHandle(forReadingAtPath: blob) else { return "" }
        defer { try? handle.close() }
        var outer = SHA256()
        while let block = try? handle.read(upToCount: 4 << 20), !block.isEmpty {
            outer.update(data: Data(SHA256.hash(data: block)))
        }
        return outer.finalize().map { String(format: "%02x", $0) }.joined()
    }
}
