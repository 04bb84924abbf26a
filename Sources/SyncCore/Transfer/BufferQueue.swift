import Foundation

/// A blocking FIFO between threads, optionally bounded (push waits while it is full). `close`
/// wakes everyone; after it, `pop` returns the items left and then nil, and `push` drops items.
final class BufferQueue<Item>: @unchecked Sendable {
    private var items: [Item] = []
    private var head = 0
    private var closed = false
    private let capacity: Int
    private let condition = NSCondition()

    init(capacity: Int = Int.max) { self.capacity = capacity }

    func push(_ item: Item) {
        condition.lock()
        while items.count - head >= capacity && !closed { condition.wait() }
        if !closed { items.append(item) }
        condition.broadcast()
        condition.unlock()
    }

    func pop() -> Item? {
        condition.lock()
        defer { condition.unlock() }
        while items.count == head && !closed { condition.wait() }
        guard items.count > head else { return nil }
        let item = items[head]
        head += 1
        if head > 64 && head * 2 > items.count {  // compact now and then: O(1) amortised pops
            items.removeFirst(head)
            head = 0
        }
        condition.broadcast()
        return item
    }

    func close() {
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
    }
}
