import CSyncConnector

/// The ABI's result codes (`SC_ERR_*`) as a Swift enum. Unknown codes from newer connectors map to
/// `.internal` so a host never misreads them as retryable.
public enum ErrorCode: Int32, Sendable, CustomStringConvertible {
    case notFound = 1
    case exists = 2
    case auth = 3
    case rateLimited = 4
    case transient = 5
    case quota = 6
    case invalidArgument = 7
    case unsupported = 8
    case cancelled = 9
    case corrupt = 10
    case `internal` = 11
    case notEmpty = 12
    case notADirectory = 13
    case isADirectory = 14
    case permission = 15

    public init(abi code: sc_code) { self = ErrorCode(rawValue: code) ?? .internal }

    public var description: String {
        switch self {
        case .notFound: "not found"
        case .exists: "already exists"
        case .auth: "authentication failed"
        case .rateLimited: "rate limited"
        case .transient: "temporary failure"
        case .quota: "quota exceeded"
        case .invalidArgument: "invalid argument"
        case .unsupported: "not supported"
        case .cancelled: "cancelled"
        case .corrupt: "data corrupt"
        case .internal: "internal error"
        case .notEmpty: "directory not empty"
        case .notADirectory: "not a directory"
        case .isADirectory: "is a directory"
        case .permission: "permission denied"
        }
    }

    /// Names as in the header, for tables and JSON.
    public var abiName: String {
        switch self {
        case .notFound: "NOT_FOUND"
        case .exists: "EXISTS"
        case .auth: "AUTH"
        case .rateLimited: "RATE_LIMITED"
        case .transient: "TRANSIENT"
        case .quota: "QUOTA"
        case .invalidArgument: "INVALID_ARGUMENT"
        case .unsupported: "UNSUPPORTED"
        case .cancelled: "CANCELLED"
        case .corrupt: "CORRUPT"
        case .internal: "INTERNAL"
        case .notEmpty: "NOT_EMPTY"
        case .notADirectory: "NOT_A_DIRECTORY"
        case .isADirectory: "IS_A_DIRECTORY"
        case .permission: "PERMISSION"
        }
    }
}
