import Foundation

/// A small blocking FIFO between exactly two threads. `close` wakes everyone; after it, `pop`
/// returns the items left and then nil.
final class BufferQueue<Item>: @unchecked Sendable {
    private var items: [Item] = []
    private var closed = false
    private let condition = NSCondition()

    func push(_ item: Item) {
        condition.lock()
        items.append(item)
        condition.signal()
        condition.unlock()
    }

    func pop() -> Item? {
        condition.lock()
        defer { condition.unlock() }
        while items.isEmpty && !closed { condition.wait() }
        return items.isEmpty ? nil : items.removeFirst()
    }

    func close() {
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
    }
}
