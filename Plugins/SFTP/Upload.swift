import CLibssh2
import ConnectorKit
import Foundation

/// Writes into a hidden partial file beside the target on a session of its own, then, in
/// `finish`: sets the mtime, closes, has the server hash the bytes it holds (when asked and
/// able), and renames the file into place, so nobody ever sees half a file. The partial file's
/// name is fixed per target and the resume token holds the confirmed offset: a later run continues
/// a large upload where this one stopped.
final class SFTPWriter: SuspendableWriter {
    private let connector: SFTPConnector
    private let connection: SSHConnection
    private var handle: OpaquePointer?
    private let path: String
    private let target: String
    private let partial: String
    private let options: WriteOptions
    private var written: Int64
    private(set) var startOffset: Int64 = 0
    private var lastCheckpoint: Int64 = 0
    private var truncateAtFinish = false
    private var released = false
    /// Kinds the host wants that the server cannot compute: hashed here from the bytes sent.
    private var localHasher: MultiHasher?
    private static let checkpointInterval: Int64 = 8 << 20
    private static let tokenPrefix = "sftp-partial:"
    /// A large file's parts on several sessions at once (nil: all on this writer's session).
    private var parallel: SFTPParallelWrite?
    private var part: UnsafeMutableRawBufferPointer?
    /// The server hashing a parallel upload as its gap-free prefix grows (nil: hashed at the end).
    private var streaming: StreamingHash?
    private var partFill = 0
    /// Files at least this large go up in parts on several sessions.
    static let parallelThreshold: Int64 = 64 << 20

    init(connector: SFTPConnector, path: String, options: WriteOptions) throws {
        guard !path.isEmpty else { throw ConnectorFailure(.isADirectory, "sftp: write: the root is a folder") }
        self.connector = connector
        self.path = path
        self.options = options
        target = try connector.paths.remote(path)
        let (parent, name) = SFTPPaths.split(path)
        partial = try connector.paths.remote(
            parent.isEmpty ? PartialFile.name(for: name) : parent + "/" + PartialFile.name(for: name))
        var confirmed = options.resumeToken.flatMap(SFTPWriter.parseToken)
        var resumedAt: Int64?
        var local: Set<HashKind> = []
        (connection, handle) = try connector.pool.keep { [partial] c in
            local = options.wantHashes.subtracting(connector.hasher.kinds(using: c))
            // Bytes sent by an earlier run cannot be hashed here: without the server's hashes, start over.
            if !local.isEmpty { confirmed = nil }
            if let confirmed, let resumed = SFTPWriter.reopen(c, partial, at: confirmed, size: options.size) {
                resumedAt = confirmed
                return resumed
            }
            if let created = SFTPWriter.create(c, partial) { return created }
            // The common case costs no round trip for the folder: only a missing one is made.
            guard c.sftpStatus(libssh2_session_last_errno(c.session)) == LIBSSH2_FX_NO_SUCH_FILE else {
                throw c.failure(libssh2_session_last_errno(c.session), "write", path)
            }
            try connector.makeDirectories(parent, on: c)
            guard let created = SFTPWriter.create(c, partial) else {
                throw c.failure(libssh2_session_last_errno(c.session), "write", path)
            }
            return created
        }
        localHasher = local.isEmpty ? nil : MultiHasher(local, size: options.size)
        if connector.sessionsPerFile > 1, let size = options.size, size >= SFTPWriter.parallelThreshold {
            parallel = SFTPParallelWrite(
                pool: connector.pool, remote: partial, path: path, sessions: connector.sessionsPerFile,
                partSize: 8 << 20, from: resumedAt ?? 0)
            let kinds = options.wantHashes.intersection(connector.hasher.kinds(using: connection))
            if let kind = [HashKind.sha1, .md5].first(where: kinds.contains),
                let program = connector.hasher.streamingProgram(kind, using: connection)
            {
                streaming = try? StreamingHash(kind: kind, program: program, file: partial, on: connection)
            }
        }
        if let resumedAt {
            written = resumedAt
            startOffset = resumedAt
            lastCheckpoint = resumedAt
            truncateAtFinish = true
        } else {
            written = 0
            if confirmed != nil {
                connector.host.log(.info, "sftp: cannot resume '\(path)' (partial file gone or shorter): starting over")
            }
        }
    }

