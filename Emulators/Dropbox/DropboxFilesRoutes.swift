import EmulatorKit
import Foundation

/// The RPC routes on files (dropbox.md §3.1–3.6, §3.9's batch commit). Call with the lock held.
extension DropboxEmulator {
    func filesRoute(_ route: String, _ arg: [String: Any], _ user: DropboxAccount, _ space: DropboxSpace)
        -> EmulatorResponse
    {
        switch route {
        case "files/list_folder": return listFolder(arg, space)
        case "files/list_folder/continue": return listContinue(arg)
        case "files/list_folder/get_latest_cursor":
            guard let (id, node) = folder(arg["path"] as? String ?? "", space) else {
                return DropboxJSON.lookup("path", "not_found")
            }
            _ = node
            let cursor = DropboxCursor(
                space: space, folderID: id, recursive: arg["recursive"] as? Bool ?? false, remaining: [],
                sequence: space.sequence, limit: 2000)
            return .json(200, ["cursor": store(cursor)])
        case "files/get_metadata":
            guard let path = arg["path"] as? String, !path.isEmpty else {
                return DropboxJSON.badArgument(route, "the root folder is unsupported")
            }
            guard let found = space.lookup(path), let node = found.node else {
                return DropboxJSON.lookup("path", "not_found")
            }
            return .json(200, DropboxJSON.metadata(node, space))
        case "files/create_folder_v2": return createFolder(arg, space)
        case "files/delete_v2":
            switch delete(arg, space) {
            case .success(let metadata): return .json(200, ["metadata": metadata])
            case .failure(let failure): return DropboxJSON.endpoint(failure.error, summary: failure.summary)
            }
        case "files/delete_batch":
            let entries = (arg["entries"] as? [[String: Any]] ?? []).map { entry -> [String: Any] in
                switch delete(entry, space) {
                case .success(let metadata): return [".tag": "success", "metadata": metadata]
                case .failure(let failure): return [".tag": "failure", "failure": failure.error]
                }
            }
            // A large batch answers as an asynchronous job, to be checked.
            guard entries.count > asyncDeleteOver else { return .json(200, [".tag": "complete", "entries": entries]) }
            let job = "dbjid:" + randomToken()
            deleteJobs[job] = entries
            return .json(200, [".tag": "async_job_id", "async_job_id": job])
        case "files/delete_batch/check":
            guard let job = arg["async_job_id"] as? String, let entries = deleteJobs[job] else {
                return DropboxJSON.endpoint([".tag": "invalid_async_job_id"], summary: "invalid_async_job_id")
            }
            return .json(200, [".tag": "complete", "entries": entries])
        case "files/move_v2", "files/copy_v2": return moveOrCopy(arg, space, copy: route == "files/copy_v2")
        case "files/upload_session/finish_batch_v2": return finishBatch(arg, user, space)
        default:
            return DropboxJSON.plain(404, "Unknown endpoint /2/\(route)")
        }
    }

    /// A folder a listing may name: the root (`""`) or a folder's path or id.
    func folder(_ path: String, _ space: DropboxSpace) -> (String, DropboxNode?)? {
        if path.isEmpty { return ("", nil) }
        guard let found = space.lookup(path), found.node?.isFolder == true else { return nil }
        return (found.id, found.node)
    }

    // MARK: Listings

    private func listFolder(_ arg: [String: Any], _ space: DropboxSpace) -> EmulatorResponse {
        let path = arg["path"] as? String ?? ""
        guard path.isEmpty || path.hasPrefix("/") || path.hasPrefix("id:") else {
            return DropboxJSON.endpoint(
                [".tag": "path", "path": [".tag": "malformed_path"]], summary: "path/malformed_path")
        }
        guard let found = space.lookup(path) else { return DropboxJSON.lookup("path", "not_found") }
        if let node = found.node, !node.isFolder { return DropboxJSON.lookup("path", "not_folder") }
        let recursive = arg["recursive"] as? Bool ?? false
        let limit = max(1, min(2000, (arg["limit"] as? NSNumber)?.intValue ?? 2000))
        var entries: [(path: String, node: DropboxNode?)] = []
        if recursive {
            for node in space.tree.subtree(found.id) where node.id != found.id {
                entries.append((space.lowerPath(node.id), node))
            }
        } else {
            for node in space.tree.children(of: found.id) { entries.append((space.lowerPath(node.id), node)) }
        }
        let cursor = DropboxCursor(
            space: space, folderID: found.id, recursive: recursive, remaining: entries, sequence: space.sequence,
            limit: limit)
        return page(cursor)
    }

