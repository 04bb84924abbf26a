import CSyncConnector
import Foundation
import SyncABI

/// Builds (once) and returns the C descriptor of connector type `C`. Call it from the plugin's
/// exported entry point:
///
///     @_cdecl("sync_connector_entry")
///     public func syncConnectorEntry(_ major: UInt32, _ minor: UInt32) -> UnsafeRawPointer? {
///         exportConnector(MyConnector.self, hostMajor: major, hostMinor: minor)
///     }
///
/// Returns nil for a host whose ABI major differs. One connector per library.
public func exportConnector<C: Connector>(_ type: C.Type, hostMajor: UInt32, hostMinor: UInt32) -> UnsafeRawPointer? {
    guard hostMajor == UInt32(SC_ABI_MAJOR) else { return nil }
    exportLock.lock()
    defer { exportLock.unlock() }
    if exportedDescriptor == nil {
        exportedFactory = { config, host in try C(config: config, host: host) }
        exportedDescriptor = makeDescriptor(for: C.self)
    }
    return UnsafeRawPointer(exportedDescriptor)
}

// Written once, under this lock, before the host sees the descriptor; only read after.
private let exportLock = NSLock()
nonisolated(unsafe) private var exportedDescriptor: UnsafeMutablePointer<sc_descriptor>?
nonisolated(unsafe) private var exportedSetup: (any InteractiveSetup.Type)?
nonisolated(unsafe) private var exportedFactory: ((ConnectorConfig, ConnectorHost) throws -> any Connector)?

// MARK: - Handles

private final class SessionBox {
    let connector: any Connector
    init(_ connector: any Connector) { self.connector = connector }
}

private final class ReaderBox {
    let reader: any ConnectorReader
    init(_ reader: any ConnectorReader) { self.reader = reader }
}

private final class WriterBox {
    let writer: any ConnectorWriter
    init(_ writer: any ConnectorWriter) { self.writer = writer }
}

private func retain<T: AnyObject>(_ object: T) -> OpaquePointer {
    OpaquePointer(Unmanaged.passRetained(object).toOpaque())
}

private func borrow<T: AnyObject>(_ handle: OpaquePointer?, as _: T.Type) -> T {
    Unmanaged<T>.fromOpaque(UnsafeRawPointer(handle!)).takeUnretainedValue()
}

private func release<T: AnyObject>(_ handle: OpaquePointer?, as _: T.Type) -> T {
    Unmanaged<T>.fromOpaque(UnsafeRawPointer(handle!)).takeRetainedValue()
}

private func connector(_ session: OpaquePointer?) -> any Connector {
    borrow(session, as: SessionBox.self).connector
}

/// Runs connector code, turning any thrown error into the ABI's code and message.
private func guarded(_ err: UnsafeMutablePointer<sc_error>?, _ body: () throws -> Void) -> sc_code {
    do {
        try body()
        return SC_OK
    } catch {
        return ConnectorFailure.from(error).fill(err)
    }
}

private func string(_ p: UnsafePointer<CChar>?) -> String { p.map { String(cString: $0) } ?? "" }

/// The known hashes of ABI 1.3 write options; none from an older host, whose options end before them.
private func knownHashes(_ raw: sc_write_options) -> [HashKind: String] {
    guard let end = MemoryLayout<sc_write_options>.offset(of: \.reserved), raw.struct_size >= end,
        let list = raw.hashes
    else { return [:] }
    var known: [HashKind: String] = [:]
    for hash in UnsafeBufferPointer(start: list, count: Int(raw.hash_count)) {
        if let kind = HashKind(rawValue: hash.kind), let value = hash.value {
            known[kind] = String(cString: value).lowercased()
        }
    }
    return known
}

/// Feeds entries to the host's callback; a non-OK answer stops the enumeration.
private struct HostStop: Error {}

private func emitter(_ fn: sc_entry_fn?, _ ctx: UnsafeMutableRawPointer?) -> (ConnectorEntry) throws -> Void {
    { entry in
        let answer = entry.withCEntry { fn?(ctx, $0) ?? SC_OK }
        if answer != SC_OK { throw HostStop() }
    }
}

