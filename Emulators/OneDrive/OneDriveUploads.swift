import EmulatorKit
import Foundation

/// Simple uploads, upload sessions at their own unauthenticated URL, and the pre-authenticated
/// download URL (onedrive.md §3.8–3.10). Call with the lock held.
extension OneDriveEmulator {
    /// Where an upload addressed by path goes: its folder, its name, the item there if any.
    private func destination(_ address: Address, _ a: OneDriveAccount) -> (parent: String, name: String)? {
        guard let relative = address.relative else {
            guard let n = a.tree[address.base], !n.isFolder else { return nil }
            return (n.parentId.isEmpty ? a.rootID : n.parentId, n.name)
        }
        let parts = relative.split(separator: "/").map(String.init)
        guard let name = parts.last else { return nil }
        guard let parent = a.lookup(parts.dropLast().joined(separator: "/"), from: address.base),
            parent == a.rootID || a.tree[parent]?.isFolder == true
        else { return nil }
        return (parent, name)
    }

    func simpleUpload(_ r: EmulatorRequest, _ address: Address, _ a: OneDriveAccount, base: String)
        -> EmulatorResponse
    {
        guard let (parent, name) = destination(address, a) else { return OneDriveJSON.notFound() }
        guard r.body.count <= 250 << 20 else {
            return OneDriveJSON.error(413, "invalidRequest", "Use an upload session", inner: "maxFileSizeExceeded")
        }
        if strikes(\.droppedFragments) { return .hungUp }
        let blob = blobs.create(r.body)
        uploadedBytes += Int64(r.body.count)
        let behaviour = r.queryValue("@microsoft.graph.conflictBehavior") ?? "replace"
        let outcome = commit(blob, in: parent, name: name, behaviour: behaviour, times: nil, a)
        if case .failure = outcome { blobs.remove(blob) }
        switch outcome {
        case .success(let (node, created)):
            return .json(created ? 201 : 200, OneDriveJSON.item(node.id, a, base: base))
        case .failure(let refusal): return refusal.response
        }
    }

    func createUploadSession(_ r: EmulatorRequest, _ address: Address, _ a: OneDriveAccount, base: String)
        -> EmulatorResponse
    {
        guard let (parent, name) = destination(address, a) else { return OneDriveJSON.notFound() }
        if let refused = check(name, in: parent, a) { return refused }
        let item = OneDriveJSON.body(r)["item"] as? [String: Any] ?? [:]
        if let size = (OneDriveJSON.body(r)["fileSize"] as? NSNumber)?.int64Value, a.used + size > a.quota {
            return OneDriveJSON.error(507, "quotaLimitReached", "Insufficient Space Available")
        }
        let session = OneDriveUploadSession(
            id: randomToken() + randomToken(), account: a.name, parentID: parent, name: name,
            conflict: item["@microsoft.graph.conflictBehavior"] as? String ?? "replace",
            fileSystemInfo: item["fileSystemInfo"] as? [String: Any], blob: blobs.create([]),
            expires: Date().addingTimeInterval(sessionLifetime))
        sessions[session.id] = session
        return .json(
            200,
            [
                "uploadUrl": base + "/up/" + session.id, "expirationDateTime": OneDriveJSON.time(session.expires),
                "nextExpectedRanges": ["0-"],
            ])
    }

    static let fragmentUnit: Int64 = 327_680

