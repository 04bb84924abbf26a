import CLibssh2
import ConnectorKit
import Foundation

/// One large upload spread over several sessions: parts of the partial file are written at their
/// offsets, each on a thread and a session of its own. libssh2 1.10 encrypts one 16-byte block per
/// OpenSSL call, which makes one session CPU-bound far below what the link carries; with parts in
/// flight on several sessions, that work runs on every core. At most `sessions` parts are in
/// memory and in flight; the next `submit` waits for a slot.
// Unchecked: its bookkeeping is under `lock`; each part's buffer belongs to one thread at a time.
final class SFTPParallelWrite: @unchecked Sendable {
    private let pool: ConnectionPool
    private let remote: String
    private let path: String
    private let slots: DispatchSemaphore
    private let group = DispatchGroup()
    private let lock = NSLock()
    private var failure: Error?
    private var done: [Int64: Int64] = [:]  // offset → length, parts not yet part of the prefix
    private var prefix: Int64
    private var spare: [UnsafeMutableRawBufferPointer] = []
    let partSize: Int
    /// Bytes in flight on one session's part at a time.
    static let pipelineBytes = 1 << 20

    init(pool: ConnectionPool, remote: String, path: String, sessions: Int, partSize: Int, from offset: Int64) {
        self.pool = pool
        self.remote = remote
        self.path = path
        self.partSize = partSize
        slots = DispatchSemaphore(value: sessions)
        prefix = offset
    }

    deinit {
        for buffer in spare { buffer.deallocate() }
    }

    /// Bytes from the start that the server has acknowledged without a gap: what a resume token
    /// may promise.
    var confirmed: Int64 {
        lock.lock()
        defer { lock.unlock() }
        return prefix
    }

    /// A buffer of `partSize` bytes, from a finished part or new.
    func buffer() -> UnsafeMutableRawBufferPointer {
        lock.lock()
        defer { lock.unlock() }
        return spare.popLast() ?? .allocate(byteCount: partSize, alignment: 64)
    }

    /// Throws the first part's failure, so the writer stops early.
    func check() throws {
        lock.lock()
        defer { lock.unlock() }
        if let failure { throw failure }
    }

    /// Writes `count` bytes of `bytes` at `offset` on a thread of its own; the buffer comes back
    /// to `buffer()` when done. Blocks while every slot is busy.
    func submit(_ bytes: UnsafeMutableRawBufferPointer, count: Int, at offset: Int64) throws {
        slots.wait()
        do { try check() } catch {
            slots.signal()
            recycle(bytes)
            throw error
        }
        group.enter()
        let part = Part(bytes: bytes)
        let thread = Thread { [self] in
            let bytes = part.bytes
            defer {
                slots.signal()
                group.leave()
            }
            do {
                try pool.with(retry: { false }) { c in try write(bytes, count: count, at: offset, on: c) }
                lock.lock()
                done[offset] = Int64(count)
                while let length = done.removeValue(forKey: prefix) { prefix += length }
                lock.unlock()
            } catch {
                lock.lock()
                if failure == nil { failure = error }
                lock.unlock()
            }
            recycle(bytes)
        }
        thread.stackSize = 512 << 10
        thread.start()
    }

    /// Waits for every part in flight; throws the first failure.
    func wait() throws {
        group.wait()
        try check()
    }

    func recycle(_ bytes: UnsafeMutableRawBufferPointer) {
        lock.lock()
        spare.append(bytes)
        lock.unlock()
    }

    private func write(_ bytes: UnsafeMutableRawBufferPointer, count: Int, at offset: Int64, on c: SSHConnection)
        throws
    {
        guard
            let handle = libssh2_sftp_open_ex(
                c.sftp, remote, UInt32(remote.utf8.count), UInt(LIBSSH2_FXF_WRITE), 0, LIBSSH2_SFTP_OPENFILE)
        else {
            throw c.failure(libssh2_session_last_errno(c.session), "write", path)
        }
        libssh2_sftp_seek64(handle, UInt64(offset))
        var next = bytes.baseAddress!.assumingMemoryBound(to: CChar.self)
        var left = count
        while left > 0 {
            // libssh2 copies all it is handed into queued packets: a window of `pipelineBytes`
            // keeps that copy small while the part stays pipelined. The window only moves forward,
            // as libssh2 requires of a write it has partly sent.
            let n = libssh2_sftp_write(handle, next, min(left, SFTPParallelWrite.pipelineBytes))
            guard n > 0 else {
                let failure = c.failure(Int32(n), "write", path)
                if !c.isBroken { libssh2_sftp_close_handle(handle) }
                throw failure
            }
            next += n
            left -= n
        }
        let closed = libssh2_sftp_close_handle(handle)
        guard closed == 0 else { throw c.failure(closed, "write", path) }
    }
}

/// A part's buffer, handed to the thread that writes it (and to no one else meanwhile).
// Unchecked: a raw buffer owned by the one thread writing it.
private struct Part: @unchecked Sendable {
    let bytes: UnsafeMutableRawBufferPointer
}
