import ConnectorKit

/// Put.io's error envelope (`error_type`, `error_message`) mapped to the ABI's codes.
enum PutioErrors {
    static func failure(_ what: String, _ response: HTTPResponse) -> ConnectorFailure {
        let body = response.json
        let type = (body?["error_type"] as? String) ?? (body?["error"] as? String) ?? ""
        let message = (body?["error_message"] as? String) ?? (body?["error_description"] as? String) ?? ""
        let code: ErrorCode? =
            switch type {
            case "NAME_ALREADY_EXIST": .exists
            case "EMPTY_NAME", "SLASH_IN_NAME", "NAME_TOO_LONG", "INVALID_NAME": .invalidArgument
            // Trash operations are serialised per account; a concurrent one makes this one wait.
            case "TRASH_LOCK_TIMEOUT": .transient
            case "invalid_scope", "invalid_grant", "invalid_token": .auth
            case "TooManyRequests": .rateLimited
            case "NotFound", "TRASH_FILE_NOT_FOUND", "TRANSFER_NOT_FOUND": .notFound
            default: nil
            }
        if response.status == 423 {
            return HTTPFailure.failure(what, response, detail: "upload locked", code: .transient)
        }
        let detail = [type, message].filter { !$0.isEmpty }.joined(separator: ": ")
        var failure = HTTPFailure.failure(what, response, detail: detail, code: code)
        if failure.code == .auth {
            failure.message += " — the token was revoked or is invalid; run `sync-core account add putio NAME` again"
        }
        if failure.code == .rateLimited && failure.retryAfterMilliseconds == 1000
            && RetryAfter.milliseconds(from: response) == nil
        {
            // No hint from the server: Put.io's limits reset within a minute.
            failure.retryAfterMilliseconds = 60_000
        }
        return failure
    }
}
