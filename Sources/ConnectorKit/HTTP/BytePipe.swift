import Foundation

/// A bounded, blocking byte queue between one producer thread and one consumer thread. It turns
/// libcurl's push callbacks into the pull reads (and pull writes into push callbacks) the ABI wants,
/// with memory bounded by `capacity` whatever the size of the body.
final class BytePipe: @unchecked Sendable {
    private let condition = NSCondition()
    private var chunks: [[UInt8]] = []
    private var headOffset = 0
    private var buffered = 0
    private var producerDone = false
    private var consumerGone = false
    private var failure: Error?
    let capacity: Int

    init(capacity: Int = 4 << 20) { self.capacity = capacity }

    /// Copies `bytes` in, waiting while the pipe is full. False when the consumer went away or the
    /// pipe failed: the producer should stop.
    func push(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard bytes.count > 0 else { return true }
        condition.lock()
        defer { condition.unlock() }
        while buffered >= capacity && !consumerGone && failure == nil { condition.wait() }
        if consumerGone || failure != nil { return false }
        chunks.append(Array(bytes))
        buffered += bytes.count
        condition.broadcast()
        return true
    }

    /// Fills up to `buffer.count` bytes, waiting for data. Returns 0 at the end; throws the
    /// producer's failure once what came before it was read.
    func pop(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        condition.lock()
        defer { condition.unlock() }
        while chunks.isEmpty && !producerDone && failure == nil && !consumerGone { condition.wait() }
        if chunks.isEmpty {
            if let failure { throw failure }
            return 0
        }
        var copied = 0
        while copied < buffer.count, !chunks.isEmpty {
            let chunk = chunks[0]
            let n = min(buffer.count - copied, chunk.count - headOffset)
            chunk.withUnsafeBytes { src in
                (buffer.baseAddress! + copied).copyMemory(from: src.baseAddress! + headOffset, byteCount: n)
            }
            copied += n
            headOffset += n
            if headOffset == chunk.count {
                chunks.removeFirst()
                headOffset = 0
            }
        }
        buffered -= copied
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
        chunks.removeAll()
        buffered = 0
        condition.broadcast()
        condition.unlock()
    }

    var isAbandoned: Bool {
        condition.lock()
        defer { condition.unlock() }
        return consumerGone
    }
}
