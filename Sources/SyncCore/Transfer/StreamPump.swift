import Foundation
import SyncHashes
import SyncHost

/// Copies a reader into a writer through a few fixed buffers, reading on a thread of its own while
/// the calling thread writes (and hashes), so the two sides overlap. Memory is
/// `bufferCount × bufferSize` whatever the file size. Both threads are plain OS threads: plugin calls
/// block and must never run on Swift's cooperative pool.
public struct StreamPump {
    public var bufferSize: Int
    public var bufferCount: Int

    public init(bufferSize: Int = 1 << 20, bufferCount: Int = 4) {
        precondition(bufferSize > 0 && bufferCount >= 2)
        self.bufferSize = bufferSize
        self.bufferCount = bufferCount
    }

    public struct Outcome: Sendable {
        public var bytes: Int64
        /// Hashes of the bytes that went through, for the kinds asked for.
        public var hashes: [HashKind: String]
    }

    // Unchecked: a buffer owned by one side at a time, handed over through the queue.
    private final class Slot: @unchecked Sendable {
        let buffer: UnsafeMutableRawBufferPointer
        var count = 0
        init(size: Int) { buffer = PumpBuffers.take(size) }
        deinit { PumpBuffers.give(buffer) }
    }

    private enum Filled {
        case data(Slot)
        case end
        case failed(Error)
    }

    /// A failure of the reader (the source side), as opposed to one of the writer.
    public struct ReadFailure: Error, CustomStringConvertible {
        public let underlying: Error
        public var description: String { String(describing: underlying) }
    }

    /// Pumps until the reader's end. The writer is left open (the caller finishes or aborts it).
    /// `progress` is called on the writing thread after each buffer with the running byte count.
    /// `continuing` carries a hasher that has already seen the bytes before the reader's start (a
    /// resumed upload), so the outcome's hashes cover the whole file.
    ///
    /// `expectedSize`, when known and small, takes a direct path: one small buffer on the calling
    /// thread, no reader thread and no 1 MiB buffers (which cost a mapping each, per file).
    public func run(
        from reader: some ByteSource, to writer: Session.Writer, hashing kinds: [HashKind] = [],
        continuing: MultiHasher? = nil, expectedSize: Int64? = nil, progress: (Int64) -> Void = { _ in }
    ) throws -> Outcome {
        if let expectedSize, expectedSize < Int64(bufferSize) {
            return try runDirect(
                from: reader, to: writer,
                hasher: continuing ?? (kinds.isEmpty ? nil : MultiHasher(kinds, size: expectedSize)),
                capacity: max(16 << 10, Int(expectedSize) + 1), progress: progress)
        }
        let free = BufferQueue<Slot>()
        let filled = BufferQueue<Filled>()
        for _ in 0..<bufferCount { free.push(Slot(size: bufferSize)) }
        let readerBox = UncheckedBox(reader)
        let done = DispatchSemaphore(value: 0)
        let thread = Thread {
            defer { done.signal() }
            while let slot = free.pop() {
                do {
                    let n = try readerBox.value.read(into: slot.buffer)
                    if n == 0 {
                        filled.push(.end)
                        return
                    }
                    slot.count = n
                    filled.push(.data(slot))
                } catch {
                    filled.push(.failed(ReadFailure(underlying: error)))
                    return
                }
            }
        }
        thread.name = "sync-core pump reader"
        thread.stackSize = 1 << 20
        thread.start()
        // Whatever happens below, stop the reader thread and wait for it before returning: it
        // uses the reader, which the caller may close as soon as we return.
        defer {
            free.close()
            done.wait()
        }

        // Without `continuing` the reader starts at 0, so the size expected is the file's (GCID
        // needs it before the first byte).
        var hasher = continuing ?? (kinds.isEmpty ? nil : MultiHasher(kinds, size: expectedSize))
        var total: Int64 = 0
        while let item = filled.pop() {
            switch item {
            case .end:
                return Outcome(bytes: total, hashes: hasher?.finalize() ?? [:])
            case .failed(let error):
                throw error
            case .data(let slot):
                let bytes = UnsafeRawBufferPointer(rebasing: slot.buffer[..<slot.count])
                try writer.write(bytes)
                hasher?.update(bytes)
                total += Int64(slot.count)
                free.push(slot)
                progress(total)
            }
        }
        throw ConnectorError(.internal, "stream pump ended without an end marker")
    }
}

extension StreamPump {
    /// Read, write, repeat on the calling thread: for files that fit in one buffer, where a second
    /// thread would only add cost. (Reading to the end still confirms the size.)
    fileprivate func runDirect(
        from reader: some ByteSource, to writer: Session.Writer, hasher initial: MultiHasher?, capacity: Int,
        progress: (Int64) -> Void
    ) throws -> Outcome {
        var hasher = initial
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: capacity, alignment: 64)
        defer { buffer.deallocate() }
        var total: Int64 = 0
        while true {
            let n: Int
            do {
                n = try reader.read(into: buffer)
            } catch {
                throw ReadFailure(underlying: error)
            }
            if n == 0 { break }
            let bytes = UnsafeRawBufferPointer(rebasing: buffer[..<n])
            try writer.write(bytes)
            hasher?.update(bytes)
            total += Int64(n)
            progress(total)
        }
        return Outcome(bytes: total, hashes: hasher?.finalize() ?? [:])
    }
}

/// Hands a non-Sendable reference to the one other thread that uses it while this one waits.
// Unchecked: the one thread it is handed to uses the value while the sender waits.
struct UncheckedBox<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}

/// Pump buffers handed from one transfer to the next: a fresh 1 MiB allocation per buffer per file
/// costs the kernel a zeroed page per 4 KiB, which showed as a tenth of a migration's CPU.
enum PumpBuffers {
    private static let lock = NSLock()
    // Not a Mutex: raw buffers are not Sendable, and a Mutex would not take one given back in.
    // Only touched under `lock`.
    nonisolated(unsafe) private static var free: [Int: [UnsafeMutableRawBufferPointer]] = [:]
    static let keep = 64

    static func take(_ size: Int) -> UnsafeMutableRawBufferPointer {
        lock.lock()
        let reused = free[size]?.popLast()
        lock.unlock()
        return reused ?? .allocate(byteCount: size, alignment: 64)
    }

    static func give(_ buffer: UnsafeMutableRawBufferPointer) {
        lock.lock()
        if free[buffer.count, default: []].count < keep {
            free[buffer.count, default: []].append(buffer)
            lock.unlock()
        } else {
            lock.unlock()
            buffer.deallocate()
        }
    }
}
