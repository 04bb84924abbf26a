import CLibssh2
import ConnectorKit

/// libssh2's answers as ABI errors. Two layers fail differently: the SSH transport (the session is
/// dead and must be replaced) and the SFTP server's status codes (the session is fine).
enum SFTPErrors {
    /// Codes after which a session is unusable: libssh2 keeps no state it could resume from.
    static func isTransport(_ rc: Int32) -> Bool {
        switch rc {
        case LIBSSH2_ERROR_SOCKET_SEND, LIBSSH2_ERROR_SOCKET_RECV, LIBSSH2_ERROR_SOCKET_DISCONNECT,
            LIBSSH2_ERROR_TIMEOUT, LIBSSH2_ERROR_SOCKET_TIMEOUT, LIBSSH2_ERROR_CHANNEL_CLOSED,
            LIBSSH2_ERROR_CHANNEL_EOF_SENT, LIBSSH2_ERROR_PROTO, LIBSSH2_ERROR_KEX_FAILURE,
            LIBSSH2_ERROR_KEY_EXCHANGE_FAILURE, LIBSSH2_ERROR_BANNER_RECV, LIBSSH2_ERROR_BANNER_SEND,
            LIBSSH2_ERROR_DECRYPT, LIBSSH2_ERROR_BAD_USE, LIBSSH2_ERROR_SOCKET_NONE:
            true
        default:
            false
        }
    }

    /// The ABI code and a few words for an SFTP status (SSH_FX_*).
    static func status(_ fx: UInt) -> (ErrorCode, String) {
        switch fx {
        case LIBSSH2_FX_NO_SUCH_FILE, LIBSSH2_FX_NO_SUCH_PATH: (.notFound, "no such file or folder")
        case LIBSSH2_FX_PERMISSION_DENIED, LIBSSH2_FX_WRITE_PROTECT: (.permission, "permission denied")
        case LIBSSH2_FX_FILE_ALREADY_EXISTS: (.exists, "already exists")
        case LIBSSH2_FX_NO_SPACE_ON_FILESYSTEM: (.quota, "no space left on the server's disk")
        case LIBSSH2_FX_QUOTA_EXCEEDED: (.quota, "quota exceeded")
        case LIBSSH2_FX_OP_UNSUPPORTED: (.unsupported, "the server does not support this")
        case LIBSSH2_FX_NO_CONNECTION, LIBSSH2_FX_CONNECTION_LOST: (.transient, "connection lost")
        case LIBSSH2_FX_DIR_NOT_EMPTY: (.notEmpty, "folder not empty")
        case LIBSSH2_FX_NOT_A_DIRECTORY: (.notADirectory, "not a folder")
        case LIBSSH2_FX_INVALID_FILENAME: (.invalidArgument, "invalid file name")
        case LIBSSH2_FX_LOCK_CONFLICT: (.transient, "locked")
        // OpenSSH (SFTP v3) says FAILURE for "exists", "not empty" and "target exists" alike;
        // callers that can tell which look before they report.
        default: (.internal, "the server refused (SFTP status \(fx))")
        }
    }
}

extension SFTPErrors {
    /// The error for an SFTP status the caller already read.
    static func failure(status fx: UInt, _ operation: String, _ path: String) -> ConnectorFailure {
        let (code, text) = status(fx)
        return ConnectorFailure(code, "sftp: \(operation) '\(path.isEmpty ? "/" : path)': \(text)")
    }
}

extension SSHConnection {
    /// The error of the last failed call on this session, for `operation` on `path` (an account
    /// path, as the user knows it). A transport failure marks the session broken.
    func failure(_ rc: Int32, _ operation: String, _ path: String) -> ConnectorFailure {
        let shown = path.isEmpty ? "/" : path
        if let fx = sftpStatus(rc) { return SFTPErrors.failure(status: fx, operation, path) }
        if SFTPErrors.isTransport(rc) { markBroken() }
        let code: ErrorCode = SFTPErrors.isTransport(rc) ? .transient : .internal
        return ConnectorFailure(code, "sftp: \(operation) '\(shown)': \(lastErrorMessage(rc)) (\(label))")
    }

    /// The SFTP status of the last failed call (LIBSSH2_FX_*), or nil for a transport-level failure.
    func sftpStatus(_ rc: Int32) -> UInt? {
        rc == LIBSSH2_ERROR_SFTP_PROTOCOL ? libssh2_sftp_last_error(sftp) : nil
    }

    /// libssh2's text for the session's last error.
    func lastErrorMessage(_ rc: Int32) -> String { SSHConnection.message(session, rc) }
}
