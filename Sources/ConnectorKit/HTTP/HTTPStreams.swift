import Foundation
import Synchronization

/// A response body read on demand (pull) while libcurl receives it on its own thread. Memory stays
/// within the pipe's capacity however large the body.
// Unchecked: `response` is set before init returns, and the curl thread hands its outcome over
// through a semaphore.
public final class HTTPDownload: @unchecked Sendable {
    /// Status and headers; the body too when the status is not 2xx.
    public private(set) var response: HTTPResponse
    private let pipe = BytePipe()
    private let done = DispatchSemaphore(value: 0)
    private let finished = Atomic<Bool>(false)

    init(client: HTTPClient, request: HTTPRequest) throws {
        response = HTTPResponse(status: 0)
        let exchange = CurlExchange(followRedirects: request.followRedirects, collectLimit: 64 << 10)
        let headersIn = DispatchSemaphore(value: 0)
        let pipe = self.pipe
        exchange.onHeaders = { headersIn.signal() }
        exchange.sink = { bytes in pipe.push(bytes) }
        let outcome = OutcomeBox()
        let thread = Thread { [done] in
            do {
                let response = try client.perform(request, exchange)
                outcome.value = .success(response)
                pipe.finish()
            } catch {
                outcome.value = .failure(error)
                pipe.fail(error)
            }
            headersIn.signal()
            done.signal()
        }
        thread.stackSize = 1 << 20
        thread.start()
        headersIn.wait()
        // The semaphore orders these reads after the curl thread's writes.
        if exchange.finalResponse && (200..<300).contains(exchange.status) {
            // Headers are complete before the first body byte; libcurl no longer touches them.
            response = HTTPResponse(status: exchange.status, headers: exchange.headers, effectiveURL: request.url)
            return
        }
        // Not a 2xx: the whole (small) answer is wanted, or the transfer failed.
        done.wait()
        finished.store(true, ordering: .relaxed)
        response = try outcome.value!.get()
    }

    /// Fills up to `buffer.count` bytes; 0 at the end of the body. Throws if the transfer broke.
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        try pipe.pop(into: buffer)
    }

    /// Stops the transfer (if still running) and waits for its thread to let go of the connection.
    public func close() {
        pipe.abandon()
        let wait = !finished.exchange(true, ordering: .acquiringAndReleasing)
        if wait { done.wait() }
    }

    deinit { close() }
}

/// A request body written on demand (push) while libcurl sends it on its own thread.
// Unchecked: the curl thread writes `outcome` before it signals `done`; the writer reads it only
// after waiting. One thread writes, as the ABI's writer rules say.
public final class HTTPUpload: @unchecked Sendable {
    private let pipe = BytePipe()
    private let done = DispatchSemaphore(value: 0)
    private var outcome: Result<HTTPResponse, Error>?
    private var settled = false

    init(client: HTTPClient, request: HTTPRequest, length: Int64?) {
        let pipe = self.pipe
        var body = request
        body.body = .stream(length: length, source: { buffer in try pipe.pop(into: buffer) })
        let streaming = body
        let thread = Thread { [self] in
            let result = Result {
                try client.perform(streaming, CurlExchange(followRedirects: false, collectLimit: 1 << 20))
            }
            // An answer before the body was all sent (an error, usually) releases a blocked writer.
            pipe.abandon()
            outcome = result
            done.signal()
        }
        thread.stackSize = 1 << 20
        thread.start()
    }

    /// Queues bytes for sending. Throws the transfer's failure if it already ended; a response that
    /// came early (an error status) is left for `finish`.
    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        if !pipe.push(bytes) {
            let result = settle()
            if case .failure(let error) = result { throw error }
            throw ConnectorFailure(.transient, "the server answered before the upload was complete")
        }
    }

    /// Ends the body and waits for the response.
    public func finish() throws -> HTTPResponse {
        pipe.finish()
        return try settle().get()
    }

    /// Aborts the request; nothing more is sent.
    public func abort() {
        pipe.fail(ConnectorFailure(.cancelled, "upload aborted"))
        _ = settle()
    }

    private func settle() -> Result<HTTPResponse, Error> {
        if !settled {
            done.wait()
            settled = true
        }
        return outcome!
    }

    deinit { abort() }
}

/// A result handed from a transfer thread to the thread that waits for it (the semaphore orders them).
// Unchecked: written by the transfer thread before it signals, read only after the wait.
final class OutcomeBox: @unchecked Sendable {
    var value: Result<HTTPResponse, Error>?
}

/// A download read up to the length its response announced: a body that ends early is TRANSIENT
/// (a dropped connection must not pass for a short file). Readers of HTTP stores wrap one.
public final class AnnouncedLengthBody {
    public let download: HTTPDownload
    /// Bytes the response announced, nil when it did not say.
    public let expected: Int64?
    public private(set) var received: Int64 = 0
    private let what: String

    public init(_ download: HTTPDownload, expected: Int64?, what: String) {
        self.download = download
        self.expected = expected
        self.what = what
    }

    /// Fills up to `buffer.count` bytes, never past the announced length; 0 at its end.
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        if let expected, received >= expected { return 0 }
        var room = buffer.count
        if let expected { room = Int(min(Int64(room), expected - received)) }
        let n = try download.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer.prefix(room)))
        received += Int64(n)
        if n == 0, let expected, received < expected {
            throw ConnectorFailure(.transient, "\(what): the download ended after \(received) of \(expected) bytes")
        }
        return n
    }
}
