import CLibssh2
import ConnectorKit

/// A ranged read on a session of its own. libssh2 keeps up to four times the caller's buffer in
/// READ requests in flight, so the host's 1 MiB buffers give a deep pipeline.
final class SFTPReader: ConnectorReader {
    private let pool: ConnectionPool
    private let connection: SSHConnection
    private let handle: OpaquePointer
    private let path: String
    private let remote: String
    private var remaining: Int64?
    private var closed = false

    init(connector: SFTPConnector, path: String, offset: Int64, length: Int64?) throws {
        let remote = try connector.paths.remote(path)
        pool = connector.pool
        self.path = path
        self.remote = remote
        remaining = length
        // Opening is safe to repeat: a session found dead gets one retry on a fresh one.
        (connection, handle) = try pool.keep { c in
            guard
                let handle = libssh2_sftp_open_ex(
                    c.sftp, remote, UInt32(remote.utf8.count), UInt(LIBSSH2_FXF_READ), 0, LIBSSH2_SFTP_OPENFILE)
            else {
                throw c.failure(libssh2_session_last_errno(c.session), "read", path)
            }
            return handle
        }
        if offset > 0 { libssh2_sftp_seek64(handle, UInt64(offset)) }
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        var wanted = buffer.count
        if let remaining { wanted = Int(min(Int64(wanted), remaining)) }
        guard wanted > 0 else { return 0 }
        let n = libssh2_sftp_read(handle, buffer.baseAddress!.assumingMemoryBound(to: CChar.self), wanted)
        guard n >= 0 else {
            let failure = connection.failure(Int32(n), "read", path)
            // OpenSSH opens a folder for reading and fails only at the first read.
            if connection.sftpStatus(Int32(n)) == LIBSSH2_FX_FAILURE,
                let attrs = try? SFTPListing.attributes(connection, remote, shown: path),
                SFTPListing.entry(path, attrs)?.isDirectory == true
            {
                throw ConnectorFailure(.isADirectory, "sftp: read '\(path)': a folder")
            }
            throw failure
        }
        if remaining != nil { remaining! -= Int64(n) }
        return n
    }

    func close() {
        guard !closed else { return }
        closed = true
        if !connection.isBroken { libssh2_sftp_close_handle(handle) }
        pool.give(connection)
    }
}
