import ConnectorKit
import Foundation

/// What the session knows about paths it has seen: path → (id, folder?, size). Folders are kept
/// for the session; files up to a cap, since a huge tree's files would otherwise pile up. Entries
/// come from listings and lookups, so walking a tree costs one request per folder and reading a
/// listed file needs no lookup. Stale entries are dropped when the server answers 404.
// Unchecked: the tables are only touched under `lock`.
final class PutioPathCache: @unchecked Sendable {
    struct Known {
        var id: Int64
        var isFolder: Bool
        var size: Int64
        /// The path names Put.io's MP4 conversion of the file `id` (accounts with `video = mp4`).
        var rendition = false
    }

    private let lock = NSLock()
    // Keys are the paths' bytes: Swift's String equality would merge NFC and NFD spellings,
    // which Put.io keeps apart.
    private var folders: [[UInt8]: Known] = [[]: Known(id: 0, isFolder: true, size: 0)]
    private var files: [[UInt8]: Known] = [:]
    /// Folders this session created, and the names it has put in them: nothing else is there
    /// (barring another client), so existence checks on them need no request.
    private var created: [Int64: Set<[UInt8]>] = [:]
    let fileCap: Int

    init(fileCap: Int = 200_000) { self.fileCap = fileCap }

    func get(_ path: String) -> Known? {
        let path = Array(path.utf8)
        lock.lock()
        defer { lock.unlock() }
        return folders[path] ?? files[path]
    }

    func put(_ path: String, _ known: Known) {
        let path = Array(path.utf8)
        lock.lock()
        defer { lock.unlock() }
        if known.isFolder {
            folders[path] = known
            files[path] = nil
        } else {
            if files.count >= fileCap { files.removeAll(keepingCapacity: true) }
            files[path] = known
            folders[path] = nil
        }
    }

    /// Forgets `path` and everything under it.
    func forget(_ path: String) {
        let key = Array(path.utf8)
        lock.lock()
        defer { lock.unlock() }
        if key.isEmpty {
            files.removeAll()
            folders = [[]: Known(id: 0, isFolder: true, size: 0)]
            created.removeAll()
            return
        }
        files[key] = nil
        if let folder = folders.removeValue(forKey: key) { created[folder.id] = nil }
        let prefix = key + [UInt8(ascii: "/")]
        for k in folders.keys where k.starts(with: prefix) { folders[k] = nil }
        for k in files.keys where k.starts(with: prefix) { files[k] = nil }
    }

    func markCreated(_ folderId: Int64) {
        lock.lock()
        created[folderId] = []
        lock.unlock()
    }

    /// True when `name` is known to be absent from `folderId` (a folder this session created).
    func knownAbsent(_ name: String, in folderId: Int64) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        guard let names = created[folderId] else { return false }
        return !names.contains(Array(name.utf8))
    }

    func noteChild(_ name: String, in folderId: Int64) {
        lock.lock()
        created[folderId]?.insert(Array(name.utf8))
        lock.unlock()
    }
}

/// '/'-separated relative paths.
enum PutioPath {
    static func split(_ path: String) -> (parent: String, name: String) {
        guard let slash = path.lastIndex(of: "/") else { return ("", path) }
        return (String(path[..<slash]), String(path[path.index(after: slash)...]))
    }

    static func join(_ parent: String, _ name: String) -> String { parent.isEmpty ? name : parent + "/" + name }

    /// Refuses what the host should never send: empty segments, `.`/`..`, NUL.
    static func validate(_ path: String) throws {
        if path.isEmpty { return }
        for segment in path.split(separator: "/", omittingEmptySubsequences: false) {
            if segment.isEmpty || segment == "." || segment == ".." || segment.contains("\u{0}") {
                throw ConnectorFailure(.invalidArgument, "invalid path '\(path)'")
            }
        }
    }
}