    private func listContinue(_ arg: [String: Any]) -> EmulatorResponse {
        guard let id = arg["cursor"] as? String, var cursor = cursors[id] else {
            return DropboxJSON.endpoint([".tag": "reset"], summary: "reset")
        }
        let space = cursor.space
        if cursor.remaining.isEmpty {
            // A finished listing's cursor: what changed under the folder since.
            guard cursor.folderID.isEmpty || space.tree[cursor.folderID] != nil else {
                return DropboxJSON.lookup("path", "not_found")
            }
            let prefix = cursor.folderID.isEmpty ? "/" : space.lowerPath(cursor.folderID) + "/"
            for change in space.changes where change.sequence > cursor.sequence && change.lowerPath.hasPrefix(prefix) {
                let rest = change.lowerPath.dropFirst(prefix.count)
                guard cursor.recursive || !rest.contains("/") else { continue }
                cursor.remaining.append((change.lowerPath, change.node.flatMap { space.tree[$0.id] }))
            }
            cursor.sequence = space.sequence
        }
        return page(cursor)
    }

    /// The next `limit` entries and a cursor for the rest (or, when none is left, for changes).
    private func page(_ cursor: DropboxCursor) -> EmulatorResponse {
        var cursor = cursor
        let now = Array(cursor.remaining.prefix(cursor.limit))
        cursor.remaining.removeFirst(now.count)
        let entries = now.map { item -> [String: Any] in
            guard let node = item.node else { return DropboxJSON.deleted(item.path) }
            return DropboxJSON.metadata(node, cursor.space)
        }
        let hasMore = !cursor.remaining.isEmpty
        return .json(200, ["entries": entries, "cursor": store(cursor), "has_more": hasMore])
    }

    func store(_ cursor: DropboxCursor) -> String {
        let id = "AAH" + randomToken()
        cursors[id] = cursor
        return id
    }

    // MARK: Folders, deletes, moves

    private func createFolder(_ arg: [String: Any], _ space: DropboxSpace) -> EmulatorResponse {
        let path = arg["path"] as? String ?? ""
        switch makeFolders(path, space) {
        case .failure(let failure):
            return DropboxJSON.endpoint(failure.union("path"), summary: "path/" + failure.summary)
        case .success(let (node, created)):
            guard created else { return DropboxJSON.conflict("path", "folder") }
            return .json(200, ["metadata": DropboxJSON.metadata(node, space, tagged: false)])
        }
    }

    /// What went wrong with a write (a `WriteError`), to wrap in the route's union.
    // Unchecked: plain JSON values, made and read under the emulator's lock.
    struct WriteFailure: Error, @unchecked Sendable {
        var error: [String: Any]
        var summary: String

        static func reason(_ tag: String) -> WriteFailure { WriteFailure(error: [".tag": tag], summary: tag) }
        static func conflict(_ kind: String) -> WriteFailure {
            WriteFailure(error: [".tag": "conflict", "conflict": [".tag": kind]], summary: "conflict/\(kind)")
        }
        var reason: String { error[".tag"] as? String ?? "" }

        /// `{".tag": wrapper, wrapper: error}`.
        func union(_ wrapper: String) -> [String: Any] { [".tag": wrapper, wrapper: error] }
    }

    /// An upload session's `UploadSessionLookupError`.
    // Unchecked: plain JSON values, made and read under the emulator's lock.
    struct LookupFailure: Error, @unchecked Sendable {
        var error: [String: Any]
        var tag: String { error[".tag"] as? String ?? "" }
    }

    /// Names Dropbox refuses to store (dropbox.md §5.3).
    static let ignoredNames: Set<String> = [
        "desktop.ini", "thumbs.db", ".ds_store", "icon\r", ".dropbox", ".dropbox.attr",
    ]

    /// The path's parts, or why it is malformed: absolute, no empty, `.` or `..` parts, no NUL,
    /// backslash or DEL, no trailing space, at most 255 characters each.
    func parts(_ path: String) -> Result<[String], WriteFailure> {
        guard path.hasPrefix("/") else { return .failure(.reason("malformed_path")) }
        let parts = path.dropFirst().split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        for part in parts {
            if part.isEmpty || part == "." || part == ".." || part.count > 255 || part.hasSuffix(" ")
                || part.unicodeScalars.contains(where: { $0 == "\0" || $0 == "\\" || $0 == "\u{7F}" })
            {
                return .failure(.reason("malformed_path"))
            }
        }
        return .success(parts)
    }

    /// Makes the folder at `path` and any missing parents; the folder, and whether it was made.
    func makeFolders(_ path: String, _ space: DropboxSpace) -> Result<(DropboxNode, Bool), WriteFailure> {
        let names: [String]
        switch parts(path) {
        case .failure(let failure): return .failure(failure)
        case .success(let found): names = found
        }
        var parent = ""
        var node: DropboxNode?
        var created = false
        for name in names {
            if let existing = space.child(of: parent, named: name) {
                guard existing.isFolder else { return .failure(.conflict("file")) }
                node = existing
            } else {
                let made = DropboxNode(
                    id: "id:" + randomToken().prefix(22), parentId: parent, name: name, isFolder: true)
                space.tree.add(made)
                space.changed(made.id)
                node = made
                created = true
            }
            parent = node!.id
        }
        guard let node else { return .failure(.reason("malformed_path")) }
        return .success((node, created))
    }

