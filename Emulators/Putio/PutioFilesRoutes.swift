import EmulatorKit
import Foundation

/// /v2/files/…: listing with cursors, lookups, folders, delete and trash, rename, move, copy, touch.
/// Runs under the emulator's lock.
extension PutioEmulator {
    func node(_ idText: String?, _ a: PutioAccount) -> PutioNode? {
        guard let idText, let id = Int64(idText) else { return nil }
        return id == 0 ? PutioJSON.root() : a.nodes[id]
    }

    func notFound(_ what: String = "File not found") -> EmulatorResponse {
        PutioJSON.error(404, "NotFound", what)
    }

    /// Empty, '/', longer than 255 bytes: refused as the real API does. '\' becomes '-'.
    func checkName(_ raw: String?) -> (String?, EmulatorResponse?) {
        guard let raw, !raw.isEmpty else { return (nil, PutioJSON.error(400, "EMPTY_NAME", "Name is empty")) }
        if raw.contains("/") { return (nil, PutioJSON.error(400, "SLASH_IN_NAME", "Name contains a slash")) }
        if raw.contains("\u{0}") { return (nil, PutioJSON.error(400, "INVALID_NAME", "Name contains NUL")) }
        if raw.utf8.count > 255 { return (nil, PutioJSON.error(400, "NAME_TOO_LONG", "Name is too long")) }
        return (raw.replacingOccurrences(of: "\\", with: "-"), nil)
    }

    // MARK: Listing

    func list(_ r: EmulatorRequest, _ a: PutioAccount) -> EmulatorResponse {
        guard let parent = node(r.queryValue("parent_id") ?? "0", a) else { return notFound() }
        guard parent.isFolder else { return PutioJSON.error(400, "NotAFolder", "parent_id is not a folder") }
        let perPage = max(1, Int(r.queryValue("per_page") ?? "") ?? 1000)
        var page = listPage(parent.id, from: 0, perPage: perPage, mp4: r.queryValue("mp4_status") == "1", a)
        page["parent"] = PutioJSON.file(parent, in: a)
        if r.queryValue("total") == "1" { page["total"] = a.children[parent.id]?.count ?? 0 }
        return PutioJSON.ok(page)
    }

    func listContinue(_ r: EmulatorRequest, _ a: PutioAccount) -> EmulatorResponse {
        guard let cursor = r.param("cursor"), let decoded = Data(base64Encoded: cursor),
            case let fields = String(decoding: decoded, as: UTF8.self).split(separator: ":"), fields.count == 4,
            fields[0] == "list", String(fields[1]) == a.name, let parent = Int64(fields[2]), let from = Int(fields[3])
        else { return PutioJSON.error(400, "INVALID_CURSOR", "Invalid cursor") }
        let perPage = max(1, Int(r.queryValue("per_page") ?? "") ?? 1000)
        guard parent == 0 || a.nodes[parent] != nil else { return notFound() }
        return PutioJSON.ok(listPage(parent, from: from, perPage: perPage, mp4: r.queryValue("mp4_status") == "1", a))
    }

    private func listPage(_ parent: Int64, from: Int, perPage: Int, mp4: Bool, _ a: PutioAccount) -> [String: Any] {
        let ids = a.children[parent] ?? []
        let slice = ids.dropFirst(from).prefix(perPage)
        let files = slice.compactMap { a.nodes[$0] }.map { PutioJSON.file($0, in: a, mp4Status: mp4) }
        let next = from + slice.count
        // A full last page still hands out a cursor, whose page is then empty: clients must cope.
        let cursor: Any =
            slice.count == perPage ? Data("list:\(a.name):\(parent):\(next)".utf8).base64EncodedString() : NSNull()
        return ["files": files, "cursor": cursor]
    }

    func getFile(_ id: String, _ r: EmulatorRequest, _ a: PutioAccount) -> EmulatorResponse {
        guard let n = node(id, a) else { return notFound() }
        return PutioJSON.ok(["file": PutioJSON.file(n, in: a, mp4Status: r.queryValue("mp4_status") == "1")])
    }

    func child(_ id: String, _ r: EmulatorRequest, _ a: PutioAccount) -> EmulatorResponse {
        guard let parent = node(id, a), parent.isFolder else { return notFound("Parent not found") }
        guard let name = r.queryValue("name"), let c = a.child(of: parent.id, named: name) else {
            return notFound()
        }
        return PutioJSON.ok(["file": PutioJSON.file(c, in: a, mp4Status: r.queryValue("mp4_status") == "1")])
    }

    // MARK: Changes

    func createFolder(_ r: EmulatorRequest, _ a: PutioAccount) -> EmulatorResponse {
        guard let parent = node(r.param("parent_id") ?? "0", a), parent.isFolder else {
            return notFound("Parent not found")
        }
        let (name, bad) = checkName(r.param("name"))
        guard let name else { return bad! }
        if a.child(of: parent.id, named: name) != nil {
            return PutioJSON.error(400, "NAME_ALREADY_EXIST", "Name already exist")
        }
        let folder = PutioNode(id: newId(), parentId: parent.id, name: name, isFolder: true, now: clock())
        a.add(folder)
        return committed(PutioJSON.ok(["file": PutioJSON.file(folder, in: a)]))
    }

    func ids(_ r: EmulatorRequest, _ plural: String, _ singular: String) -> [Int64] {
        let text = r.param(plural) ?? r.param(singular) ?? ""
        return text.split(separator: ",").compactMap { Int64($0.trimmingCharacters(in: .whitespaces)) }
    }

