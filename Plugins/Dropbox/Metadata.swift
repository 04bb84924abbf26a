import ConnectorKit
import Foundation

/// Dropbox metadata objects as entries at `path` (the host's spelling of the folders, the store's
/// of the name).
enum DropboxMetadata {
    static func make(_ metadata: [String: Any], path: String) -> ConnectorEntry? {
        let tag = metadata[".tag"] as? String
        let isFolder = tag == "folder" || (tag == nil && metadata["size"] == nil && metadata["rev"] == nil)
        guard tag != "deleted" else { return nil }
        if isFolder { return ConnectorEntry(path: path, isDirectory: true, id: metadata["id"] as? String) }
        return ConnectorEntry(
            path: path, isDirectory: false, size: (metadata["size"] as? NSNumber)?.int64Value,
            mtimeNanoseconds: mtime(metadata["client_modified"] as? String), id: metadata["id"] as? String,
            hashes: DropboxHashes.of(metadata))
    }

    /// `2024-01-02T03:04:05Z` in nanoseconds since the epoch.
    static func mtime(_ text: String?) -> Int64? {
        guard let text, let date = ISO8601DateFormatter().date(from: text) else { return nil }
        return Int64(date.timeIntervalSince1970) * 1_000_000_000
    }

    /// Nanoseconds as Dropbox takes them: whole seconds, UTC.
    static func time(_ nanoseconds: Int64) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        let seconds = nanoseconds >= 0 ? nanoseconds / 1_000_000_000 : (nanoseconds - 999_999_999) / 1_000_000_000
        return formatter.string(from: Date(timeIntervalSince1970: TimeInterval(seconds)))
    }
}
