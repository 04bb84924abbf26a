import Foundation

/// A request as an emulator's routes see it: decoded path and query, headers, and the body (in
/// memory, unless the route asked for it to be streamed into a sink).
public struct EmulatorRequest: Sendable {
    public var method: String
    /// The path without the query, percent-decoded.
    public var path: String
    public var query: [(String, String)]
    public var headers: [(String, String)]
    public var body: [UInt8]
    /// The connection's local port: routes build absolute URLs back to this server from it.
    public var port: Int
    /// The request target exactly as the client sent it (path and query, still percent-encoded):
    /// what a proxy forwards.
    public var rawURI = ""

    public init(
        method: String, path: String, query: [(String, String)], headers: [(String, String)], body: [UInt8], port: Int
    ) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
        self.port = port
    }

    public func header(_ name: String) -> String? {
        headers.last { $0.0.caseInsensitiveCompare(name) == .orderedSame }?.1
    }

    public func queryValue(_ name: String) -> String? { query.last { $0.0 == name }?.1 }

    /// Form fields from an urlencoded body, or the fields of a JSON object body.
    public var form: [(String, String)] {
        let type = header("Content-Type") ?? ""
        if type.hasPrefix("application/json"),
            let object = (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any]
        {
            return object.map { ($0.key, "\($0.value)") }
        }
        guard type.hasPrefix("application/x-www-form-urlencoded") || type.isEmpty else { return [] }
        return URLForm.decode(String(decoding: body, as: UTF8.self))
    }

    /// A field from the query or the form body.
    public func param(_ name: String) -> String? {
        form.last { $0.0 == name }?.1 ?? queryValue(name)
    }
}

/// What a route answers.
public struct EmulatorResponse: Sendable {
    public enum Body: Sendable {
        case none
        case bytes([UInt8])
        /// A slice of a file on disk, sent without copying it through memory.
        case file(path: String, offset: Int64, length: Int64)
    }

    public var status: Int
    public var headers: [(String, String)]
    public var body: Body
    /// A fault: after this many body bytes the connection is closed (the client sees a short body).
    public var dropAfterBytes: Int64?
    /// A fault: the connection is closed without any answer (the client sees a reset or an empty reply).
    public var hangUp = false

    public init(status: Int, headers: [(String, String)] = [], body: Body = .none, dropAfterBytes: Int64? = nil) {
        self.status = status
        self.headers = headers
        self.body = body
        self.dropAfterBytes = dropAfterBytes
    }

    /// A connection closed before the answer.
    public static var hungUp: EmulatorResponse {
        var response = EmulatorResponse(status: 500)
        response.hangUp = true
        return response
    }

    /// A JSON body with `Content-Type: application/json` exactly (some clients insist on it).
    public static func json(_ status: Int, _ object: Any, headers: [(String, String)] = []) -> EmulatorResponse {
        let data =
            (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]))
            ?? Data("{}".utf8)
        return EmulatorResponse(
            status: status, headers: headers + [("Content-Type", "application/json")], body: .bytes(Array(data)))
    }
}

/// Where a route wants a request body to go instead of memory (a large upload written to disk as
/// it arrives, so a dropped connection keeps what came before it).
public protocol BodySink: AnyObject {
    /// False cuts the connection there (a fault: the client sees its upload broken off).
    func write(_ bytes: UnsafeRawBufferPointer) -> Bool
    /// The body ended (`complete`) or the connection went away first.
    func end(complete: Bool)
}

/// An emulator's request handling, called on the server's threads.
public protocol EmulatorRoutes: AnyObject, Sendable {
    /// Called when the head arrives; a sink receives the body instead of memory.
    func bodySink(for request: EmulatorRequest) -> BodySink?
    func handle(_ request: EmulatorRequest) -> EmulatorResponse
}

/// Query strings and urlencoded bodies.
public enum URLForm {
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
