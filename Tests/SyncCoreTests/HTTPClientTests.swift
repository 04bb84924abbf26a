import ConnectorKit
import EmulatorKit
import Foundation
import Testing

/// ConnectorKit's HTTP layer: header parsing and redaction as units, then the client against real
/// servers on loopback (one of ours, and OpenSSL's for TLS).
@Suite struct HTTPClientTests {
    @Test func retryAfterReadsSecondsDatesAndTheRateLimitReset() {
        let now = Date(timeIntervalSince1970: 1_700_000_000)
        #expect(RetryAfter.parse("120", now: now) == 120_000)
        #expect(RetryAfter.parse(" 3 ", now: now) == 3000)
        // IMF-fixdate, 90 s after `now`; a date in the past means no wait.
        #expect(RetryAfter.parse("Tue, 14 Nov 2023 22:14:50 GMT", now: now) == 90_000)
        #expect(RetryAfter.parse("Tue, 14 Nov 2023 22:00:00 GMT", now: now) == 0)
        #expect(RetryAfter.parse("soon", now: now) == nil)
        #expect(RetryAfter.parse("-5", now: now) == nil)
        let reset = HTTPResponse(status: 429, headers: [("X-RateLimit-Reset", "1700000030")])
        #expect(RetryAfter.milliseconds(from: reset, now: now) == 30_000)
        let both = HTTPResponse(status: 429, headers: [("X-RateLimit-Reset", "1700000030"), ("retry-after", "2")])
        #expect(RetryAfter.milliseconds(from: both, now: now) == 2000)
    }

    @Test func statusesMapToCodesAndSecretsNeverShow() {
        #expect(HTTPFailure.code(forStatus: 401) == .auth)
        #expect(HTTPFailure.code(forStatus: 404) == .notFound)
        #expect(HTTPFailure.code(forStatus: 429) == .rateLimited)
        #expect(HTTPFailure.code(forStatus: 503) == .transient)
        #expect(HTTPFailure.code(forStatus: 507) == .quota)
        let limited = HTTPFailure.failure("GET /x", HTTPResponse(status: 429))
        #expect(limited.code == .rateLimited && limited.retryAfterMilliseconds > 0)
        let redactor = Redactor()
        redactor.register("s3cr3t-token-value")
        let line = redactor.redact("GET https://h/p?oauth_token=abc&u=sig&x=1 with s3cr3t-token-value")
        #expect(line == "GET https://h/p?oauth_token=***&u=***&x=1 with ***")
    }

    @Test func redirectsStreamsBothWaysAndShortBodies() throws {
        let (routes, server) = try EchoRoutes.serve()
        defer { server.stop() }
        let base = "http://127.0.0.1:\(server.port)"
        let client = HTTPClient()

        let redirected = try client.send(HTTPRequest("GET", base + "/hop"))
        #expect(redirected.status == 200 && redirected.bodyText == "landed")
        #expect(redirected.effectiveURL.hasSuffix("/landed"))

        // A 4 MiB body read through the pull interface in odd-sized pieces.
        let download = try client.openDownload(HTTPRequest("GET", base + "/big"))
        #expect(download.response.status == 200)
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 77_777)
        while true {
            let n = try buffer.withUnsafeMutableBytes { try download.read(into: $0) }
            if n == 0 { break }
            received += buffer[0..<n]
        }
        download.close()
        #expect(received == routes.big)

        // Closing a download early does not hang, and the client keeps working.
        let early = try client.openDownload(HTTPRequest("GET", base + "/big"))
        _ = try buffer.withUnsafeMutableBytes { try early.read(into: $0) }
        early.close()

        // An upload pushed in pieces arrives whole.
        let upload = client.openUpload(HTTPRequest("PUT", base + "/echo"), length: Int64(routes.big.count))
        for start in stride(from: 0, to: routes.big.count, by: 100_000) {
            try routes.big[start..<min(start + 100_000, routes.big.count)].withUnsafeBytes { try upload.write($0) }
        }
        let echoed = try upload.finish()
        #expect(echoed.status == 200 && echoed.bodyText == "\(routes.big.count)")
        #expect(routes.lastBody == routes.big)