    private static func create(_ c: SSHConnection, _ remote: String) -> OpaquePointer? {
        let flags = UInt(LIBSSH2_FXF_WRITE | LIBSSH2_FXF_CREAT | LIBSSH2_FXF_TRUNC)
        return libssh2_sftp_open_ex(c.sftp, remote, UInt32(remote.utf8.count), flags, 0o644, LIBSSH2_SFTP_OPENFILE)
    }

    /// The partial file opened to continue at `confirmed`, when it still holds that many bytes.
    private static func reopen(_ c: SSHConnection, _ remote: String, at confirmed: Int64, size: Int64?)
        -> OpaquePointer?
    {
        if let size, confirmed > size { return nil }
        guard
            let handle = libssh2_sftp_open_ex(
                c.sftp, remote, UInt32(remote.utf8.count), UInt(LIBSSH2_FXF_WRITE), 0, LIBSSH2_SFTP_OPENFILE)
        else { return nil }
        var attrs = LIBSSH2_SFTP_ATTRIBUTES()
        guard libssh2_sftp_fstat_ex(handle, &attrs, 0) == 0, attrs.flags & UInt(LIBSSH2_SFTP_ATTR_SIZE) != 0,
            Int64(attrs.filesize) >= confirmed
        else {
            libssh2_sftp_close_handle(handle)
            return nil
        }
        libssh2_sftp_seek64(handle, UInt64(confirmed))
        return handle
    }

    static func parseToken(_ token: String) -> Int64? {
        guard token.hasPrefix(tokenPrefix) else { return nil }
        return Int64(token.dropFirst(tokenPrefix.count)).flatMap { $0 >= 0 ? $0 : nil }
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        if let parallel {
            try writeInParts(bytes, parallel)
        } else {
            try writeHere(bytes)
        }
        let confirmed = parallel?.confirmed ?? written
        feedStreamingHash(confirmed)
        if let checkpoint = options.checkpoint, confirmed - lastCheckpoint >= SFTPWriter.checkpointInterval {
            lastCheckpoint = confirmed
            checkpoint(SFTPWriter.tokenPrefix + String(confirmed), confirmed)
        }
    }

    /// Lets the server's running hash read what is confirmed; on any trouble it is dropped, and the
    /// file is hashed after the upload instead.
    private func feedStreamingHash(_ confirmed: Int64) {
        guard let streaming else { return }
        do { try streaming.advance(to: confirmed) } catch {
            streaming.close()
            self.streaming = nil
        }
    }

