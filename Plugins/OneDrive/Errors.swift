import ConnectorKit
import Foundation

/// Graph's errors (onedrive.md §5): the most specific code of the nested `innererror` chain that
/// is known decides (both spellings, `innererror` and `innerError`), then the top-level code, then
/// the status; throttling waits as Retry-After says.
enum OneDriveErrors {
    static func failure(_ what: String, _ response: HTTPResponse) -> ConnectorFailure {
        let error = response.json?["error"] as? [String: Any]
        let codes = Self.codes(in: error)
        let message = error?["message"] as? String ?? ""
        var code: ErrorCode?
        for name in codes.reversed() {
            if let known = Self.code(for: name) {
                code = known
                break
            }
        }
        switch response.status {
        case 429: code = .rateLimited
        case 503 where response.header("Retry-After") != nil: code = .rateLimited
        case 507: code = .quota
        default: break
        }
        let detail = ([codes.joined(separator: "/")] + (message.isEmpty ? [] : [message])).joined(separator: ": ")
        var failure = HTTPFailure.failure(what, response, detail: detail, code: code)
        if failure.code == .auth {
            failure.message += " — authorize again with `sync-core account add onedrive NAME`"
        }
        return failure
    }

    static func code(for name: String) -> ErrorCode? {
        switch name {
        case "itemNotFound", "uploadSessionNotFound": .notFound
        case "nameAlreadyExists": .exists
        case "quotaLimitReached", "insufficientStorage": .quota
        case "activityLimitReached", "throttledRequest": .rateLimited
        case "invalidPath", "pathIsTooLong", "pathTooDeep", "maxFileSizeExceeded", "invalidRequest": .invalidArgument
        case "accessDenied", "notAllowed", "malwareDetected": .permission
        case "unauthenticated", "InvalidAuthenticationToken": .auth
        case "serviceNotAvailable", "generalException": .transient
        default: nil
        }
    }

    /// The codes from the outside in.
    static func codes(in error: [String: Any]?) -> [String] {
        var out: [String] = []
        var current = error
        while let level = current {
            if let code = level["code"] as? String { out.append(code) }
            current = (level["innererror"] ?? level["innerError"]) as? [String: Any]
        }
        return out
    }
}
