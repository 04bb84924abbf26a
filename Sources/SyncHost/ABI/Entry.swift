import CSyncConnector
import SyncHashes

/// A file or folder as a connector described it, copied out of the ABI's short-lived `sc_entry`.
public struct Entry: Sendable, Equatable {
    public enum Kind: Sendable { case file, directory }

    public var path: String
    public var kind: Kind
    /// Bytes, or nil when the store does not know.
    public var size: Int64?
    /// Nanoseconds since the Unix epoch, or nil when unknown.
    public var mtimeNanoseconds: Int64?
    public var id: String?
    public var hashes: [HashKind: String]
    /// False when the connector reported a path that is not valid UTF-8 (`path` then holds a
    /// repaired copy that names nothing): such an entry is refused, never copied.
    public var pathIsValidUTF8 = true
    /// Set by the engine on a file that shares its name with another in the same source folder:
    /// its path names the other one too, so it is read by this id (ABI 1.1 `open_reader_id`).
    public var readID: String?

    public init(
        path: String, kind: Kind, size: Int64?, mtimeNanoseconds: Int64? = nil, id: String? = nil,
        hashes: [HashKind: String] = [:]
    ) {
        self.path = path
        self.kind = kind
        self.size = size
        self.mtimeNanoseconds = mtimeNanoseconds
        self.id = id
        self.hashes = hashes
    }

    public var isDirectory: Bool { kind == .directory }

    /// The last path segment ("" for the root).
    public var name: Substring {
        // Searched as bytes: a search by Character would first group every name into graphemes.
        guard let slash = path.utf8.lastIndex(of: UInt8(ascii: "/")) else { return path[...] }
        return path[path.utf8.index(after: slash)...]
    }

    init(abi raw: UnsafePointer<sc_entry>) {
        let e = raw.pointee
        if let raw = e.path {
            if let valid = String(validatingCString: raw) {
                path = valid
            } else {
                path = String(cString: raw)
                pathIsValidUTF8 = false
            }
        } else {
            path = ""
        }
        kind = e.kind == SC_ENTRY_DIR ? .directory : .file
        size = e.size >= 0 ? e.size : nil
        mtimeNanoseconds = e.mtime_ns == Int64.min ? nil : e.mtime_ns
        id = e.id.map { String(cString: $0) }
        var hashes: [HashKind: String] = [:]
        if let list = e.hashes {
            for i in 0..<Int(e.hash_count) {
                let h = list[i]
                if let kind = HashKind(rawValue: h.kind), let value = h.value {
                    hashes[kind] = String(cString: value)
                }
            }
        }
        self.hashes = hashes
    }
}
