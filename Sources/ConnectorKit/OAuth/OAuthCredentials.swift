import Foundation

/// A session's access token, refreshed when it is about to expire or was rejected, with each new
/// one handed to the host (which stores it) and registered for redaction. Thread-safe: one refresh
/// at a time, and a rejection of a token already replaced does not refresh again.
public final class OAuthCredentials: @unchecked Sendable {
    private let lock = NSLock()
    private var token: OAuthToken
    private let provider: OAuthProvider?
    private let http: HTTPClient
    private let host: ConnectorHost

    /// `provider` nil: the token cannot be refreshed (a pasted one, or a provider without refresh).
    public init(token: OAuthToken, provider: OAuthProvider?, http: HTTPClient, host: ConnectorHost) {
        self.token = token
        self.provider = provider
        self.http = http
        self.host = host
        http.redactor.register(token.accessToken)
        if let refresh = token.refreshToken { http.redactor.register(refresh) }
    }

    public var accessToken: String {
        lock.lock()
        defer { lock.unlock() }
        return token.accessToken
    }

    public var canRefresh: Bool { provider != nil && token.refreshToken != nil }

    /// Refreshes first when the token expires within `margin` seconds.
    public func refreshIfExpiring(within margin: TimeInterval = 60) throws {
        lock.lock()
        defer { lock.unlock() }
        guard let expiry = token.expiresAt, expiry.timeIntervalSinceNow < margin else { return }
        try refreshLocked()
    }

    /// After the server rejected `used`: refreshes unless another thread already did. True when
    /// a request should be tried again with the (new) current token.
    public func refreshAfterRejection(of used: String) throws -> Bool {
        lock.lock()
        defer { lock.unlock() }
        if token.accessToken != used { return true }
        guard canRefresh else { return false }
        try refreshLocked()
        return true
    }

    private func refreshLocked() throws {
        guard let provider, let refresh = token.refreshToken else { return }
        token = try OAuthFlow.refresh(refresh, provider: provider, http: http)
        host.credentialsChanged(token.options)
        host.log(.info, "access token refreshed")
    }
}
