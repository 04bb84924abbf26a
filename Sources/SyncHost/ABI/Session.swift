import CSyncConnector
import Foundation
import SyncHashes
import Synchronization

/// One open account of a connector. Thread-safe as the ABI requires of connectors: several threads
/// may call one session at once. Calls block; run them on threads you own.
///
/// The connector session underneath can be re-opened (after AUTH, so a refreshed token is used):
/// every call and every open reader or writer holds the connector session it started on, and an
/// old one is closed only when the last of them lets go — the ABI forbids closing a session under
/// its readers and writers.
public final class Session: Sendable {
    public let plugin: Plugin
    public let services: HostServices
    var ops: sc_ops { plugin.ops.pointee }
    private let configuration: @Sendable () throws -> [String: OptionValue]
    /// The connector session calls start on, and whether this session was closed. `reopen` holds
    /// the lock while it opens the new one, so other callers wait for it rather than open their own.
    private let state: Mutex<(current: Handle, closed: Bool)>

    /// Opens a session. `reload`, if given, supplies the configuration again when the session is
    /// re-opened (to pick up credentials refreshed meanwhile); otherwise `config` is used again.
    public init(
        plugin: Plugin, config: [String: OptionValue], services: HostServices = HostServices(),
        reload: (@Sendable () throws -> [String: OptionValue])? = nil
    ) throws {
        self.plugin = plugin
        self.services = services
        configuration = reload ?? { config }
        state = Mutex((try Handle.open(plugin: plugin, config: config, services: services, generation: 1), false))
    }

    deinit { close() }

    public func close() {
        state.withLock { state in
            guard !state.closed else { return }
            state.closed = true
            state.current.retire()
        }
    }

    /// Counts re-openings; a caller that saw AUTH on generation g re-opens only if it is still g.
    public var generation: Int { state.withLock { $0.current.generation } }

    /// Opens a fresh connector session (a new token, say) unless another caller already did since
    /// `generation` was read. Calls in flight finish on the old one, which closes after them.
    public func reopen(ifGeneration generation: Int) throws {
        try state.withLock { state in
            guard !state.closed, state.current.generation == generation else { return }
            let fresh = try Handle.open(
                plugin: plugin, config: try configuration(), services: services, generation: generation + 1)
            state.current.retire()
            state.current = fresh
        }
    }

    /// The current connector session, held for the caller until it releases it.
    private func acquire() -> Handle {
        state.withLock { state in
            state.current.retain()
            return state.current
        }
    }

    /// Runs one call on the current connector session.
    func use<T>(_ body: (OpaquePointer) throws -> T) rethrows -> T {
        let handle = acquire()
        defer { handle.release() }
        return try body(handle.pointer)
    }

    /// One connector session (`sc_session`) and its host table, closed once retired and unused.
    /// Unchecked: it holds the connector's session and host-table pointers, which the ABI makes
    /// safe to use from any thread; its own count is under a Mutex.
    final class Handle: @unchecked Sendable {
        let pointer: OpaquePointer
        let generation: Int
        private let plugin: Plugin
        private let services: HostServices
        private let hostTable: UnsafeMutablePointer<sc_host>
        /// Calls and streams holding it; retired once a newer one replaced it or the session closed.
        private let use = Mutex<(users: Int, retired: Bool)>((0, false))

        private init(
            pointer: OpaquePointer, table: UnsafeMutablePointer<sc_host>, plugin: Plugin, services: HostServices,
            generation: Int
        ) {
            self.pointer = pointer
            self.hostTable = table
            self.plugin = plugin
            self.services = services
            self.generation = generation
        }

        static func open(plugin: Plugin, config: [String: OptionValue], services: HostServices, generation: Int) throws
            -> Handle
        {
            let json = try JSONSerialization.data(
                withJSONObject: config.mapValues(\.jsonObject), options: [.sortedKeys])
            let table = services.makeCTable()
            var out: OpaquePointer?
            do {
                try abiCall { err in
                    String(decoding: json, as: UTF8.self).withCString { plugin.ops.pointee.open(table, $0, &out, err) }
                }
            } catch {
                table.deallocate()
                throw error
            }
            guard let out else {
                table.deallocate()
                throw ConnectorError(.internal, "\(plugin.name): open() succeeded without a session")
            }
            return Handle(pointer: out, table: table, plugin: plugin, services: services, generation: generation)
        }

