import CCurl
import Foundation

/// Turns HTTP statuses and libcurl failures into the ABI's codes, so every HTTP connector reacts to
/// the same failure the same way. Connectors refine the code from their own error bodies.
public enum HTTPFailure {
    /// The code a status means when the body says nothing more specific.
    public static func code(forStatus status: Int) -> ErrorCode {
        switch status {
        case 401: .auth
        case 402, 507: .quota
        case 403: .permission
        case 404, 410: .notFound
        case 409, 412: .exists
        case 408, 425, 500...599: .transient
        case 429: .rateLimited
        // Not a status HTTP defines: a garbled reply, not a verdict on the request.
        case ..<100, 600...: .transient
        default: .invalidArgument
        }
    }

    /// A failure for a non-2xx response: `what` says which call failed, `detail` is the server's
    /// own message if it gave one.
    public static func failure(_ what: String, _ response: HTTPResponse, detail: String? = nil, code: ErrorCode? = nil)
        -> ConnectorFailure
    {
        let resolved = code ?? self.code(forStatus: response.status)
        var message = "\(what): HTTP \(response.status)"
        if let detail, !detail.isEmpty { message += " \(detail)" }
        var retry = RetryAfter.milliseconds(from: response) ?? 0
        if resolved == .rateLimited && retry == 0 { retry = 1000 }
        return ConnectorFailure(resolved, message, httpStatus: response.status, retryAfterMilliseconds: retry)
    }

    /// A failure for a request that got no complete response. A reply that breaks HTTP (curl's
    /// "Received HTTP/0.9", a reply cut inside its headers, a garbled status line) is the server's
    /// bad moment, TRANSIENT like a reset: libcurl says UNSUPPORTED_PROTOCOL for some of them even
    /// though the URL's scheme is one it speaks (`webScheme`).
    static func transport(_ code: CURLcode, _ what: String, detail: String, webScheme: Bool) -> ConnectorFailure {
        let text = detail.isEmpty ? String(cString: sc_curl_easy_strerror(code)) : detail
        let abi: ErrorCode
        switch code {
        case CURLE_ABORTED_BY_CALLBACK: abi = .cancelled
        case CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CACERT_BADFILE, CURLE_SSL_CERTPROBLEM, CURLE_SSL_CIPHER,
            CURLE_SSL_ISSUER_ERROR, CURLE_SSL_PINNEDPUBKEYNOTMATCH:
            abi = .permission
        case CURLE_UNSUPPORTED_PROTOCOL: abi = webScheme ? .transient : .invalidArgument
        case CURLE_URL_MALFORMAT, CURLE_BAD_FUNCTION_ARGUMENT: abi = .invalidArgument
        case CURLE_TOO_MANY_REDIRECTS: abi = .invalidArgument
        case CURLE_OUT_OF_MEMORY: abi = .internal
        default: abi = .transient  // resolve, connect, timeouts, resets, short bodies
        }
        let hint = abi == .permission ? " (TLS verification failed; check the CA file or the server's certificate)" : ""
        return ConnectorFailure(abi, "\(what): \(text)\(hint)")
    }
}