        // A body cut short by the server is a transient failure, not a short success.
        #expect {
            _ = try client.send(HTTPRequest("GET", base + "/cut"))
        } throws: { ($0 as? ConnectorError)?.code == .transient }

        // Nobody listening: transient, and the URL's credentials are not in the message.
        let closed = try #require(throws: ConnectorError.self) {
            _ = try client.send(HTTPRequest("GET", "http://127.0.0.1:1/x?token=hunter2"))
        }
        #expect(closed.code == .transient && !closed.message.contains("hunter2"), "\(closed)")
        #expect(client.requestCount >= 6)
    }

    @Test func aBodyInMemoryIsResentWhenAKeptAliveConnectionWasClosed() throws {
        let (routes, server) = try EchoRoutes.serve()
        defer { server.stop() }
        let base = "http://127.0.0.1:\(server.port)"
        let client = HTTPClient()
        // The first request leaves a kept-alive connection; the server closes the next request's
        // without a word, and libcurl resends it on a fresh one, rewinding the body it holds.
        #expect(try client.send(HTTPRequest("GET", base + "/landed")).status == 200)
        let body = Array("name=a&parent_id=0".utf8)
        let resent = try client.send(HTTPRequest("POST", base + "/hang-up-once", body: .bytes(body)))
        #expect(resent.status == 200 && resent.bodyText == "\(body.count)")
        #expect(routes.lastBody == body)
        // A streamed body cannot be rewound: the same situation fails at once, and as TRANSIENT.
        #expect(try client.send(HTTPRequest("GET", base + "/landed")).status == 200)
        let upload = client.openUpload(HTTPRequest("PUT", base + "/hang-up-once"), length: Int64(body.count))
        let streamed = #expect(throws: ConnectorError.self) {
            try body.withUnsafeBytes { try upload.write($0) }
            _ = try upload.finish()
        }
        #expect(streamed?.code == .transient, "\(String(describing: streamed))")
    }

    @Test func garbledRepliesAreTransient() throws {
        for reply in ["this is not HTTP at all\r\n\r\n", "HTTP/1.1 200 OK\r\nContent-Le", "HTTP/1.1 abc\r\n\r\n"] {
            let server = try CannedReplyServer(reply: Array(reply.utf8))
            defer { server.stop() }
            // Either no response at all, or one whose status HTTP does not define: both TRANSIENT.
            var code: ErrorCode?
            do {
                let response = try HTTPClient().send(HTTPRequest("GET", "http://127.0.0.1:\(server.port)/x"))
                code = HTTPFailure.code(forStatus: response.status)
            } catch let failure as ConnectorError {
                code = failure.code
            }
            #expect(code == .transient, "\(reply.debugDescription): \(String(describing: code))")
        }
    }

    @Test func tlsIsVerifiedUnlessTurnedOff() throws {
        let dir = TestSupport.temporaryDirectory("tls")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let made = try TestSupport.run(
            "/usr/bin/openssl",
            [
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", dir + "/key.pem", "-out", dir + "/cert.pem",
                "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
            ])
        try #require(made.status == 0, "\(made.stderr)")
        // A port the kernel says is free: a random one could be taken by another test's server.
        let port = try MotoServer.freePort()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments = [
            "s_server", "-accept", "127.0.0.1:\(port)", "-cert", dir + "/cert.pem", "-key", dir + "/key.pem", "-www",
            "-quiet",
        ]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer {
            // SIGKILL: a child of the test runner can inherit a signal mask that blocks SIGTERM,
            // and a server left behind outlives the run.
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        let url = "https://127.0.0.1:\(port)/"
        var settings = HTTPSettings()
        settings.connectTimeout = 5
        // Wait for the server to listen.
        for _ in 0..<50 {
            try #require(process.isRunning, "openssl s_server exited (port \(port))")
            var insecure = settings
            insecure.verifyTLS = false
            if (try? HTTPClient(settings: insecure).send(HTTPRequest("GET", url))) != nil { break }
            Thread.sleep(forTimeInterval: 0.1)
        }
        let refused = try #require(throws: ConnectorError.self) {
            _ = try HTTPClient(settings: settings).send(HTTPRequest("GET", url))
        }
        #expect(refused.code == .permission && refused.message.contains("TLS verification"), "\(refused)")
        var trusting = settings
        trusting.caFile = dir + "/cert.pem"
        #expect(try HTTPClient(settings: trusting).send(HTTPRequest("GET", url)).status == 200)
        var off = settings
        off.verifyTLS = false
        #expect(try HTTPClient(settings: off).send(HTTPRequest("GET", url)).status == 200)
    }
}

/// Routes for the client tests: a redirect, a large body, an echo of uploads, a cut body.
final class EchoRoutes: EmulatorRoutes, @unchecked Sendable {
    /// The routes on a server of their own on 127.0.0.1; stop it when done.
    static func serve() throws -> (EchoRoutes, EmulatorServer) {
        let routes = EchoRoutes()
        let server = EmulatorServer(threads: 1)
        try server.start(routes: routes)
        return (routes, server)
    }

    let big = (0..<(4 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 2_654_435_761 >> 7) }
    private let lock = NSLock()
    private var received: [UInt8] = []
    /// Requests to /hang-up-once so far: odd ones are closed without an answer.
    private var hungUp = 0
    var lastBody: [UInt8] {
        lock.lock()
        defer { lock.unlock() }
        return received
    }

    func bodySink(for request: EmulatorRequest) -> BodySink? { nil }

    func handle(_ request: EmulatorRequest) -> EmulatorResponse {
        switch request.path {
        case "/hop": return EmulatorResponse(status: 302, headers: [("Location", "/landed")])
        case "/landed": return EmulatorResponse(status: 200, body: .bytes(Array("landed".utf8)))
        case "/big": return EmulatorResponse(status: 200, body: .bytes(big))
        case "/cut": return EmulatorResponse(status: 200, body: .bytes(big), dropAfterBytes: 1000)
        case "/hang-up-once":
            lock.lock()
            defer { lock.unlock() }
            hungUp += 1
            if hungUp % 2 == 1 { return .hungUp }
            received = request.body
            return EmulatorResponse(status: 200, body: .bytes(Array("\(request.body.count)".utf8)))
        case "/echo":
            lock.lock()
            received = request.body
            lock.unlock()
            return EmulatorResponse(status: 200, body: .bytes(Array("\(request.body.count)".utf8)))
        default: return EmulatorResponse(status: 404)
        }
    }
}
