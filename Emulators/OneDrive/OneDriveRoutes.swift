import EmulatorKit
import Foundation

/// Graph's drive and driveItem routes (onedrive.md §3). Call with the lock held.
extension OneDriveEmulator {
    /// What a Graph path addresses: the item it starts from, a path below it (`root:/a/b:`), and
    /// the action after it (`children`, `content`, `createUploadSession`, `copy`).
    struct Address {
        var base: String
        var relative: String?
        var action: String?
    }

    func graphRoute(_ r: EmulatorRequest, _ parts: [String], _ a: OneDriveAccount, base: String) -> EmulatorResponse {
        var rest: [String]
        if parts.count >= 2, parts[0] == "me", parts[1] == "drive" {
            rest = Array(parts.dropFirst(2))
        } else if parts.count >= 2, parts[0] == "drives", parts[1] == a.driveID {
            rest = Array(parts.dropFirst(2))
        } else {
            return OneDriveJSON.error(404, "itemNotFound", "The drive does not exist")
        }
        if rest.isEmpty {
            count("drive")
            return .json(
                200,
                [
                    "id": a.driveID, "driveType": "personal", "owner": ["user": ["displayName": a.name]],
                    "quota": [
                        "total": a.quota, "used": a.used, "remaining": max(0, a.quota - a.used), "deleted": a.deleted,
                        "state": a.used >= a.quota ? "exceeded" : "normal",
                    ],
                ])
        }
        guard let address = Self.parse(rest.joined(separator: "/"), a) else {
            return OneDriveJSON.error(400, "invalidRequest", "Invalid request")
        }
        count(address.action ?? (r.method == "GET" || r.method == "HEAD" ? "item" : r.method.lowercased()))
        let target = address.relative.map { a.lookup($0, from: address.base) } ?? address.base
        switch (r.method, address.action) {
        case ("GET", nil), ("HEAD", nil):
            guard let id = target, id == a.rootID || a.tree[id] != nil else { return OneDriveJSON.notFound() }
            return .json(200, OneDriveJSON.item(id, a, base: base, downloadURL: downloadURL(a, id, base: base)))
        case ("GET", "children"):
            guard let id = target, id == a.rootID || a.tree[id]?.isFolder == true else {
                return OneDriveJSON.notFound()
            }
            return children(r, id, a, base: base)
        case ("POST", "children"):
            guard let id = target, id == a.rootID || a.tree[id]?.isFolder == true else {
                return OneDriveJSON.notFound()
            }
            return createFolder(r, in: id, a, base: base)
        case ("GET", "content"):
            guard let id = target, let n = a.tree[id], !n.isFolder else { return OneDriveJSON.notFound() }
            return EmulatorResponse(status: 302, headers: [("Location", downloadURL(a, n.id, base: base)!)])
        case ("PUT", "content"):
            return simpleUpload(r, address, a, base: base)
        case ("POST", "createUploadSession"):
            return createUploadSession(r, address, a, base: base)
        case ("DELETE", nil):
            guard let id = target, let n = a.tree[id] else { return OneDriveJSON.notFound() }
            for gone in a.tree.remove(n) where !gone.isFolder {
                a.deleted += gone.size
                if let blob = gone.blob { blobs.remove(blob) }
            }
            return EmulatorResponse(status: 204)
        case ("PATCH", nil):
            guard let id = target, let n = a.tree[id] else { return OneDriveJSON.notFound() }
            return update(r, n, a, base: base)
        case ("POST", "copy"):
            guard let id = target, let n = a.tree[id] else { return OneDriveJSON.notFound() }
            return copy(r, n, a, base: base)
        case (_, let action?) where !["children", "content", "createUploadSession", "copy"].contains(action):
            // A ':' left in a path: names cannot hold one.
            return OneDriveJSON.error(400, "invalidRequest", "Invalid path", inner: "invalidPath")
        default:
            return OneDriveJSON.error(405, "invalidRequest", "\(r.method) is not supported here")
        }
    }

    static func parse(_ text: String, _ a: OneDriveAccount) -> Address? {
        var s = Substring(text)
        var base: String
        if s.hasPrefix("root") {
            base = a.rootID
            s = s.dropFirst(4)
        } else if s.hasPrefix("items/") {
            s = s.dropFirst(6)
            let end = s.firstIndex { $0 == "/" || $0 == ":" } ?? s.endIndex
            base = String(s[..<end])
            s = s[end...]
            if base == "root" { base = a.rootID }
        } else {
            return nil
        }
        var address = Address(base: base)
        if s.hasPrefix(":") {
            s = s.dropFirst()
            if let colon = s.firstIndex(of: ":") {
                address.relative = String(s[..<colon])
                s = s[s.index(after: colon)...]
            } else {
                address.relative = String(s)
                s = ""
            }
        }
        if s.hasPrefix("/") { s = s.dropFirst() }
        if !s.isEmpty { address.action = String(s) }
        return address
    }

