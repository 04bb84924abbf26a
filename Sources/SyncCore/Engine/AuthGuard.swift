import Foundation
import SyncHost
import Synchronization

/// AUTH on one account of a run: the session is re-opened once (a refreshed token), and if the
/// account still refuses, it is given up: its remaining work fails at once, counted, and the run
/// says so in one line (`refusal`) instead of once per file.
final class AuthGuard: Sendable {
    /// `handle` re-opens the session while holding the lock, so other workers wait for the new one.
    private let state = Mutex<(reopened: Bool, refusal: ConnectorError?)>((false, nil))
    let account: String

    init(account: String) { self.account = account }

    /// Why the account was given up, once it was.
    var failed: ConnectorError? { state.withLock { $0.refusal } }

    /// The command that authorizes the account again.
    var reauthorize: String {
        "sync-core account add \(account.replacingOccurrences(of: ":", with: " "))"
    }

    /// After AUTH from a call that started on `generation`: true to try again, false when the
    /// account is given up (then `failed` says why).
    func handle(_ error: ConnectorError, session: Session, generation: Int) -> Bool {
        state.withLock { state in
            if state.refusal != nil { return false }
            if session.generation != generation { return true }  // another call re-opened it already
            if !state.reopened {
                do {
                    try session.reopen(ifGeneration: generation)
                    state.reopened = true
                    return true
                } catch let failure as ConnectorError
                    where failure.code == .transient || failure.code == .rateLimited
                {
                    return true  // the account did not refuse; the re-opening is tried again at the next AUTH
                } catch {
                    state.refusal = giveUp(error)
                    return false
                }
            }
            state.refusal = giveUp(error)
            return false
        }
    }

    private func giveUp(_ error: Error) -> ConnectorError {
        ConnectorError(
            .auth,
            "\(account) refused its credentials (authentication failed: \(Self.plain(error))); re-authorize with: \(reauthorize)"
        )
    }

    /// A connector's message without the advice some add after " — " (the host gives its own).
    private static func plain(_ error: Error) -> String {
        let text = (error as? ConnectorError)?.message ?? "\(error)"
        return text.components(separatedBy: " — ").first ?? text
    }
}
