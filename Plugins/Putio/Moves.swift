import ConnectorKit
import Foundation

/// Server-side move and copy. Both re-apply the source's mtime afterwards: Put.io has been seen not
/// to keep it across either.
extension PutioConnector {
    func move(_ from: String, to: String) throws {
        guard !from.isEmpty, !to.isEmpty else { throw ConnectorFailure(.invalidArgument, "move: the root cannot move") }
        try PutioPath.validate(to)
        let source = try stat(from)
        if let known = cache.get(from) { try refuseRendition(known, from, "move") }
        let (parentId, name) = try freeTarget(to, for: "move")
        let id = Int64(source.id!)!
        let json = try api(
            "POST", "/v2/files/move", form: [("file_ids", String(id)), ("parent_id", String(parentId)), ("name", name)])
        if let failure = (json["errors"] as? [[String: Any]])?.first {
            let type = failure["error_type"] as? String ?? "error"
            let code: ErrorCode =
                type == "NAME_ALREADY_EXIST" ? .exists : type == "NotFound" ? .notFound : .invalidArgument
            throw ConnectorFailure(code, "move '\(from)' → '\(to)': \(type)")
        }
        cache.forget(from)
        cache.noteChild(name, in: parentId)
        cache.put(to, PutioCacheEntry(id: id, isFolder: source.isDirectory, size: source.size ?? 0))
        if !source.isDirectory, let mtime = source.mtimeNanoseconds { try touch(id, mtime) }
    }

    func copy(_ from: String, to: String) throws {
        try PutioPath.validate(to)
        let source = try stat(from)
        guard !source.isDirectory else { throw ConnectorFailure(.isADirectory, "copy '\(from)': is a folder") }
        if let known = cache.get(from) { try refuseRendition(known, from, "copy") }
        let (parentId, name) = try freeTarget(to, for: "copy")
        var copied: PutioFile
        do {
            copied = try copyOnce(source.id!, parentId, name)
        } catch let failure as ConnectorFailure where failure.code == .exists {
            // The server sometimes refuses a free name: copy under a temporary one, then rename.
            let temporary = name + "." + String(UUID().uuidString.prefix(8)).lowercased()
            copied = try copyOnce(source.id!, parentId, temporary)
            _ = try api("POST", "/v2/files/rename", form: [("file_id", String(copied.id)), ("name", name)])
            copied.name = name
        }
        cache.put(to, PutioCacheEntry(id: copied.id, isFolder: false, size: copied.size))
        cache.noteChild(name, in: parentId)
        if let mtime = source.mtimeNanoseconds { try touch(copied.id, mtime) }
    }

    /// The folder (made if missing) and name a move or copy lands on; EXISTS when taken.
    private func freeTarget(_ to: String, for what: String) throws -> (parentId: Int64, name: String) {
        let (parent, name) = PutioPath.split(to)
        try mkdir(parent)
        let parentId = try resolve(parent).id
        if try lookupIfPresent(name, in: parentId, path: to) != nil {
            throw ConnectorFailure(.exists, "\(what): '\(to)' already exists")
        }
        return (parentId, name)
    }

    private func copyOnce(_ id: String, _ parentId: Int64, _ name: String) throws -> PutioFile {
        let json = try api(
            "POST", "/v2/files/copy", form: [("file_id", id), ("parent_id", String(parentId)), ("name", name)])
        guard let file = PutioFile(json["file"]) else {
            throw ConnectorFailure(.transient, "copy: no file object in the answer")
        }
        return file
    }

    func touch(_ id: Int64, _ mtimeNanoseconds: Int64) throws {
        _ = try api(
            "POST", "/v2/files/touch",
            query: [("file_id", String(id)), ("updated_at", PutioTime.format(nanoseconds: mtimeNanoseconds))])
    }
}