        func retain() {
            use.withLock { $0.users += 1 }
        }

        func release() {
            let closeNow = use.withLock {
                $0.users -= 1
                return $0.retired && $0.users == 0
            }
            if closeNow { closeConnectorSession() }
        }

        func retire() {
            let closeNow = use.withLock { use in
                defer { use.retired = true }
                return !use.retired && use.users == 0
            }
            if closeNow { closeConnectorSession() }
        }

        private func closeConnectorSession() {
            withExtendedLifetime(services) { plugin.ops.pointee.close(pointer) }
            hostTable.deallocate()
        }
    }

    // MARK: Listing and metadata

    /// Streams the direct children of `dir` into `body`. An error thrown by `body` stops the listing
    /// and is rethrown.
    public func list(_ dir: String, _ body: (Entry) throws -> Void) throws {
        try use { handle in
            try withEntryCallback(body) { fn, ctx, err in dir.withCString { ops.list(handle, $0, fn, ctx, err) } }
        }
    }

    /// Whether the connector has a native recursive listing.
    public var hasRecursiveList: Bool { ops.list_recursive != nil }

    /// Streams every entry below `dir`: natively where the connector can, otherwise folder by folder
    /// (depth first, holding only the folders still to visit).
    public func listRecursive(_ dir: String, _ body: (Entry) throws -> Void) throws {
        if let native = ops.list_recursive {
            try use { handle in
                try withEntryCallback(body) { fn, ctx, err in dir.withCString { native(handle, $0, fn, ctx, err) } }
            }
            return
        }
        var pending = [dir]
        while let next = pending.popLast() {
            try list(next) { entry in
                if entry.isDirectory { pending.append(entry.path) }
                try body(entry)
            }
        }
    }

    public func stat(_ path: String) throws -> Entry {
        try use { handle in try singleEntry { fn, ctx, err in path.withCString { ops.stat(handle, $0, fn, ctx, err) } }
        }
    }

    /// stat(), with not-found as nil.
    public func statIfExists(_ path: String) throws -> Entry? {
        do {
            return try stat(path)
        } catch let error as ConnectorError where error.code == .notFound {
            return nil
        }
    }

    // MARK: Changes

    public func mkdir(_ path: String) throws {
        try use { handle in try abiCall { err in path.withCString { ops.mkdir(handle, $0, err) } } }
    }

    public func remove(_ path: String) throws {
        try use { handle in try abiCall { err in path.withCString { ops.remove(handle, $0, err) } } }
    }

    /// Whether the connector removes many files in one call (ABI 1.4 `remove_many`).
    public var removesMany: Bool { ops.remove_many != nil }

    /// Removes `paths` (files) in one call: each path's outcome in order, nil where it was removed
    /// (or already gone). Throws when the call failed as a whole.
    public func removeMany(_ paths: [String]) throws -> [ConnectorError?] {
        guard let removeMany = ops.remove_many else {
            throw ConnectorError(.unsupported, "\(plugin.name) cannot remove many files at once")
        }
        let copies = paths.map { strdup($0)! }
        defer { for copy in copies { free(copy) } }
        let outcomes = RemovalOutcomes(count: paths.count, plugin: plugin.name)
        try use { handle in
            try abiCall { err in
                copies.map { UnsafePointer($0) as UnsafePointer<CChar>? }.withUnsafeBufferPointer { list in
                    removeMany(
                        handle, list.baseAddress, UInt32(list.count),
                        { ctx, index, code, message in
                            guard let ctx else { return }
                            Unmanaged<RemovalOutcomes>.fromOpaque(ctx).takeUnretainedValue().report(
                                Int(index), code, message.map { String(cString: $0) })
                        }, Unmanaged.passUnretained(outcomes).toOpaque(), err)
                }
            }
        }
        return outcomes.results
    }

