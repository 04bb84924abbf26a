import Foundation
import SyncHost

/// A blocking FIFO between threads, optionally bounded (push waits while it is full). `close`
/// wakes everyone; after it, `pop` returns the items left and then nil, and `push` drops items.
///
/// Poppers and pushers wait on conditions of their own and are woken one at a time, only when one
/// is waiting: a queue feeding a pool of workers would otherwise wake every worker for every item.
/// A full queue wakes its pusher once it has drained to half, so a fast producer refills it in one
/// go instead of being woken for every item taken.
// Unchecked: its state is guarded by a pthread mutex with two conditions (Mutex cannot wait).
final class BufferQueue<Item>: @unchecked Sendable {
    private var items: [Item] = []
    private var head = 0
    private var closed = false
    private let capacity: Int
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let notEmpty = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private let notFull = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private var waitingPoppers = 0
    private var waitingPushers = 0

    init(capacity: Int = Int.max) {
        self.capacity = max(1, capacity)
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(notEmpty, nil)
        pthread_cond_init(notFull, nil)
    }

    deinit {
        pthread_cond_destroy(notFull)
        pthread_cond_destroy(notEmpty)
        pthread_mutex_destroy(mutex)
        notFull.deallocate()
        notEmpty.deallocate()
        mutex.deallocate()
    }

    private var count: Int { items.count - head }

    func push(_ item: Item) {
        pthread_mutex_lock(mutex)
        while count >= capacity && !closed {
            waitingPushers += 1
            pthread_cond_wait(notFull, mutex)
            waitingPushers -= 1
        }
        if !closed {
            items.append(item)
            if waitingPoppers > 0 { pthread_cond_signal(notEmpty) }
        }
        pthread_mutex_unlock(mutex)
    }

    func pop() -> Item? {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        while count == 0 && !closed {
            waitingPoppers += 1
            pthread_cond_wait(notEmpty, mutex)
            waitingPoppers -= 1
        }
        guard count > 0 else { return nil }
        let item = items[head]
        head += 1
        if head > 64 && head * 2 > items.count {  // compact now and then: O(1) amortised pops
            items.removeFirst(head)
            head = 0
        }
        if waitingPushers > 0 && count <= capacity / 2 { pthread_cond_signal(notFull) }
        return item
    }

    func close() {
        pthread_mutex_lock(mutex)
        closed = true
        pthread_cond_broadcast(notEmpty)
        pthread_cond_broadcast(notFull)
        pthread_mutex_unlock(mutex)
    }
}
