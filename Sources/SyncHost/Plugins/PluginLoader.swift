import CSyncConnector
import Foundation

/// Why a file could not be used as a connector. `reason` is one line, without the file name.
public struct PluginProblem: Error, Sendable, CustomStringConvertible {
    public let file: String
    public let reason: String
    public var description: String { "\(file): \(reason)" }
}

/// Loads one shared object and validates its descriptor against ABI v1 rules.
public enum PluginLoader {
    /// v1.0 sizes: a plugin built against any 1.x header has structs at least this large.
    static let minimumDescriptorSize = 104
    static let minimumOpsSize = 200

    static func load(_ file: String) throws(PluginProblem) -> Plugin {
        func fail(_ reason: String) -> PluginProblem { PluginProblem(file: file, reason: reason) }

        guard let handle = dlopen(file, RTLD_NOW | RTLD_LOCAL) else {
            let detail = dlerror().map { String(cString: $0) } ?? "unknown error"
            throw fail("not a loadable shared object (\(shorten(detail, file: file)))")
        }
        // Deliberately never dlclose'd, even on failure: unloading a Swift image is unsafe.
        guard let symbol = dlsym(handle, SC_ENTRY_SYMBOL) else {
            throw fail("no \(SC_ENTRY_SYMBOL) symbol: not a sync-core connector")
        }
        let entry = unsafeBitCast(symbol, to: sc_entry_point.self)
        guard let descriptor = entry(UInt32(SC_ABI_MAJOR), UInt32(SC_ABI_MINOR)) else {
            throw fail(
                "\(SC_ENTRY_SYMBOL) returned NULL: the connector cannot serve ABI \(SC_ABI_MAJOR).\(SC_ABI_MINOR)")
        }
        let d = descriptor.pointee
        guard d.magic == SC_MAGIC else {
            throw fail(String(format: "descriptor has bad magic 0x%08x (expected 0x%08x)", d.magic, SC_MAGIC))
        }
        guard d.abi_major == SC_ABI_MAJOR else {
            let relation = Int32(d.abi_major) > SC_ABI_MAJOR ? "newer" : "older"
            throw fail(
                "built for ABI \(d.abi_major).\(d.abi_minor), \(relation) than this host's ABI \(SC_ABI_MAJOR).\(SC_ABI_MINOR)"
            )
        }
        guard d.pointer_size == MemoryLayout<UnsafeRawPointer>.size else {
            throw fail(
                "built for \(d.pointer_size * 8)-bit pointers, this host is \(MemoryLayout<UnsafeRawPointer>.size * 8)-bit"
            )
        }
        guard d.struct_size >= minimumDescriptorSize else {
            throw fail("descriptor struct_size \(d.struct_size) is smaller than ABI 1.0's \(minimumDescriptorSize)")
        }
        guard let namePointer = d.name else { throw fail("descriptor has no name") }
        let name = String(cString: namePointer)
        guard isValidConnectorName(name) else {
            throw fail("connector name '\(name)' is invalid (expected [a-z][a-z0-9_-]*)")
        }
        guard let ops = d.ops else { throw fail("descriptor has no function table") }
        guard ops.pointee.struct_size >= minimumOpsSize else {
            throw fail(
                "function table struct_size \(ops.pointee.struct_size) is smaller than ABI 1.0's \(minimumOpsSize)")
        }
        let missing = missingRequiredSlots(ops.pointee)
        guard missing.isEmpty else {
            throw fail("function table lacks required operations: \(missing.joined(separator: ", "))")
        }
        let schemaText = d.options_schema_json.map { String(cString: $0) } ?? "[]"
        let options: [OptionSpec]
        do {
            options = try OptionSpec.parseSchema(schemaText)
        } catch {
            throw fail("options schema is invalid: \(error)")
        }
        return Plugin(file: file, descriptor: descriptor, options: options)
    }

    /// A connector name: lower-case letters, digits, `_` and `-`, starting with a letter, at most 64 bytes.
    public static func isValidConnectorName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, ("a"..."z").contains(first), name.utf8.count <= 64 else {
            return false
        }
        return name.unicodeScalars.allSatisfy {
            ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" || $0 == "-"
        }
    }

    static func missingRequiredSlots(_ o: sc_ops) -> [String] {
        var missing: [String] = []
        if o.open == nil { missing.append("open") }
        if o.close == nil { missing.append("close") }
        if o.list == nil { missing.append("list") }
        if o.stat == nil { missing.append("stat") }
        if o.mkdir == nil { missing.append("mkdir") }
        if o.remove == nil { missing.append("remove") }
        if o.rmdir == nil { missing.append("rmdir") }
        if o.open_reader == nil { missing.append("open_reader") }
        if o.read == nil { missing.append("read") }
        if o.close_reader == nil { missing.append("close_reader") }
        if o.open_writer == nil { missing.append("open_writer") }
        if o.write == nil { missing.append("write") }
        if o.finish == nil { missing.append("finish") }
        if o.abort == nil { missing.append("abort") }
        return missing
    }

    /// dlerror() repeats the path; keep the line short.
    private static func shorten(_ detail: String, file: String) -> String {
        detail.replacingOccurrences(of: file + ": ", with: "")
    }
}
