import ConnectorKit
import Foundation

extension DropboxConnector {
    /// One folder's children, page by page (`list_folder`, then `continue` while `has_more`).
    func list(_ dir: String, _ emit: (ConnectorEntry) throws -> Void) throws {
        try pages(dir, recursive: false) { metadata in
            guard let name = metadata["name"] as? String, !name.isEmpty, !name.contains("/"),
                let entry = DropboxMetadata.make(metadata, path: DropboxPath.join(dir, name))
            else { return }
            if !entry.isDirectory { revisions.put("/" + entry.path, metadata["rev"] as? String) }
            try emit(entry)
        }
    }

    /// The whole tree under `dir` in one paged listing. Paths are rebuilt from each item's own
    /// name under its folder's (the parents' `path_display` casing is not reliable).
    func listRecursive(_ dir: String, _ emit: (ConnectorEntry) throws -> Void) throws {
        let base = try DropboxPath.api(dir)
        var folders: [String: String] = [base.lowercased(): dir]
        try pages(dir, recursive: true) { metadata in
            guard let name = metadata["name"] as? String, let lower = metadata["path_lower"] as? String,
                let slash = lower.lastIndex(of: "/")
            else { return }
            guard let parent = folders[String(lower[..<slash])] else { return }
            let path = DropboxPath.join(parent, name)
            guard let entry = DropboxMetadata.make(metadata, path: path) else { return }
            if entry.isDirectory { folders[lower] = path }
            try emit(entry)
        }
    }

    private func pages(_ dir: String, recursive: Bool, _ each: ([String: Any]) throws -> Void) throws {
        var page = try rpc(
            "files/list_folder",
            [
                "path": try DropboxPath.api(dir), "recursive": recursive, "include_deleted": false,
                "include_non_downloadable_files": false, "limit": settings.pageSize,
            ])
        while true {
            try host.checkCancelled()
            for case let metadata as [String: Any] in page["entries"] as? [Any] ?? [] { try each(metadata) }
            guard page["has_more"] as? Bool == true, let cursor = page["cursor"] as? String else { return }
            page = try rpc("files/list_folder/continue", ["cursor": cursor])
        }
    }
}
