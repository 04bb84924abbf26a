import CCurl
import Foundation
import Synchronization

/// An HTTP/1.1 and HTTP/2 client on libcurl for connectors: connection and TLS-session reuse, bodies
/// streamed both ways, timeouts for connecting and for stalled transfers, redirects, proxies from the
/// environment (`https_proxy`, `no_proxy`, as libcurl reads them) and TLS verification on by default.
///
/// Calls block the calling thread, which the ABI requires to be one the host owns. Safe to use from
/// several threads at once.
public final class HTTPClient: Sendable {
    public let settings: HTTPSettings
    /// Secrets registered here are blanked out of every log line and error this client produces.
    public let redactor = Redactor()
    private let log: (@Sendable (String) -> Void)?
    private let isCancelled: (@Sendable () -> Bool)?
    private let pool = CurlHandlePool()
    private let share = CurlShare()
    /// Requests sent, for tests and measurements.
    private let sent = Atomic<Int>(0)

    /// - Parameters:
    ///   - log: receives one debug line per request (method, redacted URL, status, time).
    ///   - isCancelled: polled while transferring; true aborts with CANCELLED.
    public init(
        settings: HTTPSettings = HTTPSettings(), log: (@Sendable (String) -> Void)? = nil,
        isCancelled: (@Sendable () -> Bool)? = nil
    ) {
        self.settings = settings
        self.log = log
        self.isCancelled = isCancelled
    }

    public var requestCount: Int { sent.load(ordering: .relaxed) }

    /// Sends `request` and returns the response with its whole body (at most `bodyLimit` bytes of a
    /// 2xx body; more is an error). Non-2xx responses are returned, not thrown: the caller knows
    /// what its API's error bodies mean. Throws only when no complete response arrived.
    public func send(_ request: HTTPRequest, bodyLimit: Int = 64 << 20) throws -> HTTPResponse {
        let exchange = CurlExchange(followRedirects: request.followRedirects, collectLimit: bodyLimit)
        return try perform(request, exchange)
    }

    /// Sends `request`, handing a 2xx body to `sink` as it arrives (error bodies are collected into
    /// the response instead).
    public func send(_ request: HTTPRequest, sink: @escaping (UnsafeRawBufferPointer) throws -> Void) throws
        -> HTTPResponse
    {
        let exchange = CurlExchange(followRedirects: request.followRedirects, collectLimit: 64 << 10)
        exchange.sink = { [unowned exchange] bytes in
            do {
                try sink(bytes)
                return true
            } catch {
                exchange.sinkError = error
                return false
            }
        }
        return try perform(request, exchange)
    }

    /// Starts `request` on a thread of its own and returns once the final response's headers are in
    /// (for a non-2xx response, once its body is in too). Read the body from the result.
    public func openDownload(_ request: HTTPRequest) throws -> HTTPDownload {
        try HTTPDownload(client: self, request: request)
    }

    /// Starts `request` on a thread of its own with a body the caller pushes through `write`.
    /// `length` nil sends it chunked.
    public func openUpload(_ request: HTTPRequest, length: Int64?) -> HTTPUpload {
        HTTPUpload(client: self, request: request, length: length)
    }

    // MARK: - Running one request