    func downloadURL(_ a: OneDriveAccount, _ id: String, base: String) -> String? {
        guard let n = a.tree[id], !n.isFolder else { return nil }
        let token = randomToken()
        downloads[token] = (a.name, n.id, Date().addingTimeInterval(600))
        return base + "/dl/" + token
    }

    // MARK: Children

    private func children(_ r: EmulatorRequest, _ id: String, _ a: OneDriveAccount, base: String) -> EmulatorResponse {
        let all = a.tree.childIDs(of: a.treeID(id))
        let top = max(1, min(1000, Int(r.queryValue("$top") ?? "") ?? defaultPageSize))
        let start = Int(r.queryValue("$skiptoken") ?? "") ?? 0
        let page = all.dropFirst(start).prefix(top)
        var body: [String: Any] = ["value": page.map { OneDriveJSON.item($0, a, base: base) }]
        if start + page.count < all.count {
            body["@odata.nextLink"] =
                base + "/v1.0/drives/\(a.driveID)/items/\(id)/children?$top=\(top)&$skiptoken=\(start + page.count)"
        }
        return .json(200, body)
    }

    // MARK: Names

    static let reservedDevices: Set<String> = Set(
        ["CON", "PRN", "AUX", "NUL"] + (0...9).flatMap { ["COM\($0)", "LPT\($0)"] })

    /// Why OneDrive refuses a name (onedrive.md §5.3), or nil.
    static func refusal(_ name: String) -> String? {
        if name.isEmpty || name.unicodeScalars.contains(where: { "\"*:<>?/\\|".unicodeScalars.contains($0) }) {
            return "The name contains a character OneDrive does not allow"
        }
        if name.hasPrefix(" ") || name.hasSuffix(" ") || name.hasSuffix(".") {
            return "The name cannot begin or end with a space or end with a period"
        }
        let stem =
            name.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? name
        let lower = name.lowercased()
        if reservedDevices.contains(stem.uppercased()) || lower == "desktop.ini" || lower == ".lock"
            || name.hasPrefix("~") || lower.contains("_vti_")
        {
            return "The name is reserved"
        }
        return nil
    }

    /// A new item's name checked, and the whole path's length (under 400 characters).
    func check(_ name: String, in parent: String, _ a: OneDriveAccount) -> EmulatorResponse? {
        if let why = Self.refusal(name) { return OneDriveJSON.error(400, "invalidRequest", why, inner: "invalidPath") }
        let path = (parent == a.rootID ? "" : a.path(of: parent)) + "/" + name
        if path.count >= 400 {
            return OneDriveJSON.error(400, "invalidRequest", "The path is too long", inner: "pathIsTooLong")
        }
        return nil
    }

    /// Where an existing name goes under a conflict behaviour: replaced, renamed, or a conflict.
    enum Clash {
        case free(String)
        case replace(OneDriveNode)
        case conflict
    }

    func clash(_ name: String, in parent: String, _ behaviour: String, _ a: OneDriveAccount) -> Clash {
        guard let existing = a.child(of: a.treeID(parent), named: name) else { return .free(name) }
        switch behaviour {
        case "replace": return .replace(existing)
        case "rename":
            return .free(
                a.tree.freeName(
                    name, isTaken: { a.child(of: a.treeID(parent), named: $0) != nil },
                    numbered: { stem, n, ext in ext.isEmpty ? "\(stem) \(n)" : "\(stem) \(n).\(ext)" }))
        default: return .conflict
        }
    }

    static func nameExists() -> EmulatorResponse {
        OneDriveJSON.error(409, "nameAlreadyExists", "The specified item name already exists.")
    }

    // MARK: Folders, updates, copies

    private func createFolder(_ r: EmulatorRequest, in parent: String, _ a: OneDriveAccount, base: String)
        -> EmulatorResponse
    {
        let body = OneDriveJSON.body(r)
        guard let name = body["name"] as? String, body["folder"] != nil else {
            return OneDriveJSON.error(400, "invalidRequest", "A folder needs a name and a folder facet")
        }
        if let refused = check(name, in: parent, a) { return refused }
        let behaviour = body["@microsoft.graph.conflictBehavior"] as? String ?? "fail"
        var free = name
        switch clash(name, in: parent, behaviour, a) {
        case .conflict: return Self.nameExists()
        case .replace(let existing):
            guard existing.isFolder else { return Self.nameExists() }
            return .json(201, OneDriveJSON.item(existing.id, a, base: base))
        case .free(let chosen): free = chosen
        }
        let node = OneDriveNode(id: newItemID(), parentId: a.treeID(parent), name: free, isFolder: true)
        a.tree.add(node)
        return .json(201, OneDriveJSON.item(node.id, a, base: base))
    }

