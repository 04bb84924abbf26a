import ConnectorKit
import Foundation

/// PikPak's error envelope (`error`, `error_code`, `error_description`; pikpak.md §5) mapped to the
/// ABI's codes, the server's own words kept in the message.
enum PikPakErrors {
    static func failure(_ what: String, _ response: HTTPResponse) -> ConnectorFailure {
        let body = response.json
        let error = body?["error"] as? String ?? ""
        let number = (body?["error_code"] as? NSNumber)?.intValue
        let description = body?["error_description"] as? String ?? ""
        let code: ErrorCode? =
            switch error {
            case "file_not_found", "task_not_found": .notFound
            case "file_duplicated_name": .exists
            case "file_name_empty", "invalid_argument", "file_rename_to_same_name", "file_move_or_copy_to_cur":
                .invalidArgument
            case "file_space_not_enough", "task_daily_create_limit_vip", "task_daily_create_limit": .quota
            // Just moved or copied: the server settles it shortly.
            case "file_rename_uncompleted": .transient
            case "unauthenticated", "invalid_grant", "captcha_invalid", "invalid_account_or_password": .auth
            case "too_many_requests": .rateLimited
            default:
                switch number {
                case 10: .rateLimited  // "operation too frequent"
                case 16: .auth
                default: nil
                }
            }
        let detail = [error, description].filter { !$0.isEmpty }.joined(separator: ": ")
        var failure = HTTPFailure.failure(what, response, detail: detail, code: code)
        if failure.code == .rateLimited && RetryAfter.milliseconds(from: response) == nil {
            // No hint from the server (none is documented): rclone's pacer backs off to 2 s.
            failure.retryAfterMilliseconds = 2000
        }
        if failure.code == .auth && error != "captcha_invalid" {
            failure.message += " — sign in again with `sync-core account add pikpak NAME`"
        }
        return failure
    }
}
