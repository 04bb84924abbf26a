import EmulatorKit
import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Offline downloads (pikpak.md §3.9): `POST /files` with `upload_type: UPLOAD_TYPE_URL` starts a
/// task; when it completes, the file is in the folder asked for ("My Pack" when none was). A
/// magnet's content is made up from its hash (deterministic); an http(s) URL is fetched (loopback
/// only in tests).
extension PikPakEmulator {
    func offline(_ body: [String: Any], parent: String, _ a: PikPakAccount, port: Int) -> EmulatorResponse {
        guard let url = (body["url"] as? [String: Any])?["url"] as? String, !url.isEmpty else {
            return PikPakJSON.error(400, "invalid_argument", code: 3, "url.url is required")
        }
        let folder = parent.isEmpty ? myPack(a).id : parent
        let requested = body["name"] as? String ?? ""
        let now = Date()
        let task = PikPakTask(
            id: newId(), type: "offline", name: requested.isEmpty ? Self.offlineName(url) : requested, created: now,
            done: now.addingTimeInterval(offlineSeconds))
        (task.account, task.source) = (a.name, url)
        tasks[task.id] = task
        if url.hasPrefix("magnet:") {
            let bytes = Self.madeUp(from: url)
            pending.append((task.done, { self.place(bytes: bytes, for: task, in: folder, a) }))
            pending.sort { $0.due < $1.due }
        } else if url.hasPrefix("http://") || url.hasPrefix("https://"), let target = URL(string: url) {
            task.done = .distantFuture  // until the fetch ends
            URLSession.shared.dataTask(with: target) { data, response, error in
                let status = (response as? HTTPURLResponse)?.statusCode ?? 0
                self.withLock {
                    task.done = max(Date(), task.created.addingTimeInterval(self.offlineSeconds))
                    guard error == nil, (200..<300).contains(status), let data else {
                        task.error =
                            "download failed: \(error.map { "\($0.localizedDescription)" } ?? "HTTP \(status)")"
                        return
                    }
                    self.pending.append((task.done, { self.place(bytes: Array(data), for: task, in: folder, a) }))
                    self.pending.sort { $0.due < $1.due }
                }
            }.resume()
        } else {
            tasks[task.id] = nil
            return PikPakJSON.error(400, "invalid_argument", code: 3, "unsupported link")
        }
        return PikPakJSON.ok([
            "upload_type": "UPLOAD_TYPE_URL", "url": ["kind": "upload#url"], "file": NSNull(),
            "task": [
                "kind": "drive#task", "id": task.id, "type": "offline", "name": task.name,
                "phase": "PHASE_TYPE_RUNNING", "progress": 0,
            ] as [String: Any],
        ])
    }

    /// The download folder PikPak makes for offline downloads without a parent.
    private func myPack(_ a: PikPakAccount) -> PikPakNode {
        if let existing = a.child(of: "", named: "My Pack"), existing.isFolder { return existing }
        let folder = PikPakNode(id: newId(), parentId: "", name: "My Pack", isFolder: true, now: Date())
        a.add(folder)
        return folder
    }

    /// Makes the finished download's file. Run under the lock, when the task completes.
    private func place(bytes: [UInt8], for task: PikPakTask, in folder: String, _ a: PikPakAccount) {
        guard a.nodes[folder]?.isFolder == true else {
            task.error = "the destination folder is gone"
            return
        }
        let blob = blobs.create(bytes)
        let node = PikPakNode(
            id: newId(), parentId: folder, name: a.freeName(task.name, in: folder), isFolder: false,
            size: Int64(bytes.count), gcid: ServerGCID.of(file: blob, size: Int64(bytes.count)), blob: blob,
            now: Date())
        a.add(node)
        (task.fileId, task.fileName, task.fileSize) = (node.id, node.name, node.size)
    }

    /// A magnet's display name (`dn=`), else its info hash; a URL's last path segment.
    static func offlineName(_ link: String) -> String {
        if link.hasPrefix("magnet:") {
            let query = URLForm.decode(String(link.drop { $0 != "?" }.dropFirst()))
            if let name = query.first(where: { $0.0 == "dn" })?.1, !name.isEmpty, !name.contains("/") { return name }
            let hash = query.first { $0.0 == "xt" }?.1.split(separator: ":").last.map(String.init) ?? "download"
            return hash + ".bin"
        }
        let last = URL(string: link)?.lastPathComponent ?? ""
        return last.isEmpty || last == "/" ? "download" : last
    }

    /// 1 to 64 KiB of bytes determined by the link alone, so a test can predict them.
    static func madeUp(from link: String) -> [UInt8] {
        var state: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in link.utf8 { state = (state ^ UInt64(byte)) &* 0x100_0000_01b3 }
        var bytes = [UInt8](repeating: 0, count: Int(1024 + state % (63 * 1024)))
        for i in bytes.indices {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            bytes[i] = UInt8(truncatingIfNeeded: state >> 33)
        }
        return bytes
    }

    // MARK: - Test hooks

    /// Puts a file at `path` (folders made as needed) without going through the API.
    public func seed(_ account: String, path: String, bytes: [UInt8]) {
        withLock {
            guard let a = accounts[account] else { return }
            var parent = ""
            let parts = path.split(separator: "/").map(String.init)
            for folder in parts.dropLast() {
                if let existing = a.child(of: parent, named: folder), existing.isFolder {
                    parent = existing.id
                } else {
                    let made = PikPakNode(id: newId(), parentId: parent, name: folder, isFolder: true, now: Date())
                    a.add(made)
                    parent = made.id
                }
            }
            let blob = blobs.create(bytes)
            a.add(
                PikPakNode(
                    id: newId(), parentId: parent, name: parts.last ?? "file", isFolder: false,
                    size: Int64(bytes.count), gcid: ServerGCID.of(file: blob, size: Int64(bytes.count)), blob: blob,
                    now: Date()))
        }
    }

    /// The bytes of the live file at `path`, nil when there is none.
    public func contents(_ account: String, path: String) -> [UInt8]? {
        withLock {
            guard let a = accounts[account] else { return nil }
            var node: PikPakNode?
            var parent = ""
            for part in path.split(separator: "/").map(String.init) {
                node = a.child(of: parent, named: part)
                guard let found = node else { return nil }
                parent = found.id
            }
            guard let file = node, !file.isFolder, let blob = file.blob else { return nil }
            return FileManager.default.contents(atPath: blob).map(Array.init)
        }
    }
}
