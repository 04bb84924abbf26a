import CSyncConnector
import Foundation

/// A file or folder as a connector reports it.
public struct ConnectorEntry: Sendable {
    public var path: String
    public var isDirectory: Bool
    public var size: Int64?
    public var mtimeNanoseconds: Int64?
    public var id: String?
    public var hashes: [HashKind: String]

    public init(
        path: String, isDirectory: Bool, size: Int64? = nil, mtimeNanoseconds: Int64? = nil, id: String? = nil,
        hashes: [HashKind: String] = [:]
    ) {
        self.path = path
        self.isDirectory = isDirectory
        self.size = isDirectory ? 0 : size
        self.mtimeNanoseconds = mtimeNanoseconds
        self.id = id
        self.hashes = hashes
    }

    /// Calls `body` with an `sc_entry` whose pointers are valid only inside it.
    func withCEntry<R>(_ body: (UnsafePointer<sc_entry>) -> R) -> R {
        // The common listing case (no id, no hashes) without any temporary arrays.
        if id == nil && hashes.isEmpty {
            return path.withCString { cPath in
                var entry = sc_entry(
                    struct_size: UInt32(MemoryLayout<sc_entry>.size), kind: isDirectory ? SC_ENTRY_DIR : SC_ENTRY_FILE,
                    path: cPath, size: size ?? Int64(SC_SIZE_UNKNOWN), mtime_ns: mtimeNanoseconds ?? Int64.min, id: nil,
                    hashes: nil, hash_count: 0, reserved: 0)
                return body(&entry)
            }
        }
        let kinds = hashes.keys.sorted()
        let values = kinds.map { hashes[$0]! }
        return path.withCString { cPath in
            withOptionalCString(id) { cId in
                withCStrings(values) { cValues in
                    var list = zip(kinds, cValues).map { sc_hash(kind: $0.rawValue, reserved: 0, value: $1) }
                    return list.withUnsafeMutableBufferPointer { hashBuffer in
                        var entry = sc_entry(
                            struct_size: UInt32(MemoryLayout<sc_entry>.size),
                            kind: isDirectory ? SC_ENTRY_DIR : SC_ENTRY_FILE,
                            path: cPath,
                            size: size ?? Int64(SC_SIZE_UNKNOWN),
                            mtime_ns: mtimeNanoseconds ?? Int64.min,
                            id: cId,
                            hashes: hashBuffer.isEmpty ? nil : UnsafePointer(hashBuffer.baseAddress),
                            hash_count: UInt32(hashBuffer.count),
                            reserved: 0)
                        return body(&entry)
                    }
                }
            }
        }
    }
}

func withOptionalCString<R>(_ s: String?, _ body: (UnsafePointer<CChar>?) -> R) -> R {
    guard let s else { return body(nil) }
    return s.withCString { body($0) }
}

/// C strings for a few values (hash lists are short), valid inside `body`.
func withCStrings<R>(_ values: [String], _ body: ([UnsafePointer<CChar>]) -> R) -> R {
    if values.isEmpty { return body([]) }
    let copies = values.map { strdup($0)! }
    defer { for copy in copies { free(copy) } }
    return body(copies.map { UnsafePointer($0) })
}
