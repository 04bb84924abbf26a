import Foundation
import Synchronization

/// Removes credentials from text meant for logs and error messages: values of query parameters
/// whose names say they are secret, and any registered secret value wherever it appears.
public final class Redactor: Sendable {
    static let secretParameters: Set<String> = [
        "access_token", "refresh_token", "oauth_token", "token", "client_secret", "code", "code_verifier",
        "password", "secret", "signature", "sig", "u", "key", "x-amz-signature", "x-amz-credential",
    ]

    private let secrets = Mutex<[String]>([])

    public init() {}

    /// Registers a value that must never be shown (a token, a key). Short values are ignored:
    /// replacing them would mangle ordinary text. Meant for a session's few credentials, not for
    /// per-request values (every line is checked against every secret): the 32 most recent are kept.
    public func register(_ secret: String) {
        guard secret.count >= 6 else { return }
        secrets.withLock { secrets in
            guard !secrets.contains(secret) else { return }
            secrets.append(secret)
            if secrets.count > 32 { secrets.removeFirst() }
        }
    }

    public func redact(_ text: String) -> String {
        var out = Redactor.redactQuery(text)
        let all = secrets.withLock { $0 }
        for secret in all where out.contains(secret) {
            out = out.replacingOccurrences(of: secret, with: "***")
        }
        return out
    }

    /// `https://h/p?token=abc&x=1` → `https://h/p?token=***&x=1`.
    static func redactQuery(_ url: String) -> String {
        guard let q = url.firstIndex(of: "?") else { return url }
        let fragmentStart = url[q...].firstIndex(of: "#") ?? url.endIndex
        let query = url[url.index(after: q)..<fragmentStart]
        let parts = query.split(separator: "&", omittingEmptySubsequences: false).map { pair -> String in
            guard let eq = pair.firstIndex(of: "=") else { return String(pair) }
            let name = pair[..<eq].lowercased()
            return secretParameters.contains(name) ? "\(pair[..<eq])=***" : String(pair)
        }
        return String(url[...q]) + parts.joined(separator: "&") + String(url[fragmentStart...])
    }
}
