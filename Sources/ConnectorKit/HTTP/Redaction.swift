import Foundation

/// Removes credentials from text meant for logs and error messages: values of query parameters
/// whose names say they are secret, and any registered secret value wherever it appears.
public final class Redactor: @unchecked Sendable {
    static let secretParameters: Set<String> = [
        "access_token", "refresh_token", "oauth_token", "token", "client_secret", "code", "code_verifier",
        "password", "secret", "signature", "sig", "u", "key", "x-amz-signature", "x-amz-credential",
    ]

    private let lock = NSLock()
    private var secrets: [String] = []

    public init() {}

    /// Registers a value that must never be shown (a token, a key). Short values are ignored:
    /// replacing them would mangle ordinary text. Meant for a session's few credentials, not for
    /// per-request values (every line is checked against every secret): the 32 most recent are kept.
    public func register(_ secret: String) {
        guard secret.count >= 6 else { return }
        lock.lock()
        if !secrets.contains(secret) {
            secrets.append(secret)
            if secrets.count > 32 { secrets.removeFirst() }
        }
        lock.unlock()
    }

    public func redact(_ text: String) -> String {
        var out = Redactor.redactQuery(text)
        lock.lock()
        let all = secrets
        lock.unlock()
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