    private func update(_ r: EmulatorRequest, _ n: OneDriveNode, _ a: OneDriveAccount, base: String)
        -> EmulatorResponse
    {
        let body = OneDriveJSON.body(r)
        var parent = n.parentId.isEmpty ? a.rootID : n.parentId
        if let reference = body["parentReference"] as? [String: Any], let id = reference["id"] as? String {
            // The `root` alias is not accepted here: a move to the root names its real id.
            guard id == a.rootID || a.tree[id]?.isFolder == true else { return OneDriveJSON.notFound() }
            if n.isFolder && a.tree.isInside(a.treeID(id), n.id) && id != a.rootID {
                return OneDriveJSON.error(400, "invalidRequest", "Cannot move a folder into itself")
            }
            parent = id
        }
        let name = body["name"] as? String ?? n.name
        if name != n.name || parent != (n.parentId.isEmpty ? a.rootID : n.parentId) {
            if let refused = check(name, in: parent, a) { return refused }
            if let existing = a.child(of: a.treeID(parent), named: name), existing.id != n.id {
                return Self.nameExists()
            }
            n.name = name
            a.tree.move(n, to: a.treeID(parent))
        }
        if let info = body["fileSystemInfo"] as? [String: Any] {
            if let modified = OneDriveJSON.parseTime(info["lastModifiedDateTime"]) { n.modified = modified }
            if let created = OneDriveJSON.parseTime(info["createdDateTime"]) { n.created = created }
        }
        n.version += 1
        return .json(200, OneDriveJSON.item(n.id, a, base: base))
    }

    private func copy(_ r: EmulatorRequest, _ n: OneDriveNode, _ a: OneDriveAccount, base: String) -> EmulatorResponse {
        let body = OneDriveJSON.body(r)
        let reference = body["parentReference"] as? [String: Any] ?? [:]
        if let drive = reference["driveId"] as? String, drive != a.driveID {
            return OneDriveJSON.error(400, "invalidRequest", "Cannot copy between drives")
        }
        let parent = reference["id"] as? String ?? (n.parentId.isEmpty ? a.rootID : n.parentId)
        guard parent == a.rootID || a.tree[parent]?.isFolder == true else { return OneDriveJSON.notFound() }
        let name = body["name"] as? String ?? n.name
        if let refused = check(name, in: parent, a) { return refused }
        let behaviour = r.queryValue("@microsoft.graph.conflictBehavior") ?? "fail"
        let job = randomToken()
        if strikes(\.failedCopies) {
            copies[job] = OneDriveCopyJob(account: a.name, due: Date(), resourceID: nil, failed: true)
        } else {
            var free = name
            switch clash(name, in: parent, behaviour, a) {
            case .conflict: return Self.nameExists()
            case .replace(let existing):
                for gone in a.tree.remove(existing) { if let blob = gone.blob { blobs.remove(blob) } }
            case .free(let chosen): free = chosen
            }
            let copied = copyTree(n, into: a.treeID(parent), name: free, a)
            copies[job] = OneDriveCopyJob(
                account: a.name, due: Date().addingTimeInterval(copySeconds), resourceID: copied.id, failed: false)
        }
        return EmulatorResponse(status: 202, headers: [("Location", base + "/monitor/" + job)])
    }

    private func copyTree(_ n: OneDriveNode, into parent: String, name: String, _ a: OneDriveAccount) -> OneDriveNode {
        let copy = OneDriveNode(id: newItemID(), parentId: parent, name: name, isFolder: n.isFolder)
        copy.size = n.size
        copy.quickXor = n.quickXor
        copy.created = n.created
        copy.modified = n.modified
        copy.blob = n.blob.flatMap { blobs.link($0) }
        a.tree.add(copy)
        for child in a.tree.children(of: n.id) { _ = copyTree(child, into: copy.id, name: child.name, a) }
        return copy
    }

    /// The copy monitor, polled without a token.
    func monitorRoute(_ job: String) -> EmulatorResponse {
        count("monitor")
        guard let copy = copies[job] else { return OneDriveJSON.notFound("No such operation") }
        if copy.failed {
            return .json(
                200, ["operation": "ItemCopy", "status": "failed", "error": ["code": "generalException"]])
        }
        guard Date() >= copy.due, let id = copy.resourceID else {
            return .json(200, ["operation": "ItemCopy", "percentageComplete": 50.0, "status": "inProgress"])
        }
        return .json(
            200, ["operation": "ItemCopy", "percentageComplete": 100.0, "status": "completed", "resourceId": id])
    }
}
