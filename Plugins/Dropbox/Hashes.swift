import ConnectorKit

/// Dropbox's only hash is its `content_hash` (SHA-256 of the SHA-256s of 4 MiB blocks; SyncHashes
/// `DropboxContentHasher`), listed for every file and returned by every commit.
enum DropboxHashes {
    static func of(_ metadata: [String: Any]) -> [HashKind: String] {
        guard let hash = metadata["content_hash"] as? String, hash.count == 64 else { return [:] }
        return [.dropbox: hash.lowercased()]
    }
}