    public func rmdir(_ path: String) throws {
        try use { handle in try abiCall { err in path.withCString { ops.rmdir(handle, $0, err) } } }
    }

    public func move(_ from: String, to: String) throws {
        guard let move = ops.move else {
            throw ConnectorError(.unsupported, "\(plugin.name) cannot move on the server")
        }
        try use { handle in try abiCall { err in from.withCString { f in to.withCString { move(handle, f, $0, err) } } }
        }
    }

    public func copy(_ from: String, to: String) throws {
        guard let copy = ops.copy else {
            throw ConnectorError(.unsupported, "\(plugin.name) cannot copy on the server")
        }
        try use { handle in try abiCall { err in from.withCString { f in to.withCString { copy(handle, f, $0, err) } } }
        }
    }

    public struct About: Sendable {
        public var total: Int64?, used: Int64?, free: Int64?, trashed: Int64?
    }

    /// Whether the connector reports quota (`about`): a call that always goes to the store.
    public var hasAbout: Bool { ops.about != nil }

    public func about() throws -> About {
        guard let about = ops.about else { throw ConnectorError(.unsupported, "\(plugin.name) reports no quota") }
        var out = sc_about()
        out.struct_size = UInt32(MemoryLayout<sc_about>.size)
        out.total_bytes = -1
        out.used_bytes = -1
        out.free_bytes = -1
        out.trashed_bytes = -1
        try use { handle in try abiCall { err in about(handle, &out, err) } }
        func known(_ v: Int64) -> Int64? { v >= 0 ? v : nil }
        return About(
            total: known(out.total_bytes), used: known(out.used_bytes), free: known(out.free_bytes),
            trashed: known(out.trashed_bytes))
    }

    public var hasHash: Bool { ops.hash != nil }

    public func hash(_ path: String, kind: HashKind) throws -> String {
        guard let hash = ops.hash else { throw ConnectorError(.unsupported, "\(plugin.name) cannot hash on demand") }
        var buffer = [CChar](repeating: 0, count: Int(SC_HASH_VALUE_MAX))
        try use { handle in
            try abiCall { err in
                path.withCString { p in
                    buffer.withUnsafeMutableBufferPointer { hash(handle, p, kind.rawValue, $0.baseAddress, err) }
                }
            }
        }
        buffer[buffer.count - 1] = 0
        return buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }

    // MARK: Data

    /// Opens a reader of `length` bytes (nil: to the end) from `offset`.
    public func openReader(_ path: String, offset: Int64 = 0, length: Int64? = nil) throws -> Reader {
        try openReader(slot: "open_reader") { session, out, err in
            path.withCString { ops.open_reader(session, $0, offset, length ?? -1, out, err) }
        }
    }

    /// Runs one reader-opening call with the session held for the reader's lifetime.
    private func openReader(
        slot: String,
        _ call: (OpaquePointer, UnsafeMutablePointer<OpaquePointer?>, UnsafeMutablePointer<sc_error>) -> sc_code
    ) throws -> Reader {
        var out: OpaquePointer?
        let owner = acquire()
        do {
            try abiCall { err in call(owner.pointer, &out, err) }
        } catch {
            owner.release()
            throw error
        }
        guard let out else {
            owner.release()
            throw ConnectorError(.internal, "\(plugin.name): \(slot) succeeded without a reader")
        }
        return Reader(session: self, owner: owner, handle: out)
    }

    /// Whether files can be read by their listing id (ABI 1.1).
    public var canReadByID: Bool { ops.open_reader_id != nil }

    /// Opens a reader of the file the store knows by `id` (from a listing entry).
    public func openReader(id: String, offset: Int64 = 0, length: Int64? = nil) throws -> Reader {
        guard let open = ops.open_reader_id else {
            throw ConnectorError(.unsupported, "\(plugin.name) cannot read by id")
        }
        return try openReader(slot: "open_reader_id") { session, out, err in
            id.withCString { open(session, $0, offset, length ?? -1, out, err) }
        }
    }

