import ConnectorKit
import EmulatorKit
import Foundation

/// An HTTP proxy on 127.0.0.1 in front of a real server (moto) that gives its answers a bad day:
/// the faults of `FaultRates`, drawn per request from a seeded generator, in the server's own
/// error format (S3's XML). For faults a real server cannot be asked to produce.
final class FaultProxy: EmulatorRoutes, @unchecked Sendable {
    let target: String
    private let server = EmulatorServer(threads: 2)
    private let client = HTTPClient()
    private let lock = NSLock()
    private var rates: FaultRates
    private var dice: FaultDice
    private var injected: [String: Int] = [:]

    init(target: String, rates: FaultRates, seed: UInt64) throws {
        self.target = target
        self.rates = rates
        dice = FaultDice(seed: seed)
        try server.start(routes: self)
    }

    var endpoint: String { "http://127.0.0.1:\(server.port)" }

    /// Faults injected so far, by kind.
    var faults: [String: Int] {
        lock.lock()
        defer { lock.unlock() }
        return injected
    }

    func stop() { server.stop() }

    /// Turns the faults off (for reading back what the faulty run wrote).
    func calm() {
        lock.lock()
        rates = FaultRates()
        lock.unlock()
    }

    func bodySink(for request: EmulatorRequest) -> BodySink? { nil }

    private func draw(_ kind: String, _ rate: Double) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        guard dice.roll(rate) else { return false }
        injected[kind, default: 0] += 1
        return true
    }

    func handle(_ request: EmulatorRequest) -> EmulatorResponse {
        let r = rates
        if draw("429", r.rateLimited) {
            let asDate = draw("date", 0.5)
            let wait = asDate ? RetryAfterHeader.date(inSeconds: r.retryAfterSeconds) : String(r.retryAfterSeconds)
            return Self.s3Error(429, "SlowDown", "Please reduce your request rate.", headers: [("Retry-After", wait)])
        }
        if draw("503", r.serverErrors) { return Self.s3Error(503, "SlowDown", "Please reduce your request rate.") }
        if draw("dropped", r.droppedConnections) { return .hungUp }
        let hopByHop: Set<String> = ["host", "content-length", "connection", "transfer-encoding", "expect"]
        let forwarded = HTTPRequest(
            request.method, target + request.rawURI,
            headers: request.headers.filter { !hopByHop.contains($0.0.lowercased()) },
            body: request.body.isEmpty && request.method != "PUT" && request.method != "POST"
                ? .none : .bytes(request.body),
            followRedirects: false, pathAsIs: true)
        guard let answer = try? client.send(forwarded, bodyLimit: 1 << 30) else { return .hungUp }
        let changes = ["PUT", "POST", "DELETE"].contains(request.method)
        if changes, (200..<300).contains(answer.status), draw("after-commit", r.errorsAfterCommit) {
            return Self.s3Error(500, "InternalError", "We encountered an internal error. Please try again.")
        }
        // HEAD keeps the object's length; other answers are measured again by the server.
        let dropped: Set<String> =
            request.method == "HEAD" ? ["connection", "transfer-encoding"] : hopByHop
        var response = EmulatorResponse(
            status: answer.status, headers: answer.headers.filter { !dropped.contains($0.0.lowercased()) },
            body: request.method == "HEAD" ? .none : .bytes(answer.body))
        if request.method == "GET", (200..<300).contains(answer.status), answer.body.count > 1,
            draw("truncated", r.truncatedDownloads)
        {
            response.dropAfterBytes = Int64(answer.body.count / 2)
        }
        return response
    }

    static func s3Error(_ status: Int, _ code: String, _ message: String, headers: [(String, String)] = [])
        -> EmulatorResponse
    {
        let xml =
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>\(code)</Code><Message>\(message)</Message><RequestId>fault-proxy</RequestId></Error>"
        return EmulatorResponse(
            status: status, headers: headers + [("Content-Type", "application/xml")], body: .bytes(Array(xml.utf8)))
    }
}
