import ConnectorKit
import Foundation

/// Folders, deletions, renames, moves and copies (pikpak.md §3.3–3.5). Batch calls answer with a
/// task; each is waited for, so the change shows before the call returns.
extension PikPakConnector {
    func mkdir(_ path: String) throws {
        try PikPakPath.validate(path)
        if path.isEmpty { return }
        if let known = try? resolve(path) {
            guard known.isFolder else { throw ConnectorFailure(.exists, "pikpak: '\(path)' is a file") }
            return
        }
        let (parent, name) = PikPakPath.split(path)
        try mkdir(parent)
        let folder = try resolve(parent)
        let answer = try drive(
            "POST", "/files", json: ["kind": "drive#folder", "name": name, "parent_id": folder.id, "folder_type": ""])
        guard let file = answer["file"] as? [String: Any], file["name"] as? String == name else {
            throw ConnectorFailure(.internal, "pikpak: creating '\(path)' answered no folder of that name")
        }
        cache.put(path, known(file))
    }

    func remove(_ path: String) throws {
        let target = try resolve(path)
        guard !target.isFolder else { throw ConnectorFailure(.isADirectory, "pikpak: '\(path)' is a folder") }
        try discard([target.id], what: "delete '\(path)'")
        cache.forget(path)
    }

    func rmdir(_ path: String) throws {
        guard !path.isEmpty else { throw ConnectorFailure(.invalidArgument, "pikpak: the root cannot be removed") }
        let target = try resolve(path)
        guard target.isFolder else { throw ConnectorFailure(.notADirectory, "pikpak: '\(path)' is a file") }
        var empty = true
        try listAll(path, target.id) { _, _ in empty = false }
        guard empty else { throw ConnectorFailure(.notEmpty, "pikpak: '\(path)' is not empty") }
        try discard([target.id], what: "remove '\(path)'")
        cache.forget(path)
    }

    /// To the trash (the default) or gone for good (`use_trash = false`).
    func discard(_ ids: [String], what: String) throws {
        let op = settings.useTrash ? "batchTrash" : "batchDelete"
        let answer = try drive("POST", "/files:\(op)", json: ["ids": ids])
        if let task = answer["task_id"] as? String, !task.isEmpty { try wait(task: task, what: what) }
    }

    func move(_ from: String, to: String) throws {
        let source = try resolve(from)
        guard !from.isEmpty, !to.isEmpty else {
            throw ConnectorFailure(.invalidArgument, "pikpak: cannot move the root")
        }
        try PikPakPath.validate(to)
        if (try? resolve(to)) != nil { throw ConnectorFailure(.exists, "pikpak: '\(to)' already exists") }
        let (fromParent, _) = PikPakPath.split(from)
        let (toParent, toName) = PikPakPath.split(to)
        if fromParent != toParent {
            try mkdir(toParent)
            let folder = try resolve(toParent)
            guard folder.isFolder else { throw ConnectorFailure(.notADirectory, "pikpak: '\(toParent)' is a file") }
            let answer = try drive(
                "POST", "/files:batchMove", json: ["ids": [source.id], "to": ["parent_id": folder.id]])
            if let task = answer["task_id"] as? String, !task.isEmpty { try wait(task: task, what: "move '\(from)'") }
            cache.forget(from)
            cache.touched(toParent)
        }
        // Moved onto a taken name, PikPak numbers it; a rename then gives it the name asked for.
        let moved = try drive("GET", "/files/\(source.id)")
        if !PikPakPath.same(moved["name"] as? String, toName) {
            try rename(source.id, to: toName, what: "move '\(from)'")
        }
        cache.forget(from)
        cache.forget(to)
        cache.touched(toParent)
    }

    func copy(_ from: String, to: String) throws {
        let source = try resolve(from)
        try PikPakPath.validate(to)
        if (try? resolve(to)) != nil { throw ConnectorFailure(.exists, "pikpak: '\(to)' already exists") }
        let (fromParent, _) = PikPakPath.split(from)
        let (toParent, toName) = PikPakPath.split(to)
        guard fromParent != toParent else {
            // PikPak copies only into another folder; the host then copies through itself.
            throw ConnectorFailure(.unsupported, "pikpak: a copy into the same folder is not possible server-side")
        }
        try mkdir(toParent)
        let folder = try resolve(toParent)
        var before = Set<String>()
        try listAll(toParent, folder.id) { _, known in before.insert(known.id) }
        let answer = try drive("POST", "/files:batchCopy", json: ["ids": [source.id], "to": ["parent_id": folder.id]])
        if let task = answer["task_id"] as? String, !task.isEmpty { try wait(task: task, what: "copy '\(from)'") }
        var made: (String, PikPakKnown)?
        try listAll(toParent, folder.id) { path, known in
            if !before.contains(known.id) && known.isFolder == source.isFolder { made = (path, known) }
        }
        guard let (path, copy) = made else {
            throw ConnectorFailure(.internal, "pikpak: the copy of '\(from)' is not in '\(toParent)' after its task")
        }
        if !PikPakPath.same(PikPakPath.split(path).name, toName) {
            try rename(copy.id, to: toName, what: "copy '\(from)'")
        }
        cache.forget(path)
        cache.touched(toParent)
    }

    /// A rename by id; one made right after a move or copy may be refused for a moment
    /// (file_rename_uncompleted), so it is tried again a few times.
    func rename(_ id: String, to name: String, what: String) throws {
        var attempt = 0
        while true {
            do {
                _ = try drive("PATCH", "/files/\(id)", json: ["name": name])
                return
            } catch let failure as ConnectorFailure
                where failure.code == .transient && failure.message.contains("file_rename_uncompleted") && attempt < 5
            {
                attempt += 1
                Thread.sleep(forTimeInterval: 0.2 * Double(attempt))
            }
        }
    }
}

extension PikPakConnector: BatchRemoval {
    /// One batch trash (or delete) for many files, their ids from this session's listings: what
    /// a sync's deletions would otherwise pay one task each for. Folders are refused, never sent.
    func remove(many paths: [String]) throws -> [Result<Void, ConnectorFailure>] {
        var outcomes = [Result<Void, ConnectorFailure>?](repeating: nil, count: paths.count)
        var ids: [String] = []
        var sent: [Int] = []
        for (i, path) in paths.enumerated() {
            do {
                let target = try resolve(path)
                guard !path.isEmpty, !target.isFolder else {
                    throw ConnectorFailure(.isADirectory, "pikpak: '\(path)' is a folder")
                }
                ids.append(target.id)
                sent.append(i)
            } catch let failure as ConnectorFailure where failure.code == .notFound {
                outcomes[i] = .success(())  // already gone
            } catch let failure as ConnectorFailure {
                outcomes[i] = .failure(failure)
            }
        }
        if !ids.isEmpty {
            try discard(ids, what: "delete \(ids.count) files")
            for i in sent {
                outcomes[i] = .success(())
                cache.forget(paths[i])
            }
        }
        return outcomes.map { $0 ?? .failure(ConnectorFailure(.internal, "pikpak: no outcome")) }
    }
}
