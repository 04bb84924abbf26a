import ConnectorKit

extension PutioConnector {
    /// One folder, page by page (`/files/list`, then `/files/list/continue` with the cursor), each
    /// page handed on as it arrives. Children's ids are cached so the walk down needs no lookups.
    func list(_ dir: String, _ emit: (ConnectorEntry) throws -> Void) throws {
        try withResolved(dir) { folder in
            guard folder.isFolder else { throw ConnectorFailure(.notADirectory, "list '\(dir)': not a folder") }
            var query = [("parent_id", String(folder.id)), ("per_page", String(perPage))]
            if preferMP4 { query.append(("mp4_status", "1")) }
            var page = try api("GET", "/v2/files/list", query: query)
            while true {
                try host.checkCancelled()
                for item in page["files"] as? [Any] ?? [] {
                    guard let file = PutioFile(item) else { continue }
                    if preferMP4, let name = file.renditionName {
                        // The conversion stands in for the original (video = mp4).
                        let path = PutioPath.join(dir, name)
                        cache.put(
                            path, PutioCacheEntry(id: file.id, isFolder: false, size: file.mp4Size!, rendition: true))
                        try emit(file.renditionEntry(at: path))
                        continue
                    }
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

extension PutioConnector {
    /// Finds the MP4 conversion named `path` by listing its folder (no lookup by name can: the
    /// server knows the file by its original name). Nil when there is none.
    func findRendition(_ path: String) throws -> ConnectorEntry? {
        guard preferMP4, path.lowercased().hasSuffix(".mp4") else { return nil }
        let (parent, _) = PutioPath.split(path)
        var found: ConnectorEntry?
        try list(parent) { entry in
            if entry.path.utf8.elementsEqual(path.utf8), self.cache.get(path)?.rendition == true { found = entry }
        }
        return found
    }
}
