import ConnectorKit

extension PutioConnector {
    /// One folder, page by page (`/files/list`, then `/files/list/continue` with the cursor), each
    /// page handed on as it arrives. Children's ids are cached so the walk down needs no lookups.
    func list(_ dir: String, _ emit: (ConnectorEntry) throws -> Void) throws {
        try withResolved(dir) { folder in
            guard folder.isFolder else { throw ConnectorFailure(.notADirectory, "list '\(dir)': not a folder") }
            var page = try api(
                "GET", "/v2/files/list", query: [("parent_id", String(folder.id)), ("per_page", String(perPage))])
            while true {
                try host.checkCancelled()
                for item in page["files"] as? [Any] ?? [] {
                    guard let file = PutioFile(item) else { continue }
                    let path = PutioPath.join(dir, file.name)
                    cache.put(path, PutioCacheEntry(id: file.id, isFolder: file.isFolder, size: file.size))
                    try emit(file.entry(at: path))
                }
                guard let cursor = page["cursor"] as? String, !cursor.isEmpty else { return }
                page = try api(
                    "POST", "/v2/files/list/continue", query: [("per_page", String(perPage))],
                    form: [("cursor", cursor)])
            }
        }
    }
}
