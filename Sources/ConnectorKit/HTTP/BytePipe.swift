import Foundation

/// A bounded, blocking byte queue between one producer thread and one consumer thread. It turns
/// libcurl's push callbacks into the pull reads (and pull writes into push callbacks) the ABI wants,
/// with memory bounded by `capacity` whatever the size of the body. The bytes live in a ring whose
/// storage is recycled between pipes: a fresh allocation per body would cost a page fault per page.
// Unchecked: its state is guarded by an NSCondition (Mutex cannot wait on a condition).
final class BytePipe: @unchecked Sendable {
    private let condition = NSCondition()
    private var storage: UnsafeMutableRawBufferPointer
    private var head = 0  // next byte to read
    private var count = 0  // bytes buffered
    private var producerDone = false
    private var consumerGone = false
    private var failure: Error?
    var capacity: Int { storage.count }

    init() { storage = RingStorage.take() }

    deinit { RingStorage.give(storage) }

    /// Copies `bytes` in, waiting while the pipe is full. False when the consumer went away or the
    /// pipe failed: the producer should stop.
    func push(_ bytes: UnsafeRawBufferPointer) -> Bool {
        var offset = 0
        condition.lock()
        defer { condition.unlock() }
        while offset < bytes.count {
            while count == storage.count && !consumerGone && failure == nil { condition.wait() }
            if consumerGone || failure != nil { return false }
            let tail = (head + count) % storage.count
            let n = min(bytes.count - offset, storage.count - count, storage.count - tail)
            (storage.baseAddress! + tail).copyMemory(from: bytes.baseAddress! + offset, byteCount: n)
            count += n
            offset += n
            condition.broadcast()
        }
        return true
    }

    /// Fills up to `buffer.count` bytes, waiting for data. Returns 0 at the end; throws the
    /// producer's failure once what came before it was read.
    func pop(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard buffer.count > 0 else { return 0 }
        condition.lock()
        defer { condition.unlock() }
        while count == 0 && !producerDone && failure == nil && !consumerGone { condition.wait() }
        if count == 0 {
            if let failure { throw failure }
            return 0
        }
        var copied = 0
        while copied < buffer.count && count > 0 {
            let n = min(buffer.count - copied, count, storage.count - head)
            (buffer.baseAddress! + copied).copyMemory(from: storage.baseAddress! + head, byteCount: n)
            head = (head + n) % storage.count
            count -= n
            copied += n
        }
        condition.broadcast()
        return copied
    }

    /// The producer has no more bytes.
    func finish() {
        condition.lock()
        producerDone = true
        condition.broadcast()
        condition.unlock()
    }

    /// Ends the pipe with an error the consumer sees after the bytes already queued.
    func fail(_ error: Error) {
        condition.lock()
        if failure == nil { failure = error }
        condition.broadcast()
        condition.unlock()
    }

    /// The consumer stops reading; a waiting producer is released and told to stop.
    func abandon() {
        condition.lock()
        consumerGone = true
        count = 0
        condition.broadcast()
        condition.unlock()
    }

    var isAbandoned: Bool {
        condition.lock()
        defer { condition.unlock() }
        return consumerGone
    }
}

/// Ring buffers handed from one pipe to the next.
enum RingStorage {
    static let size = 2 << 20
    private static let lock = NSLock()
    // Not a Mutex: raw buffers are not Sendable, and a Mutex would not take one given back in.
    // Only touched under `lock`.
    nonisolated(unsafe) private static var free: [UnsafeMutableRawBufferPointer] = []

    static func take() -> UnsafeMutableRawBufferPointer {
        lock.lock()
        defer { lock.unlock() }
        return free.popLast() ?? UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 64)
    }

    static func give(_ buffer: UnsafeMutableRawBufferPointer) {
        lock.lock()
        defer { lock.unlock() }
        if free.count < 32 { free.append(buffer) } else { buffer.deallocate() }
    }
}