private func enumerate(_ err: UnsafeMutablePointer<sc_error>?, _ body: () throws -> Void) -> sc_code {
    guarded(err) {
        do {
            try body()
        } catch is HostStop {
            throw ConnectorFailure(.cancelled, "stopped by the host")
        }
    }
}

// MARK: - Descriptor

private func makeDescriptor<C: Connector>(for type: C.Type) -> UnsafeMutablePointer<sc_descriptor> {
    let info = C.info
    let ops = UnsafeMutablePointer<sc_ops>.allocate(capacity: 1)
    ops.initialize(to: sc_ops())
    ops.pointee.struct_size = UInt32(MemoryLayout<sc_ops>.size)

    ops.pointee.open = { host, config, out, err in
        guarded(err) {
            let connectorHost = ConnectorHost(host)
            let config = try ConnectorConfig(json: string(config))
            let instance = try exportedFactory!(config, connectorHost)
            out?.pointee = retain(SessionBox(instance))
        }
    }
    ops.pointee.close = { session in
        release(session, as: SessionBox.self).connector.close()
    }
    ops.pointee.list = { session, dir, fn, ctx, err in
        enumerate(err) { try connector(session).list(string(dir), emitter(fn, ctx)) }
    }
    ops.pointee.stat = { session, path, fn, ctx, err in
        guarded(err) {
            let entry = try connector(session).stat(string(path))
            _ = entry.withCEntry { fn?(ctx, $0) }
        }
    }
    ops.pointee.mkdir = { session, path, err in guarded(err) { try connector(session).mkdir(string(path)) } }
    ops.pointee.remove = { session, path, err in guarded(err) { try connector(session).remove(string(path)) } }
    ops.pointee.rmdir = { session, path, err in guarded(err) { try connector(session).rmdir(string(path)) } }

    ops.pointee.open_reader = { session, path, offset, length, out, err in
        guarded(err) {
            guard offset >= 0 else { throw ConnectorFailure(.invalidArgument, "negative read offset") }
            let reader = try connector(session).openReader(
                string(path), offset: offset, length: length < 0 ? nil : length)
            out?.pointee = retain(ReaderBox(reader))
        }
    }
    ops.pointee.read = { reader, buf, capacity, outRead, err in
        guarded(err) {
            let n = try borrow(reader, as: ReaderBox.self).reader.read(
                into: UnsafeMutableRawBufferPointer(start: buf, count: capacity))
            outRead?.pointee = n
        }
    }
    ops.pointee.close_reader = { reader in release(reader, as: ReaderBox.self).reader.close() }

    ops.pointee.open_writer = { session, path, rawOptions, out, outOffset, err in
        guarded(err) {
            guard let raw = rawOptions?.pointee, raw.struct_size >= 56 else {
                throw ConnectorFailure(.invalidArgument, "write options missing or too small")
            }
            var options = WriteOptions(
                size: raw.size >= 0 ? raw.size : nil,
                mtimeNanoseconds: raw.mtime_ns == Int64.min ? nil : raw.mtime_ns,
                replace: raw.flags & SC_WRITE_REPLACE != 0,
                wantHashes: Set(HashKind.kinds(inSet: raw.want_hashes)),
                resumeToken: raw.resume_token.map { String(cString: $0) })
            options.knownHashes = knownHashes(raw)
            if let onResume = raw.on_resume {
                let ctx = raw.resume_ctx
                options.checkpoint = { token, offset in token.withCString { onResume(ctx, $0, offset) } }
            }
            let writer = try connector(session).openWriter(string(path), options: options)
            outOffset?.pointee = writer.startOffset
            out?.pointee = retain(WriterBox(writer))
        }
    }
    ops.pointee.write = { writer, buf, count, err in
        guarded(err) {
            try borrow(writer, as: WriterBox.self).writer.write(UnsafeRawBufferPointer(start: buf, count: count))
        }
    }
    ops.pointee.finish = { writer, fn, ctx, err in
        let box = release(writer, as: WriterBox.self)
        return guarded(err) {
            let entry = try box.writer.finish()
            _ = entry.withCEntry { fn?(ctx, $0) }
        }
    }
    ops.pointee.abort = { writer in release(writer, as: WriterBox.self).writer.abort() }
    if info.capabilities.contains(.resumableUpload) {
        ops.pointee.suspend = { writer in
            let box = release(writer, as: WriterBox.self)
            if let suspendable = box.writer as? any SuspendableWriter {
                suspendable.suspend()
            } else {
                box.writer.abort()
            }
        }
    }

    if C.self is any RecursiveListing.Type {
        ops.pointee.list_recursive = { session, dir, fn, ctx, err in
            enumerate(err) {
                try (connector(session) as! any RecursiveListing).listRecursive(string(dir), emitter(fn, ctx))
            }
        }
    }
    if C.self is any ServerMove.Type {
        ops.pointee.move = { session, from, to, err in
            guarded(err) { try (connector(session) as! any ServerMove).move(string(from), to: string(to)) }
        }
    }
    if C.self is any ServerCopy.Type {
        ops.pointee.copy = { session, from, to, err in
            guarded(err) { try (connector(session) as! any ServerCopy).copy(string(from), to: string(to)) }
        }
    }
    if C.self is any QuotaReporting.Type {
        ops.pointee.about = { session, out, err in
            guarded(err) {
                let quota = try (connector(session) as! any QuotaReporting).about()
                guard let out, out.pointee.struct_size >= 40 else { return }
                out.pointee.total_bytes = quota.total ?? -1
                out.pointee.used_bytes = quota.used ?? -1
                out.pointee.free_bytes = quota.free ?? -1
                out.pointee.trashed_bytes = quota.trashed ?? -1
            }
        }
    }
    if C.self is any OnDemandHashing.Type {
        ops.pointee.hash = { session, path, kind, out, err in
            guarded(err) {
                guard let hashKind = HashKind(rawValue: kind) else {
                    throw ConnectorFailure(.unsupported, "unknown hash kind \(kind)")
                }
                let value = try (connector(session) as! any OnDemandHashing).hash(string(path), kind: hashKind)
                let bytes = Array(value.utf8.prefix(Int(SC_HASH_VALUE_MAX) - 1))
                guard let out else { return }
                for (i, b) in bytes.enumerated() { out[i] = CChar(bitPattern: b) }
                out[bytes.count] = 0
            }
        }
    }

    if C.self is any ReadByID.Type {
        ops.pointee.open_reader_id = { session, id, offset, length, out, err in
            guarded(err) {
                guard offset >= 0 else { throw ConnectorFailure(.invalidArgument, "negative read offset") }
                let reader = try (connector(session) as! any ReadByID).openReader(
                    id: string(id), offset: offset, length: length < 0 ? nil : length)
                out?.pointee = retain(ReaderBox(reader))
            }
        }
    }
    if C.self is any ReadersDescribeFiles.Type {
        ops.pointee.reader_entry = { reader, fn, ctx, err in
            guarded(err) {
                guard let describing = borrow(reader, as: ReaderBox.self).reader as? any DescribingReader,
                    let entry = describing.describedEntry
                else { throw ConnectorFailure(.unsupported, "this reader knows nothing beyond the listing") }
                _ = entry.withCEntry { fn?(ctx, $0) }
            }
        }
    }
    if C.self is any BatchRemoval.Type {
        ops.pointee.remove_many = { session, paths, count, fn, ctx, err in
            guarded(err) {
                let list = (0..<Int(count)).map { string(paths?[$0]) }
                let outcomes = try (connector(session) as! any BatchRemoval).remove(many: list)
                for (index, outcome) in outcomes.prefix(list.count).enumerated() {
                    switch outcome {
                    case .success: fn?(ctx, UInt32(index), SC_OK, nil)
                    case .failure(let failure):
                        failure.message.withCString { fn?(ctx, UInt32(index), failure.code.rawValue, $0) }
                    }
                }
            }
        }
    }
    if let setup = C.self as? any InteractiveSetup.Type {
        exportedSetup = setup
        ops.pointee.authorize = { host, config, err in
            guarded(err) {
                let connectorHost = ConnectorHost(host)
                let changes = try exportedSetup!.authorize(
                    config: try ConnectorConfig(json: string(config)), host: connectorHost)
                if !changes.isEmpty { connectorHost.credentialsChanged(changes) }
            }
        }
    }
    if C.self is any CloudDownloads.Type {
        func downloads(_ session: OpaquePointer?) -> any CloudDownloads { connector(session) as! any CloudDownloads }
        func report(_ job: CloudJob, _ fn: sc_job_fn?, _ ctx: UnsafeMutableRawPointer?) throws {
            if job.withCJob({ fn?(ctx, $0) ?? SC_OK }) != SC_OK { throw HostStop() }
        }
        ops.pointee.job_add = { session, source, dir, fn, ctx, err in
            enumerate(err) {
                try report(try downloads(session).addJob(source: string(source), into: string(dir)), fn, ctx)
            }
        }
        ops.pointee.job_status = { session, id, fn, ctx, err in
            enumerate(err) { try report(try downloads(session).jobStatus(string(id)), fn, ctx) }
        }
        ops.pointee.job_list = { session, fn, ctx, err in
            enumerate(err) { try downloads(session).listJobs { try report($0, fn, ctx) } }
        }
        ops.pointee.job_cancel = { session, id, err in
            guarded(err) { try downloads(session).cancelJob(string(id)) }
        }
    }

    let schema = optionsSchemaJSON(info.options)
    let descriptor = UnsafeMutablePointer<sc_descriptor>.allocate(capacity: 1)
    descriptor.initialize(
        to: sc_descriptor(
            magic: SC_MAGIC,
            abi_major: UInt16(SC_ABI_MAJOR),
            abi_minor: UInt16(SC_ABI_MINOR),
            struct_size: UInt32(MemoryLayout<sc_descriptor>.size),
            pointer_size: UInt32(MemoryLayout<UnsafeRawPointer>.size),
            name: UnsafePointer(strdup(info.name)),
            version: UnsafePointer(strdup(info.version)),
            description: UnsafePointer(strdup(info.summary)),
            capabilities: capabilities(of: C.self, declared: info.capabilities).rawValue,
            hash_kinds: HashKind.set(of: info.hashKinds),
            mtime_precision_ns: info.mtimePrecisionNanoseconds,
            forbidden_chars: UnsafePointer(strdup(info.nameRules.forbiddenCharacters)),
            max_name_bytes: UInt32(info.nameRules.maxNameBytes),
            name_flags: info.nameRules.flags,
            max_path_bytes: UInt32(info.nameRules.maxPathBytes),
            reserved: 0,
            options_schema_json: UnsafePointer(strdup(schema)),
            ops: UnsafePointer(ops)))
    return descriptor
}

private func optionsSchemaJSON(_ options: [ConnectorInfo.Option]) -> String {
    let items = options.map { o in
        var members = [
            ("name", JSONText.quoted(o.name)), ("type", JSONText.quoted(o.type.rawValue)),
            ("required", o.required ? "true" : "false"), ("secret", o.secret ? "true" : "false"),
            ("help", JSONText.quoted(o.help)),
        ]
        if let d = o.defaultValue { members.append(("default", d.jsonText)) }
        return JSONText.object(members)
    }
    return "[" + items.joined(separator: ",") + "]"
}

/// The descriptor's capability bits: as declared, except those backed by an optional call, which
/// are what the type conforms to (a bit without its call, or a call without its bit, cannot ship).
func capabilities<C: Connector>(of type: C.Type, declared: Capabilities) -> Capabilities {
    var bits = declared.subtracting([.serverMove, .serverCopy, .hashOnDemand])
    if type is any ServerMove.Type { bits.insert(.serverMove) }
    if type is any ServerCopy.Type { bits.insert(.serverCopy) }
    if type is any OnDemandHashing.Type { bits.insert(.hashOnDemand) }
    return bits
}