    func uploadSessionRoute(_ r: EmulatorRequest, _ id: String, base: String) -> EmulatorResponse {
        count(r.method == "PUT" ? "fragment" : "session/" + r.method.lowercased())
        // The upload URL is pre-authenticated: a bearer token there is a client's mistake.
        if r.header("Authorization") != nil {
            return OneDriveJSON.error(401, "unauthenticated", "Do not send Authorization to the upload URL")
        }
        guard let session = sessions[id], session.expires > Date(), let a = accounts[session.account] else {
            sessions[id] = nil
            return OneDriveJSON.error(
                404, "itemNotFound", "The upload session was not found", inner: "uploadSessionNotFound")
        }
        func status(_ code: Int) -> EmulatorResponse {
            .json(
                code,
                [
                    "expirationDateTime": OneDriveJSON.time(session.expires),
                    "nextExpectedRanges": ["\(session.received)-"],
                ])
        }
        switch r.method {
        case "GET": return status(200)
        case "DELETE":
            sessions[id] = nil
            blobs.remove(session.blob)
            return EmulatorResponse(status: 204)
        case "PUT": break
        default: return OneDriveJSON.error(405, "invalidRequest", "\(r.method) is not supported here")
        }
        guard let range = r.header("Content-Range"), let (start, end, total) = Self.contentRange(range),
            end - start + 1 == Int64(r.body.count)
        else {
            return OneDriveJSON.error(
                400, "invalidRequest", "Content-Range does not match the body", inner: "fragmentLengthMismatch")
        }
        if let known = session.total, known != total {
            return OneDriveJSON.error(400, "invalidRequest", "The declared total changed", inner: "invalidRange")
        }
        if start < session.received {
            return OneDriveJSON.error(
                416, "invalidRange", "The fragment overlaps data received", inner: "fragmentOverlap")
        }
        if start > session.received {
            return OneDriveJSON.error(
                416, "invalidRange", "Fragments must arrive in order", inner: "fragmentOutOfOrder")
        }
        if end + 1 < total && r.body.count % Int(Self.fragmentUnit) != 0 {
            return OneDriveJSON.error(
                400, "invalidRequest", "A fragment but the last must be a multiple of 320 KiB",
                inner: "fragmentLengthMismatch")
        }
        if strikes(\.droppedFragments, rate: faults.rates.droppedConnections) { return .hungUp }
        if let handle = FileHandle(forWritingAtPath: session.blob) {
            _ = try? handle.seekToEnd()
            try? handle.write(contentsOf: Data(r.body))
            try? handle.close()
        }
        session.total = total
        session.received += Int64(r.body.count)
        session.expires = Date().addingTimeInterval(sessionLifetime)
        uploadedBytes += Int64(r.body.count)
        guard session.received == total else { return status(202) }
        sessions[id] = nil
        switch commit(
            session.blob, in: session.parentID, name: session.name, behaviour: session.conflict,
            times: session.fileSystemInfo, a)
        {
        case .success(let (node, created)):
            return .json(created ? 201 : 200, OneDriveJSON.item(node.id, a, base: base))
        case .failure(let refusal):
            blobs.remove(session.blob)
            return refusal.response
        }
    }

    /// `bytes 0-327679/1000000`.
    static func contentRange(_ text: String) -> (Int64, Int64, Int64)? {
        guard text.hasPrefix("bytes ") else { return nil }
        let parts = text.dropFirst(6).split(separator: "/")
        guard parts.count == 2, let total = Int64(parts[1]) else { return nil }
        let bounds = parts[0].split(separator: "-")
        guard bounds.count == 2, let start = Int64(bounds[0]), let end = Int64(bounds[1]), start <= end, end < total
        else { return nil }
        return (start, end, total)
    }

    /// Puts the blob's bytes at `name` in `parent` under a conflict behaviour; the item, and
    /// whether it is new. Content written without times gets now as its modification time.
    func commit(
        _ blob: String, in parent: String, name: String, behaviour: String, times: [String: Any]?, _ a: OneDriveAccount
    ) -> Result<(OneDriveNode, Bool), Refusal> {
        if let refused = check(name, in: parent, a) { return .failure(Refusal(refused)) }
        let size = Int64(
            (try? FileManager.default.attributesOfItem(atPath: blob)[.size] as? NSNumber)??.int64Value ?? 0)
        var node: OneDriveNode
        var created = false
        switch clash(name, in: parent, behaviour, a) {
        case .conflict: return .failure(Refusal(Self.nameExists()))
        case .replace(let existing):
            guard !existing.isFolder else { return .failure(Refusal(Self.nameExists())) }
            guard a.used - existing.size + size <= a.quota else {
                return .failure(Refusal(OneDriveJSON.error(507, "quotaLimitReached", "Insufficient Space Available")))
            }
            node = existing
            if let old = node.blob { blobs.remove(old) }
            node.version += 1
            node.contentVersion += 1
        case .free(let free):
            guard a.used + size <= a.quota else {
                return .failure(Refusal(OneDriveJSON.error(507, "quotaLimitReached", "Insufficient Space Available")))
            }
            node = OneDriveNode(id: newItemID(), parentId: a.treeID(parent), name: free, isFolder: false)
            a.tree.add(node)
            created = true
        }
        node.blob = blob
        node.size = size
        node.quickXor = OneDriveJSON.quickXor(blob)
        node.modified = OneDriveJSON.parseTime(times?["lastModifiedDateTime"]) ?? Date()
        if let createdAt = OneDriveJSON.parseTime(times?["createdDateTime"]) { node.created = createdAt }
        return .success((node, created))
    }

    /// The pre-authenticated download URL a `/content` redirects to: Range honoured.
    func downloadRoute(_ r: EmulatorRequest, _ token: String) -> EmulatorResponse {
        count("download")
        guard let grant = downloads[token], grant.expires > Date(), let a = accounts[grant.account],
            let n = a.tree[grant.id], let blob = n.blob
        else { return OneDriveJSON.error(401, "unauthenticated", "The download URL has expired") }
        let fault: RangedFile.Fault? =
            n.size > 1 && strikes(\.truncatedDownloads, rate: faults.rates.truncatedDownloads) ? .drop : nil
        let response = RangedFile.response(path: blob, size: n.size, range: r.header("Range"), fault: fault)
        downloadedBytes += response.headers.last { $0.0 == "Content-Length" }.flatMap { Int64($0.1) } ?? 0
        return response
    }
}
