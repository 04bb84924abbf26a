import ConnectorKit
import Foundation

/// Dropbox's errors (dropbox.md §5) mapped to the ABI's codes: the tags of a 409's `error` union
/// decide (never the summary text, whose trailing dots vary), 429 and `too_many_write_operations`
/// wait as the server says, and the server's own words stay in the message.
enum DropboxErrors {
    static func failure(_ what: String, _ response: HTTPResponse) -> ConnectorFailure {
        let body = response.json
        let error = body?["error"]
        let tags = Self.tags(in: error)
        let summary = (body?["error_summary"] as? String).map(Self.trimmedSummary) ?? ""
        var code: ErrorCode?
        switch response.status {
        case 400:
            code = .invalidArgument
        case 401:
            code = .auth
        case 409:
            code = Self.code(for: tags)
        case 422:
            code = .invalidArgument
        case 429:
            code = .rateLimited
        default:
            break
        }
        let detail = summary.isEmpty ? String(response.bodyText.prefix(200)) : summary
        var failure = HTTPFailure.failure(what, response, detail: detail, code: code)
        if failure.code == .rateLimited || tags.contains("too_many_write_operations") {
            // The body's retry_after (seconds) when the header did not say.
            if let seconds = (error as? [String: Any])?["retry_after"] as? NSNumber,
                RetryAfter.milliseconds(from: response) == nil
            {
                failure.retryAfterMilliseconds = max(1000, seconds.int64Value * 1000)
            }
        }
        if failure.code == .auth {
            failure.message += " — authorize again with `sync-core account add dropbox NAME`"
        }
        return failure
    }

    /// What a 409's tags mean, the most specific first.
    static func code(for tags: [String]) -> ErrorCode {
        let set = Set(tags)
        if set.contains("too_many_write_operations") { return .rateLimited }
        if set.contains("insufficient_space") || set.contains("insufficient_quota") { return .quota }
        if set.contains("not_found") { return .notFound }
        if set.contains("not_folder") { return .notADirectory }
        if set.contains("not_file") { return .isADirectory }
        if set.contains("conflict") { return .exists }
        if !set.isDisjoint(with: ["no_write_permission", "restricted_content", "team_folder", "access_restricted"]) {
            return .permission
        }
        if !set.isDisjoint(with: ["reset", "incorrect_offset", "internal_error", "operation_suppressed"]) {
            return .transient
        }
        if set.contains("too_many_files") { return .unsupported }
        return .invalidArgument  // malformed_path, disallowed_name, cant_move_folder_into_itself, …
    }

    /// Every `.tag` in a union, outermost first.
    static func tags(in value: Any?) -> [String] {
        guard let object = value as? [String: Any] else { return [] }
        var out: [String] = []
        if let tag = object[".tag"] as? String { out.append(tag) }
        for (key, nested) in object.sorted(by: { $0.key < $1.key }) where key != ".tag" {
            out += tags(in: nested)
        }
        return out
    }

    /// `path/not_found/..` without its trailing dots.
    static func trimmedSummary(_ text: String) -> String {
        var s = Substring(text)
        while s.last == "." || s.last == "/" { s = s.dropLast() }
        return String(s)
    }
}