    public struct WriteOptions {
        public var size: Int64?
        public var mtimeNanoseconds: Int64?
        public var replace: Bool
        public var wantHashes: [HashKind]
        public var resumeToken: String?
        /// Receives resume tokens at the connector's checkpoints (token, confirmed offset).
        public var onResumeToken: ((String, Int64) -> Void)?
        /// Hashes of the content known before it is sent (ABI 1.3); the caller promises to check
        /// every byte it writes against them before finishing.
        public var knownHashes: [HashKind: String]

        public init(
            size: Int64?, mtimeNanoseconds: Int64? = nil, replace: Bool = false, wantHashes: [HashKind] = [],
            resumeToken: String? = nil, onResumeToken: ((String, Int64) -> Void)? = nil,
            knownHashes: [HashKind: String] = [:]
        ) {
            self.knownHashes = knownHashes
            self.size = size
            self.mtimeNanoseconds = mtimeNanoseconds
            self.replace = replace
            self.wantHashes = wantHashes
            self.resumeToken = resumeToken
            self.onResumeToken = onResumeToken
        }
    }

    /// Opens a writer. `startOffset` of the result says where the host must continue from: non-zero
    /// when a resume token was accepted, or the size when the store already holds content with one
    /// of the known hashes.
    public func openWriter(_ path: String, options: WriteOptions) throws -> Writer {
        let resume = options.onResumeToken.map { ResumeSink($0) }
        var out: OpaquePointer?
        var offset: Int64 = 0
        var raw = sc_write_options()
        raw.struct_size = UInt32(MemoryLayout<sc_write_options>.size)
        raw.flags = options.replace ? SC_WRITE_REPLACE : 0
        raw.size = options.size ?? Int64(SC_SIZE_UNKNOWN)
        raw.mtime_ns = options.mtimeNanoseconds ?? Int64.min
        raw.want_hashes = HashKind.set(of: options.wantHashes)
        if let resume {
            raw.on_resume = { ctx, token, confirmed in
                guard let ctx, let token else { return }
                Unmanaged<ResumeSink>.fromOpaque(ctx).takeUnretainedValue().body(String(cString: token), confirmed)
            }
            raw.resume_ctx = Unmanaged.passUnretained(resume).toOpaque()
        }
        let known = options.knownHashes.sorted { $0.key < $1.key }
        let values = known.map { strdup($0.value)! }
        defer { for value in values { free(value) } }
        let hashes = zip(known, values).map { sc_hash(kind: $0.0.key.rawValue, reserved: 0, value: $0.1) }
        let owner = acquire()
        do {
            try abiCall { err in
                path.withCString { p in
                    withOptionalCString(options.resumeToken) { token in
                        hashes.withUnsafeBufferPointer { list in
                            raw.resume_token = token
                            raw.hashes = list.isEmpty ? nil : list.baseAddress
                            raw.hash_count = UInt32(list.count)
                            return ops.open_writer(owner.pointer, p, &raw, &out, &offset, err)
                        }
                    }
                }
            }
        } catch {
            owner.release()
            throw error
        }
        guard let out else {
            owner.release()
            throw ConnectorError(.internal, "\(plugin.name): open_writer succeeded without a writer")
        }
        return Writer(session: self, owner: owner, handle: out, startOffset: offset, resumeSink: resume)
    }

    // MARK: Handles

    /// A ranged read of one file. Use from one thread at a time.
    public final class Reader {
        let session: Session
        /// The connector session it was opened on, held until it is closed.
        private let owner: Handle
        private var handle: OpaquePointer?

        init(session: Session, owner: Handle, handle: OpaquePointer) {
            self.session = session
            self.owner = owner
            self.handle = handle
        }

        deinit { close() }

