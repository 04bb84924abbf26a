import CSyncConnector
import SyncHashes

/// A loaded, validated connector. Plugins are never unloaded (see DESIGN.md: dlclose of a Swift
/// image breaks later runtime lookups), so the descriptor pointers stay valid for the process.
// Unchecked: immutable, but it holds pointers into the loaded library (descriptor, ops table).
public final class Plugin: @unchecked Sendable {
    public let file: String
    public let name: String
    public let version: String
    public let summary: String
    public let abiMajor: Int
    public let abiMinor: Int
    public let capabilities: Capabilities
    public let hashKinds: [HashKind]
    public let mtimePrecisionNanoseconds: Int64
    public let nameRules: NameRules
    public let options: [OptionSpec]
    let ops: UnsafePointer<sc_ops>

    init(file: String, descriptor d: UnsafePointer<sc_descriptor>, options: [OptionSpec]) {
        let desc = d.pointee
        self.file = file
        name = String(cString: desc.name)
        version = desc.version.map { String(cString: $0) } ?? "?"
        summary = desc.description.map { String(cString: $0) } ?? ""
        abiMajor = Int(desc.abi_major)
        abiMinor = Int(desc.abi_minor)
        capabilities = Capabilities(rawValue: desc.capabilities)
        hashKinds = HashKind.kinds(inSet: desc.hash_kinds)
        mtimePrecisionNanoseconds = desc.mtime_precision_ns
        nameRules = NameRules(
            forbiddenCharacters: desc.forbidden_chars.map { String(cString: $0) } ?? "",
            maxNameBytes: Int(desc.max_name_bytes),
            maxPathBytes: Int(desc.max_path_bytes),
            flags: desc.name_flags
        )
        self.options = options
        // A connector built for an older minor has a shorter table: copy what it has into a zeroed
        // full-size one, so slots it lacks read as NULL (never past the end of its struct).
        let table = UnsafeMutablePointer<sc_ops>.allocate(capacity: 1)
        table.initialize(to: sc_ops())
        let given = Int(desc.ops.pointee.struct_size)
        UnsafeMutableRawPointer(table).copyMemory(
            from: UnsafeRawPointer(desc.ops), byteCount: min(given, MemoryLayout<sc_ops>.size))
        ops = UnsafePointer(table)
    }

    /// The optional operations this connector offers (non-NULL slots), by name.
    public var optionalOperations: [String] {
        let o = ops.pointee
        var names: [String] = []
        if o.list_recursive != nil { names.append("list-recursive") }
        if o.move != nil { names.append("move") }
        if o.copy != nil { names.append("copy") }
        if o.about != nil { names.append("about") }
        if o.hash != nil { names.append("hash") }
        if o.job_add != nil { names.append("jobs") }
        if o.authorize != nil { names.append("authorize") }
        if o.open_reader_id != nil { names.append("read-by-id") }
        if o.reader_entry != nil { names.append("reader-entry") }
        if o.remove_many != nil { names.append("remove-many") }
        return names
    }

    public var supportsMove: Bool { ops.pointee.move != nil }
    public var supportsCopy: Bool { ops.pointee.copy != nil }
    public var supportsHash: Bool { ops.pointee.hash != nil }
    public var supportsSuspend: Bool { ops.pointee.suspend != nil }
}
