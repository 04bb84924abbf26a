import Foundation
import Testing

@testable import SyncCore

/// The queues behind the worker pools and the stream pump wake one waiter per item: no item may be
/// left unseen by a waiting worker, and a full queue must let its producer go on.
@Suite struct QueueTests {
    /// Four jobs that can only finish together: each waits until all four run at once. A worker
    /// left asleep while a job waits in the queue would make this time out.
    @Test func everyWaitingWorkerIsWokenForItsJob() {
        for _ in 0..<50 {
            let pool = WorkerPool(width: 4, name: "test worker")
            let running = DispatchSemaphore(value: 0)
            let allRunning = DispatchSemaphore(value: 0)
            let finished = DispatchGroup()
            for _ in 0..<4 {
                finished.enter()
                pool.submit {
                    running.signal()
                    _ = allRunning.wait(timeout: .now() + 10)
                    finished.leave()
                }
            }
            var met = true
            for _ in 0..<4 where running.wait(timeout: .now() + 10) == .timedOut { met = false }
            for _ in 0..<4 { allRunning.signal() }
            finished.wait()
            pool.finish()
            #expect(met, "four jobs queued for four idle workers did not all run at once")
            if !met { return }
        }
    }

    /// A bounded queue with a slow consumer: the producer blocks when it is full and goes on as it
    /// drains; every item arrives once, in order.
    @Test func aFullQueueHoldsItsProducerAndLosesNothing() {
        let queue = BufferQueue<Int>(capacity: 4)
        let count = 2_000
        let producer = Thread {
            for i in 0..<count { queue.push(i) }
            queue.close()
        }
        // The consumer runs on a thread of its own, so a queue that lost a wake-up fails here after
        // a while instead of hanging the test run.
        final class Received: @unchecked Sendable { var items: [Int] = [] }
        let received = Received()
        let done = DispatchSemaphore(value: 0)
        let consumer = Thread {
            while let item = queue.pop() {
                received.items.append(item)
                if item % 97 == 0 { usleep(200) }
            }
            done.signal()
        }
        producer.start()
        consumer.start()
        #expect(done.wait(timeout: .now() + 30) == .success, "the queue stalled")
        #expect(received.items == Array(0..<count))
    }
}
