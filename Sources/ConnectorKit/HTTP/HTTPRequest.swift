import Foundation

/// One HTTP request. Header values may hold credentials: the client never logs headers, and
/// redacts secrets from the URLs it logs.
public struct HTTPRequest: Sendable {
    public enum Body: Sendable {
        case none
        case bytes([UInt8])
        /// Pulled while sending; `length` nil sends it chunked.
        case stream(length: Int64?, source: @Sendable (UnsafeMutableRawBufferPointer) throws -> Int)
    }

    public var method: String
    public var url: String
    public var headers: [(String, String)]
    public var body: Body
    public var followRedirects: Bool
    /// Sends the path byte for byte: libcurl otherwise removes `./` and `../` segments, which are
    /// part of an object key and of what a signature covers.
    public var pathAsIs: Bool
    /// False for clean-up requests (aborting an upload) that must go out even after the host
    /// asked to stop: they are what leaves nothing behind.
    public var cancellable = true

    public init(
        _ method: String, _ url: String, headers: [(String, String)] = [], body: Body = .none,
        followRedirects: Bool = true, pathAsIs: Bool = false
    ) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.followRedirects = followRedirects
        self.pathAsIs = pathAsIs
    }

    /// A form body (`application/x-www-form-urlencoded`).
    public static func form(
        _ method: String, _ url: String, _ fields: [(String, String)], headers: [(String, String)] = []
    )
        -> HTTPRequest
    {
        HTTPRequest(
            method, url, headers: headers + [("Content-Type", "application/x-www-form-urlencoded")],
            body: .bytes(Array(FormEncoding.encode(fields).utf8)))
    }

    public func header(_ name: String) -> String? {
        headers.last { $0.0.caseInsensitiveCompare(name) == .orderedSame }?.1
    }
}

/// The status line and headers of a response, and its body when it was collected.
public struct HTTPResponse: Sendable {
    public var status: Int
    /// Names as received; look them up with `header(_:)`.
    public var headers: [(String, String)]
    public var body: [UInt8]
    /// The URL the response finally came from, after redirects.
    public var effectiveURL: String

    public init(status: Int, headers: [(String, String)] = [], body: [UInt8] = [], effectiveURL: String = "") {
        self.status = status
        self.headers = headers
        self.body = body
        self.effectiveURL = effectiveURL
    }

    public var isSuccess: Bool { (200..<300).contains(status) }

    public func header(_ name: String) -> String? {
        headers.last { $0.0.caseInsensitiveCompare(name) == .orderedSame }?.1
    }

    public var bodyText: String { String(decoding: body, as: UTF8.self) }

    /// The body as a JSON object, or nil.
    public var json: [String: Any]? {
        guard !body.isEmpty else { return nil }
        return (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any]
    }
}

/// `application/x-www-form-urlencoded` and query strings.
public enum FormEncoding {
    private static let unreserved: CharacterSet = {
        var set = CharacterSet.alphanumerics.intersection(
            CharacterSet(charactersIn: Unicode.Scalar(0)..<Unicode.Scalar(128)))
        set.insert(charactersIn: "-._~")
        return set
    }()

    /// Percent-encodes everything but RFC 3986's unreserved characters.
    public static func escape(_ value: String) -> String {
        value.addingPercentEncoding(withAllowedCharacters: unreserved) ?? ""
    }

    public static func encode(_ fields: [(String, String)]) -> String {
        fields.map { "\(escape($0.0))=\(escape($0.1))" }.joined(separator: "&")
    }

    /// `base` with `fields` appended as a query string.
    public static func url(_ base: String, _ fields: [(String, String)]) -> String {
        guard !fields.isEmpty else { return base }
        return base + (base.contains("?") ? "&" : "?") + encode(fields)
    }

    /// Decodes a query string or form body into ordered pairs.
    public static func decode(_ text: String) -> [(String, String)] {
        text.split(separator: "&", omittingEmptySubsequences: true).map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func unescape(_ s: Substring) -> String {
                String(s).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(s)
            }
            return (unescape(parts[0]), parts.count > 1 ? unescape(parts[1]) : "")
        }
    }
}