    /// Gathers parts and hands each full one to the sessions writing in parallel.
    private func writeInParts(_ bytes: UnsafeRawBufferPointer, _ parallel: SFTPParallelWrite) throws {
        guard handle != nil else { throw ConnectorFailure(.internal, "sftp: write '\(path)' already ended") }
        var offset = 0
        while offset < bytes.count {
            let buffer = part ?? parallel.buffer()
            part = buffer
            let n = min(bytes.count - offset, parallel.partSize - partFill)
            let source = UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + n])
            buffer.baseAddress!.advanced(by: partFill).copyMemory(from: source.baseAddress!, byteCount: n)
            localHasher?.update(source)
            partFill += n
            offset += n
            if partFill == parallel.partSize { try submitPart(parallel) }
        }
    }

    private func submitPart(_ parallel: SFTPParallelWrite) throws {
        guard let buffer = part, partFill > 0 else { return }
        let at = written
        written += Int64(partFill)
        part = nil
        let count = partFill
        partFill = 0
        try parallel.submit(buffer, count: count, at: at)
    }

    private func writeHere(_ bytes: UnsafeRawBufferPointer) throws {
        guard let handle, var next = bytes.baseAddress?.assumingMemoryBound(to: CChar.self) else { return }
        var left = bytes.count
        // libssh2 may already have sent the tail it has not acknowledged: the buffer stays as is
        // until every byte is acknowledged.
        while left > 0 {
            let n = libssh2_sftp_write(handle, next, left)
            guard n > 0 else { throw connection.failure(Int32(n), "write", path) }
            localHasher?.update(UnsafeRawBufferPointer(start: next, count: n))
            next += n
            left -= n
            written += Int64(n)
        }
    }

    func finish() throws -> ConnectorEntry {
        do {
            let entry = try finishing()
            release()
            return entry
        } catch let failure as ConnectorFailure where failure.code != .transient {
            // Nothing to resume from a refusal (a folder in the way, a short write): the host may
            // not call abort after a failed finish, so nothing is left behind now.
            abort()
            throw failure
        }
    }

    private func finishing() throws -> ConnectorEntry {
        if let parallel {
            try submitPart(parallel)
            try parallel.wait()
        }
        guard let open = handle else { throw ConnectorFailure(.internal, "sftp: write '\(path)' already ended") }
        if let size = options.size, size != written {
            throw ConnectorFailure(.invalidArgument, "sftp: write '\(path)': \(written) bytes sent, \(size) announced")
        }
        var seconds: Int64?
        var attrs = LIBSSH2_SFTP_ATTRIBUTES()
        if let mtime = options.mtimeNanoseconds, mtime >= 0 {
            seconds = mtime / 1_000_000_000
            attrs.flags |= UInt(LIBSSH2_SFTP_ATTR_ACMODTIME)
            attrs.atime = UInt(seconds!)
            attrs.mtime = UInt(seconds!)
        }
        if truncateAtFinish {
            // A resumed file may hold bytes written after its last checkpoint: cut them.
            attrs.flags |= UInt(LIBSSH2_SFTP_ATTR_SIZE)
            attrs.filesize = UInt64(written)
        }
        if attrs.flags != 0 {
            let rc = libssh2_sftp_fstat_ex(open, &attrs, 1)
            guard rc == 0 else { throw connection.failure(rc, "set the time of", path) }
        }
        handle = nil
        // A failed close can mean lost data (a server that writes on close): it is checked.
        let closed = libssh2_sftp_close_handle(open)
        guard closed == 0 else { throw connection.failure(closed, "write", path) }
        // The server hashes what it stored, before the file is visible under its name.
        var hashes = localHasher?.finalize() ?? [:]
        if let streaming {
            self.streaming = nil
            if let digest = try? streaming.finish(total: written) {
                hashes[streaming.kind] = digest
                connector.host.log(.debug, "sftp: '\(path)' was hashed by the server while it was written")
            } else if connection.isBroken {
                throw ConnectorFailure(.transient, "sftp: the session was lost while '\(path)' was checked")
            }
        }
        for kind in options.wantHashes.intersection(connector.hasher.kinds(using: connection)).sorted()
        where hashes[kind] == nil {
            guard let digest = try connector.hasher.hash([partial], kind, using: connection)?.first ?? nil else {
                throw ConnectorFailure(.transient, "sftp: the server could not hash '\(path)' after writing it")
            }
            hashes[kind] = digest
        }
        try connector.renameIntoPlace(partial, target, path, replace: options.replace, on: connection)
        return ConnectorEntry(
            path: path, isDirectory: false, size: written, mtimeNanoseconds: seconds.map { $0 * 1_000_000_000 },
            hashes: hashes)
    }

    func abort() {
        guard !released else { return }
        streaming?.close()
        streaming = nil
        try? parallel?.wait()  // parts in flight end before their file goes
        if let open = handle, !connection.isBroken { libssh2_sftp_close_handle(open) }
        handle = nil
        if !connection.isBroken { libssh2_sftp_unlink_ex(connection.sftp, partial, UInt32(partial.utf8.count)) }
        release()
    }

    /// Stops, keeping the partial file for the resume token a checkpoint handed out.
    func suspend() {
        guard !released else { return }
        streaming?.close()
        streaming = nil
        try? parallel?.wait()
        if let open = handle, !connection.isBroken { libssh2_sftp_close_handle(open) }
        handle = nil
        release()
    }

    /// The session goes back to the pool once, whichever way the upload ends.
    private func release() {
        guard !released else { return }
        released = true
        if let part { parallel?.recycle(part) }
        part = nil
        connector.pool.give(connection)
    }
}
