import Foundation
import SyncHost

/// Ctrl-C (or SIGTERM) during a transfer: the first stops the run cleanly — uploads in flight are
/// aborted, so nothing half-written or left open remains at the destination — and the second
/// quits at once.
enum InterruptHandler {
    static func install() {
        // A parent may have blocked these (children inherit the mask): unblock them here.
        var signals = sigset_t()
        sigemptyset(&signals)
        sigaddset(&signals, SIGINT)
        sigaddset(&signals, SIGTERM)
        pthread_sigmask(SIG_UNBLOCK, &signals, nil)
        signal(SIGINT, onInterrupt)
        signal(SIGTERM, onInterrupt)
    }
}

/// Written from the handler with write(2): no allocation there.
private let interruptMessage = Array(
    "\nsync-core: interrupted: stopping transfers and aborting unfinished uploads (again to quit at once)\n".utf8)

private func onInterrupt(_ signal: Int32) {
    if Interruption.requested { _exit(130) }
    Interruption.request()
    interruptMessage.withUnsafeBufferPointer { _ = write(2, $0.baseAddress, $0.count) }
}
