import Foundation
import SyncHost

/// A fixed set of OS threads running submitted jobs. Plugin calls block, so they run here and never
/// on Swift's cooperative pool. `submit` blocks while the queue is full, which keeps a fast march
/// from queueing a whole tree's worth of work.
// Unchecked: its jobs need not be Sendable; each is handed to exactly one worker through the queue.
final class WorkerPool: @unchecked Sendable {
    private let queue: BufferQueue<() -> Void>
    private let group = DispatchGroup()

    /// `backlog`: jobs queued before `submit` waits (at least twice the width).
    init(width: Int, name: String, backlog: Int = 0) {
        let width = max(1, width)
        queue = BufferQueue(capacity: max(width * 2, backlog))
        for i in 0..<width {
            group.enter()
            let thread = Thread { [queue, group] in
                while let job = queue.pop() { job() }
                group.leave()
            }
            thread.name = "\(name) \(i + 1)"
            thread.stackSize = 1 << 20
            thread.start()
        }
    }

    func submit(_ job: @escaping () -> Void) { queue.push(job) }

    /// Runs every submitted job to its end, then stops the threads.
    func finish() {
        queue.close()
        group.wait()
    }
}
