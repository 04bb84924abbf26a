import ConnectorKit
import Foundation

/// Where a path lives: a bucket (nil at the root of an account without a fixed bucket) and a key
/// ("" for the bucket's root). Folders are key prefixes ending in '/'.
struct S3Location {
    var bucket: String?
    var key: String

    /// The prefix that lists this folder's children.
    var folderPrefix: String { key.isEmpty ? "" : key + "/" }
}

enum S3Path {
    /// Refuses what no key may be made of here: absolute paths, empty, `.` or `..` segments, NUL.
    static func validate(_ path: String) throws {
        if path.isEmpty { return }
        if path.utf8.contains(0) { throw ConnectorFailure(.invalidArgument, "path contains a NUL byte") }
        for segment in path.split(separator: "/", omittingEmptySubsequences: false) {
            if segment.isEmpty || segment == "." || segment == ".." {
                throw ConnectorFailure(.invalidArgument, "'\(path)' is not a valid path here")
            }
        }
    }

    static func split(_ path: String) -> (parent: String, name: String) {
        guard let slash = path.utf8.lastIndex(of: UInt8(ascii: "/")) else { return ("", path) }
        return (String(path[..<slash]), String(path[path.index(after: slash)...]))
    }

    static func join(_ dir: String, _ name: String) -> String { dir.isEmpty ? name : dir + "/" + name }
}

/// Folder contents this session has listed completely (or created empty), so a new file's
/// existence checks cost no request. Names are kept as bytes (S3 keys are bytes: NFC and NFD
/// spellings are different keys). Bounded: past the cap nothing more is remembered and the checks
/// go to the server.
// Unchecked: the name tables are only touched under `lock`.
final class S3KnownNames: @unchecked Sendable {
    enum Kind { case file, folder }

    private let lock = NSLock()
    private var folders: [[UInt8]: [[UInt8]: Kind]] = [:]
    private var count = 0
    let cap: Int

    init(cap: Int = 500_000) { self.cap = cap }

    /// Remembers a folder's complete listing.
    func remember(_ dir: String, _ names: [[UInt8]: Kind]) {
        lock.lock()
        defer { lock.unlock() }
        guard count + names.count <= cap else { return }
        count += names.count - (folders[Array(dir.utf8)]?.count ?? 0)
        folders[Array(dir.utf8)] = names
    }

    /// What is at `path`: .some(kind), .some(nil) when known absent, nil when unknown.
    func lookup(_ path: String) -> Kind?? {
        let (parent, name) = S3Path.split(path)
        lock.lock()
        defer { lock.unlock() }
        guard let names = folders[Array(parent.utf8)] else { return nil }
        return .some(names[Array(name.utf8)])
    }

    func note(_ path: String, _ kind: Kind?) {
        let (parent, name) = S3Path.split(path)
        lock.lock()
        defer { lock.unlock() }
        let dir = Array(parent.utf8)
        guard folders[dir] != nil else { return }
        let key = Array(name.utf8)
        let had = folders[dir]![key] != nil
        folders[dir]![key] = kind
        if kind == nil && had { count -= 1 }
        if kind != nil && !had { count += 1 }
        if kind == nil, let gone = folders.removeValue(forKey: Array(path.utf8)) { count -= gone.count }
    }

    /// Forgets everything under `path` (a folder moved or removed by other means).
    func forget(_ path: String) {
        lock.lock()
        defer { lock.unlock() }
        let prefix = Array(path.utf8)
        for dir in folders.keys where dir == prefix || (dir.starts(with: prefix + [UInt8(ascii: "/")])) {
            count -= folders.removeValue(forKey: dir)?.count ?? 0
        }
    }
}