    func delete(_ r: EmulatorRequest, _ a: PutioAccount) -> EmulatorResponse {
        if faults.trashLockTimeouts > 0 {
            faults.trashLockTimeouts -= 1
            return PutioJSON.error(400, "TRASH_LOCK_TIMEOUT", "There is an ongoing blocking trash operation")
        }
        let targets = ids(r, "file_ids", "file_id")
        guard !targets.isEmpty else { return PutioJSON.error(400, "INVALID_REQUEST", "file_ids is required") }
        var skipped = 0
        for id in targets {
            guard id != 0, let n = a.nodes[id] else {
                if r.queryValue("skip_nonexistents") == "1" {
                    skipped += 1
                    continue
                }
                return notFound()
            }
            a.removeTree(n)
            if a.trashEnabled && r.queryValue("skip_trash") != "1" {
                n.size = n.isFolder ? 0 : n.size
                a.trash.append(n)
            }
        }
        return PutioJSON.ok(["cursor": NSNull(), "skipped": skipped])
    }

    func rename(_ r: EmulatorRequest, _ a: PutioAccount) -> EmulatorResponse {
        guard let idText = r.param("file_id"), let id = Int64(idText), id != 0, let n = a.nodes[id] else {
            return notFound()
        }
        let (name, bad) = checkName(r.param("name"))
        guard let name else { return bad! }
        if let other = a.child(of: n.parentId, named: name), other.id != n.id {
            return PutioJSON.error(400, "NAME_ALREADY_EXIST", "Name already exist")
        }
        n.name = name
        return PutioJSON.ok()
    }

    /// Per-item failures come back inside a 200, as the real API reports them.
    func move(_ r: EmulatorRequest, _ a: PutioAccount) -> EmulatorResponse {
        guard let parent = node(r.param("parent_id") ?? "", a), parent.isFolder else {
            return notFound("Parent not found")
        }
        var newName: String?
        if let requested = r.param("name") {
            let (name, bad) = checkName(requested)
            guard let name else { return bad! }
            newName = name
        }
        var errors: [[String: Any]] = []
        for id in ids(r, "file_ids", "file_id") {
            guard id != 0, let n = a.nodes[id] else {
                errors.append(["id": id, "name": "", "error_type": "NotFound", "status_code": 404])
                continue
            }
            if n.isFolder && a.isAncestor(n.id, of: parent.id) && parent.id != 0 {
                errors.append(["id": id, "name": n.name, "error_type": "CANT_MOVE_INTO_ITSELF", "status_code": 400])
                continue
            }
            let name = newName ?? n.name
            if let other = a.child(of: parent.id, named: name), other.id != n.id {
                errors.append(["id": id, "name": n.name, "error_type": "NAME_ALREADY_EXIST", "status_code": 400])
                continue
            }
            a.detach(n)
            n.parentId = parent.id
            n.name = name
            a.children[parent.id, default: []].append(n.id)
        }
        return PutioJSON.ok(["errors": errors])
    }

    func copy(_ r: EmulatorRequest, _ a: PutioAccount) -> EmulatorResponse {
        guard let idText = r.param("file_id"), let id = Int64(idText), let source = a.nodes[id] else {
            return notFound()
        }
        guard let parent = node(r.param("parent_id") ?? "0", a), parent.isFolder else {
            return notFound("Parent not found")
        }
        let (name, bad) = checkName(r.param("name") ?? source.name)
        guard let name else { return bad! }
        if faults.spuriousCopyConflicts > 0 || a.child(of: parent.id, named: name) != nil {
            faults.spuriousCopyConflicts = max(0, faults.spuriousCopyConflicts - 1)
            return PutioJSON.error(400, "NAME_ALREADY_EXIST", "Name already exist")
        }
        let copy = copyTree(source, into: parent.id, name: name, a)
        return PutioJSON.ok(["file": PutioJSON.file(copy, in: a)])
    }

    private func copyTree(_ source: PutioNode, into parent: Int64, name: String, _ a: PutioAccount) -> PutioNode {
        // Blobs are immutable, so a copy shares its source's blob through a hard link.
        var blob: String?
        if let from = source.blob {
            let to = newBlobPath()
            blob = (Glibc.link(from, to) == 0) ? to : from
        }
        let copy = PutioNode(
            id: newId(), parentId: parent, name: name, isFolder: source.isFolder, size: source.size,
            crc32: source.crc32, blob: blob, now: clock())
        a.add(copy)
        for childId in a.children[source.id] ?? [] {
            if let c = a.nodes[childId] { _ = copyTree(c, into: copy.id, name: c.name, a) }
        }
        return copy
    }

    /// Query (`file_id`, rclone) or form (`file_ids`, the TS SDK); whole seconds kept.
    func touch(_ r: EmulatorRequest, _ a: PutioAccount) -> EmulatorResponse {
        guard let text = r.param("updated_at"), let seconds = PutioJSON.parseTime(text) else {
            return PutioJSON.error(400, "INVALID_REQUEST", "updated_at is missing or not a time")
        }
        let targets = ids(r, "file_ids", "file_id")
        guard !targets.isEmpty else { return PutioJSON.error(400, "INVALID_REQUEST", "file_id is required") }
        for id in targets {
            guard let n = a.nodes[id] else { return notFound() }
            n.updatedAt = seconds
        }
        return PutioJSON.ok()
    }
}
