import CSyncConnector
import Foundation

/// An error with an explicit ABI code. Throw it from a connector to control how the host reacts
/// (the same type the host sees as `ConnectorError`).
public typealias ConnectorFailure = ConnectorError

extension ConnectorError {
    /// Maps an errno from a system call on `path` to the ABI code a host should act on.
    public static func posix(_ err: Int32, _ operation: String, _ path: String) -> ConnectorFailure {
        let text = String(cString: strerror(err))
        let shown = path.isEmpty ? "/" : path
        let code: ErrorCode
        switch err {
        case ENOENT: code = .notFound
        case EEXIST: code = .exists
        case ENOTEMPTY: code = .notEmpty
        case ENOTDIR: code = .notADirectory
        case EISDIR: code = .isADirectory
        case EACCES, EPERM, EROFS: code = .permission
        case ENOSPC, EDQUOT, EFBIG: code = .quota
        case ENAMETOOLONG, EINVAL, ELOOP: code = .invalidArgument
        case EINTR, EAGAIN, EIO, EBUSY, ETIMEDOUT: code = .transient
        default: code = .internal
        }
        return ConnectorFailure(code, "\(operation) '\(shown)': \(text)")
    }

    /// Any error thrown by connector code, as the ABI sees it.
    static func from(_ error: Error) -> ConnectorFailure {
        if let failure = error as? ConnectorFailure { return failure }
        let ns = error as NSError
        if ns.domain == NSPOSIXErrorDomain {
            return posix(Int32(ns.code), "operation", "")
        }
        if let underlying = ns.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
            return ConnectorFailure(posix(Int32(underlying.code), "", "").code, ns.localizedDescription)
        }
        return ConnectorFailure(.internal, String(describing: error))
    }

    /// Writes this failure into the host's error struct and returns the code.
    func fill(_ err: UnsafeMutablePointer<sc_error>?) -> sc_code {
        guard let err else { return code.rawValue }
        err.pointee.code = code.rawValue
        err.pointee.http_status = Int32(httpStatus)
        err.pointee.retry_after_ms = retryAfterMilliseconds
        let all = Array(message.utf8)
        var cut = min(all.count, Int(SC_ERROR_MESSAGE_SIZE) - 1)
        // Cut on a character boundary: never leave half a UTF-8 sequence.
        while cut < all.count, cut > 0, all[cut] & 0xC0 == 0x80 { cut -= 1 }
        let bytes = all[..<cut]
        withUnsafeMutableBytes(of: &err.pointee.message) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        return code.rawValue
    }
}
