import Foundation
import Synchronization

/// A session's access token, refreshed when it is about to expire or was rejected, with each new
/// one handed to the host (which stores it) and registered for redaction. Thread-safe: one refresh
/// at a time, and a rejection of a token already replaced does not refresh again.
public final class OAuthCredentials: Sendable {
    /// Held through a refresh, so other threads wait for the new token instead of refreshing too.
    private let token: Mutex<OAuthToken>
    private let provider: OAuthProvider?
    private let http: HTTPClient
    private let host: ConnectorHost

    /// `provider` nil: the token cannot be refreshed (a pasted one, or a provider without refresh).
    public init(token: OAuthToken, provider: OAuthProvider?, http: HTTPClient, host: ConnectorHost) {
        self.token = Mutex(token)
        self.provider = provider
        self.http = http
        self.host = host
        http.redactor.register(token.accessToken)
        if let refresh = token.refreshToken { http.redactor.register(refresh) }
    }

    public var accessToken: String { token.withLock { $0.accessToken } }

    public var canRefresh: Bool { provider != nil && token.withLock { $0.refreshToken } != nil }

    /// Refreshes first when the token expires within `margin` seconds.
    public func refreshIfExpiring(within margin: TimeInterval = 60) throws {
        try token.withLock { token in
            guard let expiry = token.expiresAt, expiry.timeIntervalSinceNow < margin else { return }
            try refresh(&token)
        }
    }

    /// After the server rejected `used`: refreshes unless another thread already did. True when
    /// a request should be tried again with the (new) current token.
    public func refreshAfterRejection(of used: String) throws -> Bool {
        try token.withLock { token in
            if token.accessToken != used { return true }
            guard provider != nil, token.refreshToken != nil else { return false }
            try refresh(&token)
            return true
        }
    }

    /// Called with the lock held.
    private func refresh(_ token: inout OAuthToken) throws {
        guard let provider, let refresh = token.refreshToken else { return }
        token = try OAuthFlow.refresh(refresh, provider: provider, http: http)
        host.credentialsChanged(token.options)
        host.log(.info, "access token refreshed")
    }
}