    /// Deletes what `arg.path` names, with its contents; with `parent_rev`, only the file of that
    /// revision (a folder, or a file written since, is refused).
    private func delete(_ arg: [String: Any], _ space: DropboxSpace) -> Result<[String: Any], WriteFailure> {
        let path = arg["path"] as? String ?? ""
        guard !path.isEmpty, let found = space.lookup(path), let node = found.node else {
            return .failure(
                WriteFailure(
                    error: [".tag": "path_lookup", "path_lookup": [".tag": "not_found"]],
                    summary: "path_lookup/not_found"))
        }
        if let rev = arg["parent_rev"] as? String {
            if node.isFolder {
                return .failure(
                    WriteFailure(
                        error: [".tag": "path_lookup", "path_lookup": [".tag": "not_file"]],
                        summary: "path_lookup/not_file"))
            }
            if node.rev != rev {
                return .failure(
                    WriteFailure(
                        error: [
                            ".tag": "path_write", "path_write": [".tag": "conflict", "conflict": [".tag": "file"]],
                        ],
                        summary: "path_write/conflict/file"))
            }
        }
        let metadata = DropboxJSON.metadata(node, space)
        let lower = space.lowerPath(node.id)
        for gone in space.tree.remove(node) {
            if let blob = gone.blob { blobs.remove(blob) }
        }
        space.changed(node.id, deleted: lower)
        return .success(metadata)
    }

    private func moveOrCopy(_ arg: [String: Any], _ space: DropboxSpace, copy: Bool) -> EmulatorResponse {
        guard let from = arg["from_path"] as? String, let to = arg["to_path"] as? String else {
            return DropboxJSON.badArgument(
                copy ? "files/copy_v2" : "files/move_v2", "from_path and to_path are required")
        }
        guard let found = space.lookup(from), let node = found.node else {
            return DropboxJSON.lookup("from_lookup", "not_found")
        }
        if !copy, recentlyWritten.contains(node.id), strikes(\.lookupAfterUpload) {
            return DropboxJSON.lookup("from_lookup", "not_found")
        }
        let names: [String]
        switch parts(to) {
        case .failure(let failure): return DropboxJSON.endpoint(failure.union("to"), summary: "to/" + failure.summary)
        case .success(let found): names = found
        }
        let parentPath = "/" + names.dropLast().joined(separator: "/")
        var parentID = ""
        if names.count > 1 {
            switch makeFolders(parentPath, space) {
            case .failure(let failure):
                return DropboxJSON.endpoint(failure.union("to"), summary: "to/" + failure.summary)
            case .success(let (parent, _)): parentID = parent.id
            }
        }
        if node.isFolder && space.tree.isInside(parentID, node.id) {
            return DropboxJSON.endpoint(
                [".tag": copy ? "cant_copy_shared_folder" : "cant_move_folder_into_itself"],
                summary: copy ? "cant_copy_shared_folder" : "cant_move_folder_into_itself")
        }
        let name = names.last!
        if let existing = space.child(of: parentID, named: name) {
            // Taken, case-blind: a case-only rename is refused too (the spec's note).
            var autorename = arg["autorename"] as? Bool ?? false
            if existing.id == node.id { autorename = false }
            guard autorename else { return DropboxJSON.conflict("to", existing.isFolder ? "folder" : "file") }
        }
        let free = space.tree.freeName(
            name, isTaken: { space.child(of: parentID, named: $0) != nil },
            numbered: { stem, n, ext in ext.isEmpty ? "\(stem) (\(n))" : "\(stem) (\(n)).\(ext)" })
        let result: DropboxNode
        if copy {
            result = copyTree(node, into: parentID, name: free, space)
        } else {
            let oldLower = space.lowerPath(node.id)
            let moved = space.tree.subtree(node.id)
            node.name = free
            space.tree.move(node, to: parentID)
            space.changed(node.id, deleted: oldLower)
            for n in moved { space.changed(n.id) }
            result = node
        }
        return .json(200, ["metadata": DropboxJSON.metadata(result, space)])
    }

    private func copyTree(_ n: DropboxNode, into parent: String, name: String, _ space: DropboxSpace) -> DropboxNode {
        let copy = DropboxNode(id: "id:" + randomToken().prefix(22), parentId: parent, name: name, isFolder: n.isFolder)
        copy.size = n.size
        copy.contentHash = n.contentHash
        copy.rev = n.isFolder ? "" : newRev()
        copy.clientModified = n.clientModified
        copy.serverModified = Date()
        copy.blob = n.blob.flatMap { blobs.link($0) }
        space.tree.add(copy)
        space.changed(copy.id)
        for child in space.tree.children(of: n.id) { _ = copyTree(child, into: copy.id, name: child.name, space) }
        return copy
    }

    func newRev() -> String { String(format: "%09x", newId()) + String(randomToken().prefix(4)) }
}
