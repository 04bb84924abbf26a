import Synchronization

/// A process-wide request to stop, such as Ctrl-C. Every session reports it to its connector as
/// cancellation, so transfers in flight end and abort their uploads (nothing half-written is left
/// at the destination, no multipart upload is left open), and runs start nothing new.
public enum Interruption {
    private static let flag = Atomic<Bool>(false)

    public static var requested: Bool { flag.load(ordering: .relaxed) }

    /// Safe to call from a signal handler: one lock-free store.
    public static func request() { flag.store(true, ordering: .relaxed) }
}
