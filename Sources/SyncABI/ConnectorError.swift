import CSyncConnector

/// A failed connector call, as the connector described it.
public struct ConnectorError: Error, Sendable, CustomStringConvertible {
    public var code: ErrorCode
    public var httpStatus: Int
    public var retryAfterMilliseconds: Int64
    public var message: String

    public init(_ code: ErrorCode, _ message: String, httpStatus: Int = 0, retryAfterMilliseconds: Int64 = 0) {
        self.code = code
        self.message = message
        self.httpStatus = httpStatus
        self.retryAfterMilliseconds = retryAfterMilliseconds
    }

    public var description: String {
        var line = message
        if !message.lowercased().contains(code.description) { line += " (\(code.description))" }
        if httpStatus != 0 { line += " [HTTP \(httpStatus)]" }
        return line
    }
}
