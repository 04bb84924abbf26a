import EmulatorKit
import Foundation

/// The drive host's file routes (pikpak.md §3.1–3.5, 3.9): listings with filters and page tokens,
/// one file with its links, folders, rename, and batch operations whose effect shows when their
/// task completes.
extension PikPakEmulator {
    static let maxPage = 500

    func list(_ r: EmulatorRequest, _ a: PikPakAccount) -> EmulatorResponse {
        let parent = r.queryValue("parent_id") ?? ""
        guard parent.isEmpty || a.nodes[parent]?.isFolder == true else { return PikPakJSON.notFound() }
        var filters: [String: [String: Any]] = [:]
        if let text = r.queryValue("filters"), !text.isEmpty {
            guard let parsed = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: [String: Any]]
            else { return PikPakJSON.error(400, "invalid_argument", code: 3, "filters is not valid JSON") }
            filters = parsed
        }
        let limit = min(Int(r.queryValue("limit") ?? "") ?? 100, Self.maxPage)
        let offset = r.queryValue("page_token").flatMap { $0.hasPrefix("p") ? Int($0.dropFirst()) : nil } ?? 0
        let matching = a.tree.children(of: parent).filter { Self.passes($0, filters) }
        let page = matching.dropFirst(offset).prefix(max(1, limit))
        let next = offset + page.count < matching.count ? "p\(offset + page.count)" : ""
        return PikPakJSON.ok([
            "kind": "drive#fileList", "files": page.map { PikPakJSON.file($0) }, "next_page_token": next,
            "version": "", "version_outdated": false, "sync_time": PikPakJSON.time(Date()),
        ])
    }

    /// `{"phase":{"eq"|"in"}, "trashed":{"eq"}, "kind":{"eq"}}`; a field left out matches everything.
    static func passes(_ n: PikPakNode, _ filters: [String: [String: Any]]) -> Bool {
        for (field, condition) in filters {
            let value: String
            switch field {
            case "phase": value = n.phase
            case "trashed": value = n.trashed ? "true" : "false"
            case "kind": value = n.isFolder ? "drive#folder" : "drive#file"
            default: continue
            }
            if let eq = condition["eq"] {
                let wanted = (eq as? Bool).map { $0 ? "true" : "false" } ?? "\(eq)"
                if value != wanted { return false }
            }
            if let list = condition["in"] as? String, !list.split(separator: ",").contains(Substring(value)) {
                return false
            }
        }
        return true
    }

    func get(_ id: String, _ r: EmulatorRequest, _ a: PikPakAccount) -> EmulatorResponse {
        guard let n = a.nodes[id] else { return PikPakJSON.notFound() }
        return PikPakJSON.ok(PikPakJSON.file(n, links: links(n, a, port: r.port)))
    }

    /// What GET-by-id adds: a signed link (none for a folder, an empty file, or a file uploaded
    /// less than `linkDelay` ago) in `links`, `web_content_link` and the original media.
    func links(_ n: PikPakNode, _ a: PikPakAccount, port: Int) -> [String: Any] {
        guard !n.isFolder, n.phase == PikPakNode.complete, n.size > 0,
            Date() >= n.modified.addingTimeInterval(linkDelay)
        else { return [:] }
        let signature = randomToken("")
        let expires = Date().addingTimeInterval(downloadLinkLifetime)
        grants[signature] = (a.name, n.id, expires)
        let url =
            "http://127.0.0.1:\(port)/download/?fid=\(n.id)&expire=\(Int(expires.timeIntervalSince1970))&sig=\(signature)"
        let link: [String: Any] = ["url": url, "token": "", "expire": PikPakJSON.time(expires)]
        return [
            "web_content_link": url, "links": ["application/octet-stream": link],
            "medias": [
                [
                    "media_id": "m" + n.id, "media_name": "Original", "is_origin": true, "is_default": true,
                    "link": link,
                ] as [String: Any]
            ],
        ]
    }

    /// POST /files: a folder, an upload ticket, or an offline download, by `kind` and `upload_type`.
    func create(_ r: EmulatorRequest, _ a: PikPakAccount) -> EmulatorResponse {
        let body = PikPakJSON.body(r)
        let parent = body["parent_id"] as? String ?? ""
        guard parent.isEmpty || a.nodes[parent].map({ $0.isFolder && !$0.trashed }) == true else {
            return PikPakJSON.notFound("parent folder")
        }
        let name = body["name"] as? String ?? ""
        if body["kind"] as? String == "drive#folder" {
            guard let problem = Self.nameProblem(name) else { return makeFolder(name, in: parent, a) }
            return problem
        }
        if body["upload_type"] as? String == "UPLOAD_TYPE_URL" { return offline(body, parent: parent, a, port: r.port) }
        guard body["kind"] as? String == "drive#file" else {
            return PikPakJSON.error(400, "invalid_argument", code: 3, "kind must be drive#folder or drive#file")
        }
        if let problem = Self.nameProblem(name) { return problem }
        return uploadTicket(body, name: name, parent: parent, a, port: r.port)
    }

    /// PikPak refuses an empty name and names with '/'; rclone escapes more, but what the server
    /// does with those is not known.
    static func nameProblem(_ name: String) -> EmulatorResponse? {
        if name.isEmpty { return PikPakJSON.error(400, "file_name_empty", code: 3, "The file name is empty") }
        if name.contains("/") || name == "." || name == ".." || name.utf8.count > 255 || name.contains("\0") {
            return PikPakJSON.error(400, "invalid_argument", code: 3, "The file name is invalid")
        }
        return nil
    }

    private func makeFolder(_ name: String, in parent: String, _ a: PikPakAccount) -> EmulatorResponse {
        if let existing = a.child(of: parent, named: name) {
            guard existing.isFolder else {
                return PikPakJSON.error(400, "file_duplicated_name", code: 3, "File name cannot be repeated")
            }
            return PikPakJSON.ok(["file": PikPakJSON.file(existing), "upload_type": "", "task": NSNull()])
        }
        let folder = PikPakNode(id: newId(), parentId: parent, name: name, isFolder: true, now: Date())
        a.add(folder)
        return PikPakJSON.ok(["file": PikPakJSON.file(folder), "upload_type": "", "task": NSNull()])
    }

    func rename(_ id: String, _ r: EmulatorRequest, _ a: PikPakAccount) -> EmulatorResponse {
        guard let n = a.nodes[id], !n.trashed else { return PikPakJSON.notFound() }
        guard let name = PikPakJSON.body(r)["name"] as? String else {
            return PikPakJSON.error(400, "invalid_argument", code: 3, "name is required")
        }
        if let problem = Self.nameProblem(name) { return problem }
        if strikes(\.renameUncompleted) {
            return PikPakJSON.error(400, "file_rename_uncompleted", code: 9, "The file is being moved; try again later")
        }
        if name.utf8.elementsEqual(n.name.utf8) {
            return PikPakJSON.error(400, "file_rename_to_same_name", code: 3, "Same name")
        }
        if a.child(of: n.parentId, named: name, except: n.id) != nil {
            return PikPakJSON.error(400, "file_duplicated_name", code: 3, "File name cannot be repeated")
        }
        n.name = name
        n.modified = Date()
        n.revision += 1
        return PikPakJSON.ok(PikPakJSON.file(n))
    }

    /// `files:batchTrash|batchDelete|batchUntrash|batchMove|batchCopy`: answers a task at once;
    /// the effect shows when the task completes.
    func batch(_ op: String, _ r: EmulatorRequest, _ a: PikPakAccount) -> EmulatorResponse {
        let body = PikPakJSON.body(r)
        guard let ids = body["ids"] as? [String], !ids.isEmpty else {
            return PikPakJSON.error(400, "invalid_argument", code: 3, "ids is required")
        }
        let nodes = ids.compactMap { a.nodes[$0] }
        guard nodes.count == ids.count else { return PikPakJSON.notFound() }
        let target = (body["to"] as? [String: Any])?["parent_id"] as? String ?? ""
        let apply: () -> Void
        switch op {
        case "batchTrash":
            apply = {
                for n in nodes {
                    for inside in a.subtree(n.id) { inside.trashed = true }
                }
            }
        case "batchUntrash":
            apply = {
                for n in nodes {
                    // Restored onto a name a live item took meanwhile: numbered, as PikPak does.
                    let free = a.freeName(n.name, in: n.parentId)
                    for inside in a.subtree(n.id) { inside.trashed = false }
                    n.name = free
                }
            }
        case "batchDelete":
            apply = {
                for n in nodes {
                    for gone in a.tree.remove(n) {
                        if let blob = gone.blob { self.blobs.remove(blob) }
                    }
                }
            }
        case "batchMove", "batchCopy":
            guard target.isEmpty || a.nodes[target]?.isFolder == true else {
                return PikPakJSON.notFound("target folder")
            }
            if nodes.contains(where: { a.isInside(target, $0.id) || (op == "batchCopy" && $0.parentId == target) }) {
                return PikPakJSON.error(
                    400, "file_move_or_copy_to_cur", code: 9,
                    "Cannot move or copy into the same folder or its subfolder")
            }
            apply =
                op == "batchMove"
                ? {
                    for n in nodes {
                        n.name = a.freeName(n.name, in: target)
                        a.move(n, to: target)
                        n.modified = Date()
                    }
                }
                : { for n in nodes { self.copyTree(n, into: target, a) } }
        default:
            return PikPakJSON.error(404, "not_found", code: 5, "No batch operation \(op)")
        }
        let task = schedule(type: op, name: nodes.first?.name ?? "", apply)
        return PikPakJSON.ok(["task_id": task.id])
    }

    private func copyTree(_ n: PikPakNode, into parent: String, _ a: PikPakAccount) {
        let copy = PikPakNode(
            id: newId(), parentId: parent, name: a.freeName(n.name, in: parent), isFolder: n.isFolder, size: n.size,
            gcid: n.gcid, md5: n.md5, blob: n.blob.flatMap { blobs.link($0) }, phase: n.phase, now: Date())
        a.add(copy)
        for child in a.tree.children(of: n.id) where !child.trashed {
            copyTree(child, into: copy.id, a)
        }
    }

    func emptyTrash(_ a: PikPakAccount) -> EmulatorResponse {
        let task = schedule(type: "emptyTrash", name: "trash") {
            for n in a.nodes.values where n.trashed && a.tree[n.id] != nil {
                for gone in a.tree.remove(n) {
                    if let blob = gone.blob { self.blobs.remove(blob) }
                }
            }
        }
        return PikPakJSON.ok(["task_id": task.id])
    }

    /// A task that completes `taskSeconds` from now, applying `effect` then. Call with the lock held.
    func schedule(type: String, name: String, _ effect: @escaping () -> Void) -> PikPakTask {
        let now = Date()
        let task = PikPakTask(
            id: newId(), type: type, name: name, created: now, done: now.addingTimeInterval(taskSeconds))
        tasks[task.id] = task
        pending.append((task.done, effect))
        pending.sort { $0.due < $1.due }
        return task
    }

    func task(_ id: String) -> EmulatorResponse {
        guard let t = tasks[id] else { return PikPakJSON.notFound("task") }
        return PikPakJSON.ok(taskObject(t))
    }

    /// `GET /tasks?type=offline&filters={"phase":{"in":…}}`: the account's offline downloads.
    func listTasks(_ r: EmulatorRequest, _ a: PikPakAccount) -> EmulatorResponse {
        var phases: Set<String>?
        if let text = r.queryValue("filters"),
            let filters = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: [String: Any]],
            let list = filters["phase"]?["in"] as? String
        {
            phases = Set(list.split(separator: ",").map(String.init))
        }
        let mine = tasks.values.filter { $0.account == a.name && $0.type == (r.queryValue("type") ?? "offline") }
            .sorted { $0.created < $1.created }.map(taskObject)
            .filter { phases?.contains($0["phase"] as? String ?? "") ?? true }
        return PikPakJSON.ok(["tasks": mine, "next_page_token": "", "expires_in": 60])
    }

    func taskObject(_ t: PikPakTask) -> [String: Any] {
        let complete = Date() >= t.done
        let phase = t.error != nil ? "PHASE_TYPE_ERROR" : complete ? "PHASE_TYPE_COMPLETE" : "PHASE_TYPE_RUNNING"
        return [
            "kind": "drive#task", "id": t.id, "type": t.type, "name": t.name, "phase": phase,
            "progress": complete ? 100 : 0, "message": t.error ?? (complete ? "Saved" : "Saving"),
            "file_id": t.fileId ?? "", "file_name": t.fileName ?? "", "file_size": String(t.fileSize),
            "created_time": PikPakJSON.time(t.created), "updated_time": PikPakJSON.time(min(Date(), t.done)),
            "params": ["url": t.source ?? ""] as [String: Any],
        ]
    }

    /// Forgets tasks; with `delete_files=true` the files they made go too.
    func deleteTasks(_ r: EmulatorRequest, _ a: PikPakAccount) -> EmulatorResponse {
        for id in (r.queryValue("task_ids") ?? "").split(separator: ",") {
            guard let t = tasks.removeValue(forKey: String(id)) else { continue }
            if r.queryValue("delete_files") == "true", let file = t.fileId.flatMap({ a.nodes[$0] }) {
                for gone in a.tree.remove(file) {
                    if let blob = gone.blob { blobs.remove(blob) }
                }
            }
        }
        return PikPakJSON.ok([:])
    }
}