    func perform(_ request: HTTPRequest, _ exchange: CurlExchange) throws -> HTTPResponse {
        if let reason = curlUnavailable { throw ConnectorFailure(.internal, "HTTP unavailable: \(reason)") }
        guard let handle = pool.acquire() else { throw ConnectorFailure(.internal, "libcurl: cannot create a handle") }
        sent.add(1, ordering: .relaxed)
        let started = DispatchTime.now()
        var headerList: UnsafeMutablePointer<curl_slist>?
        var errorBuffer = [CChar](repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        var result = CURLE_OK
        var bodyBytes: [UInt8] = []
        if case .bytes(let bytes) = request.body { bodyBytes = bytes }
        var bodyOffset = 0
        if request.cancellable { exchange.isCancelled = isCancelled }
        if exchange.source == nil {
            switch request.body {
            case .none: break
            case .bytes:
                exchange.source = { buffer in
                    let n = min(buffer.count, bodyBytes.count - bodyOffset)
                    if n > 0 {
                        bodyBytes.withUnsafeBytes { src in
                            buffer.baseAddress!.copyMemory(from: src.baseAddress! + bodyOffset, byteCount: n)
                        }
                    }
                    bodyOffset += n
                    return n
                }
                exchange.rewind = { offset in
                    guard offset >= 0 && offset <= Int64(bodyBytes.count) else { return false }
                    bodyOffset = Int(offset)
                    return true
                }
            case .stream(_, let source): exchange.source = source
            }
        }
        let length: Int64? = {
            switch request.body {
            case .none: return 0
            case .bytes(let b): return Int64(b.count)
            case .stream(let length, _): return length
            }
        }()

        let user = Unmanaged.passUnretained(exchange).toOpaque()
        withExtendedLifetime(exchange) {
            for (name, value) in request.headers {
                headerList = sc_curl_slist_append(headerList, "\(name): \(value)")
            }
            // No "Expect: 100-continue" round trip before bodies.
            headerList = sc_curl_slist_append(headerList, "Expect:")
            errorBuffer.withUnsafeMutableBufferPointer { errors in
                configure(handle, request, length: length, headers: headerList, user: user, errors: errors.baseAddress!)
                result = sc_curl_easy_perform(handle)
            }
        }
        sc_curl_slist_free_all(headerList)
        var effective: UnsafeMutablePointer<CChar>?
        _ = sc_curl_get_string(handle, CURLINFO_EFFECTIVE_URL, &effective)
        let effectiveURL = effective.map { String(cString: $0) } ?? request.url
        pool.release(handle, reusable: result == CURLE_OK)

        let elapsed = Double(DispatchTime.now().uptimeNanoseconds - started.uptimeNanoseconds) / 1e6
        let what = "\(request.method) \(redactor.redact(request.url))"
        let detail = errorBuffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        log?("\(what) → \(result == CURLE_OK ? String(exchange.status) : "failed: \(detail)") in \(Int(elapsed)) ms")

        if result != CURLE_OK {
            if let error = exchange.sourceError ?? exchange.sinkError { throw error }
            if exchange.bodyTooLarge {
                throw ConnectorFailure(.internal, "\(what): response body larger than \(exchange.collectLimit) bytes")
            }
            let web = request.url.lowercased().hasPrefix("http://") || request.url.lowercased().hasPrefix("https://")
            throw HTTPFailure.transport(result, redactor.redact(what), detail: redactor.redact(detail), webScheme: web)
        }
        // libcurl takes a connection closed inside the headers for their end: that is no answer.
        guard exchange.finalResponse else {
            throw ConnectorFailure(.transient, "\(what): the reply ended inside its headers")
        }
        return HTTPResponse(
            status: exchange.status, headers: exchange.headers, body: exchange.collected, effectiveURL: effectiveURL)
    }

    private func configure(
        _ h: UnsafeMutableRawPointer, _ request: HTTPRequest, length: Int64?,
        headers: UnsafeMutablePointer<curl_slist>?,
        user: UnsafeMutableRawPointer, errors: UnsafeMutablePointer<CChar>
    ) {
        _ = sc_curl_set_string(h, CURLOPT_URL, request.url)
        _ = sc_curl_set_slist(h, CURLOPT_HTTPHEADER, headers)
        _ = sc_curl_set_string(h, CURLOPT_USERAGENT, settings.userAgent)
        _ = sc_curl_set_pointer(h, CURLOPT_ERRORBUFFER, errors)
        if let share { _ = sc_curl_set_share(h, share.handle) }
        _ = sc_curl_set_long(h, CURLOPT_NOSIGNAL, 1)
        _ = sc_curl_set_long(h, CURLOPT_TCP_KEEPALIVE, 1)
        _ = sc_curl_set_long(h, CURLOPT_CONNECTTIMEOUT_MS, Int(settings.connectTimeout * 1000))
        _ = sc_curl_set_long(h, CURLOPT_LOW_SPEED_LIMIT, 1)
        _ = sc_curl_set_long(h, CURLOPT_LOW_SPEED_TIME, settings.stallTimeout)
        _ = sc_curl_set_long(h, CURLOPT_FOLLOWLOCATION, request.followRedirects ? 1 : 0)
        _ = sc_curl_set_long(h, CURLOPT_MAXREDIRS, settings.maxRedirects)
        if request.pathAsIs { _ = sc_curl_set_long(h, CURLOPT_PATH_AS_IS, 1) }
        _ = sc_curl_set_long(h, CURLOPT_SSL_VERIFYPEER, settings.verifyTLS ? 1 : 0)
        _ = sc_curl_set_long(h, CURLOPT_SSL_VERIFYHOST, settings.verifyTLS ? 2 : 0)
        if let ca = settings.caFile { _ = sc_curl_set_string(h, CURLOPT_CAINFO, ca) }
        // Larger buffers than libcurl's 16 KiB / 64 KiB defaults: fewer callbacks per byte.
        _ = sc_curl_set_long(h, CURLOPT_BUFFERSIZE, 512 << 10)
        _ = sc_curl_set_long(h, CURLOPT_UPLOAD_BUFFERSIZE, 1 << 20)

        _ = sc_curl_set_data_fn(h, CURLOPT_WRITEFUNCTION, curlWriteCallback)
        _ = sc_curl_set_pointer(h, CURLOPT_WRITEDATA, user)
        _ = sc_curl_set_data_fn(h, CURLOPT_HEADERFUNCTION, curlHeaderCallback)
        _ = sc_curl_set_pointer(h, CURLOPT_HEADERDATA, user)
        _ = sc_curl_set_progress_fn(h, curlProgressCallback)
        _ = sc_curl_set_pointer(h, CURLOPT_XFERINFODATA, user)
        _ = sc_curl_set_long(h, CURLOPT_NOPROGRESS, 0)

        let method = request.method.uppercased()
        let hasBody: Bool = {
            if case .none = request.body { return ["POST", "PUT", "PATCH"].contains(method) }
            return true
        }()
        switch method {
        case "GET": _ = sc_curl_set_long(h, CURLOPT_HTTPGET, 1)
        case "HEAD": _ = sc_curl_set_long(h, CURLOPT_NOBODY, 1)
        default:
            if hasBody {
                if method == "PUT" {
                    _ = sc_curl_set_long(h, CURLOPT_UPLOAD, 1)
                    _ = sc_curl_set_off(h, CURLOPT_INFILESIZE_LARGE, Int(length ?? -1))
                } else {
                    _ = sc_curl_set_long(h, CURLOPT_POST, 1)
                    _ = sc_curl_set_off(h, CURLOPT_POSTFIELDSIZE_LARGE, Int(length ?? -1))
                    if method != "POST" { _ = sc_curl_set_string(h, CURLOPT_CUSTOMREQUEST, method) }
                }
                _ = sc_curl_set_data_fn(h, CURLOPT_READFUNCTION, curlReadCallback)
                _ = sc_curl_set_pointer(h, CURLOPT_READDATA, user)
                _ = sc_curl_set_seek_fn(h, curlSeekCallback)
                _ = sc_curl_set_pointer(h, CURLOPT_SEEKDATA, user)
            } else {
                _ = sc_curl_set_string(h, CURLOPT_CUSTOMREQUEST, method)
            }
        }
    }
}