        /// Reads into `buffer`; 0 means the end of the range.
        public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
            guard let handle else { throw ConnectorError(.invalidArgument, "read after close") }
            var count = 0
            try abiCall { err in session.ops.read(handle, buffer.baseAddress, buffer.count, &count, err) }
            guard count <= buffer.count else {
                throw ConnectorError(
                    .internal, "\(session.plugin.name): read reported \(count) bytes into a \(buffer.count)-byte buffer"
                )
            }
            return count
        }

        public func close() {
            guard let h = handle else { return }
            handle = nil
            session.ops.close_reader(h)
            owner.release()
        }

        /// What the reader learned of its file when it opened (ABI 1.2 `reader_entry`): nil when
        /// the connector has no such call or this reader knows nothing beyond the listing.
        public func describedEntry() -> Entry? {
            guard let h = handle, let describe = session.ops.reader_entry else { return nil }
            return try? singleEntry { fn, ctx, err in describe(h, fn, ctx, err) }
        }
    }

    /// Whether readers can describe their file (ABI 1.2 `reader_entry`).
    public var readersDescribeFiles: Bool { ops.reader_entry != nil }

    /// One upload. Use from one thread at a time; end it with finish() or abort().
    public final class Writer {
        let session: Session
        /// The connector session it was opened on, held until it is finished, aborted or suspended.
        private let owner: Handle
        private var handle: OpaquePointer?
        public let startOffset: Int64
        private let resumeSink: ResumeSink?

        init(session: Session, owner: Handle, handle: OpaquePointer, startOffset: Int64, resumeSink: ResumeSink?) {
            self.session = session
            self.owner = owner
            self.handle = handle
            self.startOffset = startOffset
            self.resumeSink = resumeSink
        }

        /// An abandoned writer is aborted, so nothing half-written remains.
        deinit { abort() }

        public func write(_ bytes: UnsafeRawBufferPointer) throws {
            guard let handle else { throw ConnectorError(.invalidArgument, "write after finish or abort") }
            try abiCall { err in session.ops.write(handle, bytes.baseAddress, bytes.count, err) }
        }

        public func finish() throws -> Entry {
            guard let h = handle else { throw ConnectorError(.invalidArgument, "finish after finish or abort") }
            handle = nil  // released by finish whatever its outcome
            defer { owner.release() }
            return try withExtendedLifetime(resumeSink) {
                try singleEntry { fn, ctx, err in session.ops.finish(h, fn, ctx, err) }
            }
        }

        public func abort() {
            guard let h = handle else { return }
            handle = nil
            session.ops.abort(h)
            owner.release()
        }

        /// Whether suspend() keeps the upload resumable (else it aborts).
        public var canSuspend: Bool { session.ops.suspend != nil }

        /// Stops without discarding the upload, so a later openWriter with the last resume token
        /// continues it. Falls back to abort() when the connector cannot suspend.
        public func suspend() {
            guard let h = handle else { return }
            handle = nil
            if let suspend = session.ops.suspend { suspend(h) } else { session.ops.abort(h) }
            owner.release()
        }
    }
}

final class ResumeSink {
    let body: (String, Int64) -> Void
    init(_ body: @escaping (String, Int64) -> Void) { self.body = body }
}

func withOptionalCString<R>(_ s: String?, _ body: (UnsafePointer<CChar>?) throws -> R) rethrows -> R {
    guard let s else { return try body(nil) }
    return try s.withCString { try body($0) }
}

/// What remove_many reported, path by path; an index out of range (a connector's mistake) is
/// ignored, and a path never reported stays a failure.
// Unchecked: filled by callbacks on the calling thread during the call, read after it.
final class RemovalOutcomes: @unchecked Sendable {
    var results: [ConnectorError?]

    init(count: Int, plugin: String) {
        results = Array(
            repeating: ConnectorError(.internal, "\(plugin): remove_many reported nothing for it"), count: count)
    }

    func report(_ index: Int, _ code: sc_code, _ message: String?) {
        guard results.indices.contains(index) else { return }
        results[index] =
            code == SC_OK || code == SC_ERR_NOT_FOUND
            ? nil : ConnectorError(ErrorCode(abi: code), message ?? "removal failed")
    }
}
