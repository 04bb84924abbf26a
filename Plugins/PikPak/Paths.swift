import ConnectorKit
import Foundation
import Synchronization

/// What the session knows of one path: its id and kind (and, for a file, its size and GCID).
struct PikPakKnown: Sendable {
    var id: String
    var isFolder: Bool
    var size: Int64 = 0
    var gcid: String?
    var modified: Int64?

    func entry(_ path: String) -> ConnectorEntry {
        ConnectorEntry(
            path: path, isDirectory: isFolder, size: isFolder ? 0 : size, mtimeNanoseconds: modified, id: id,
            hashes: gcid.map { [.gcid: $0] } ?? [:])
    }
}

/// Paths to ids for the session. PikPak has no look-up by name: a folder is listed once and all
/// its children are remembered, so walking a tree costs one listing per folder. Entries are
/// dropped when the session changes them or the server says they are gone. Keys are the paths'
/// bytes: Swift's String equality would take the NFC and NFD spellings of a name for one.
final class PikPakPaths: Sendable {
    private struct State {
        var known: [[UInt8]: PikPakKnown] = [[]: PikPakKnown(id: "", isFolder: true)]
        /// Folders whose whole listing is in `known`.
        var complete: Set<[UInt8]> = []
    }
    private let state = Mutex(State())
    /// Past this many paths the cache starts over: a huge tree must not pile up in memory.
    private static let limit = 200_000

    func get(_ path: String) -> PikPakKnown? { state.withLock { $0.known[Array(path.utf8)] } }

    func isComplete(_ folder: String) -> Bool { state.withLock { $0.complete.contains(Array(folder.utf8)) } }

    func put(_ path: String, _ known: PikPakKnown) {
        state.withLock { s in
            if s.known.count > Self.limit { s = State() }
            s.known[Array(path.utf8)] = known
        }
    }

    /// Remembers a folder's whole listing: a name not in it does not exist (until the session
    /// changes the folder).
    func putListing(_ folder: String, _ children: [(String, PikPakKnown)]) {
        state.withLock { s in
            if s.known.count + children.count > Self.limit { s = State() }
            for (path, known) in children { s.known[Array(path.utf8)] = known }
            s.complete.insert(Array(folder.utf8))
        }
    }

    /// Forgets `path` and everything under it.
    func forget(_ path: String) {
        let key = Array(path.utf8)
        let prefix = key + [UInt8(ascii: "/")]
        state.withLock { s in
            s.known = s.known.filter { $0.key != key && !$0.key.starts(with: prefix) }
            s.complete = s.complete.filter { $0 != key && !$0.starts(with: prefix) }
        }
    }

    /// A folder's listing no longer holds (a child was added or removed by someone else's call).
    func touched(_ folder: String) { state.withLock { _ = $0.complete.remove(Array(folder.utf8)) } }
}

enum PikPakPath {
    /// Hostile paths are refused before any request: no empty, `.` or `..` segments, no NUL.
    static func validate(_ path: String) throws {
        guard !path.isEmpty else { return }
        for segment in path.split(separator: "/", omittingEmptySubsequences: false) {
            if segment.isEmpty || segment == "." || segment == ".." || segment.contains("\0") {
                throw ConnectorFailure(.invalidArgument, "pikpak: invalid path '\(path)'")
            }
        }
    }

    static func split(_ path: String) -> (parent: String, name: String) {
        guard let slash = path.lastIndex(of: "/") else { return ("", path) }
        return (String(path[..<slash]), String(path[path.index(after: slash)...]))
    }

    static func join(_ parent: String, _ name: String) -> String { parent.isEmpty ? name : parent + "/" + name }

    /// Byte for byte: NFC and NFD spellings are different names to PikPak, though Swift's `==`
    /// calls them equal.
    static func same(_ a: String?, _ b: String) -> Bool { a.map { $0.utf8.elementsEqual(b.utf8) } ?? false }
}

extension PikPakConnector {
    /// The id of `path`, from the cache or by listing the folders on the way.
    func resolve(_ path: String) throws -> PikPakKnown {
        try PikPakPath.validate(path)
        if let known = cache.get(path) { return known }
        let parent = PikPakPath.split(path).parent
        let folder = try resolve(parent)
        guard folder.isFolder else { throw ConnectorFailure(.notADirectory, "pikpak: '\(parent)' is a file") }
        if !cache.isComplete(parent) {
            try listAll(parent, folder.id) { _, _ in }
            if let known = cache.get(path) { return known }
        }
        throw ConnectorFailure(.notFound, "pikpak: '\(path)' does not exist")
    }

    /// The entry of one listed file object, remembered under `path`.
    func known(_ file: [String: Any]) -> PikPakKnown {
        PikPakKnown(
            id: file["id"] as? String ?? "", isFolder: file["kind"] as? String == "drive#folder",
            size: Int64("\(file["size"] ?? "0")") ?? 0, gcid: PikPakHashes.gcid(file["hash"]),
            modified: PikPakTime.nanoseconds(file["modified_time"] as? String))
    }
}

/// RFC 3339 times with a zone and milliseconds (`2022-09-17T14:31:06.056+08:00`).
enum PikPakTime {
    private static let style = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
    private static let plain = Date.ISO8601FormatStyle()

    static func nanoseconds(_ text: String?) -> Int64? {
        guard let text, !text.isEmpty, let date = (try? style.parse(text)) ?? (try? plain.parse(text)) else {
            return nil
        }
        return Int64((date.timeIntervalSince1970 * 1000).rounded()) * 1_000_000
    }
}
