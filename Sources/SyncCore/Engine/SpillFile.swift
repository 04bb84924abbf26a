import Foundation
import SyncHashes
import SyncHost

/// An unlinked temporary file (mode 0600) that holds sorted runs of listing entries, so that a folder of
/// millions of entries is planned in a few megabytes (and, as plain records, a sync's deletions and
/// the march's folders still to visit). Unlinked at once: nothing is left behind by a
/// crash, and the space is freed when the last reader closes it.
///
/// It lives in `$TMPDIR`, else `/var/tmp`: `/tmp` is often a RAM disk, which would only move the
/// memory out of the process.
// Unchecked: one thread appends (the lister that owns it); readers come after, with pread only.
final class SpillFile: @unchecked Sendable {
    /// A spill that failed (a full disk, a missing temporary folder): the folder's listing fails
    /// with this message, and the run goes on.
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    private let fd: Int32
    /// Where the next append goes.
    private(set) var end: Int64 = 0
    let directory: String

    /// `$TMPDIR`, else `/var/tmp`, else (a minimal container without it) `/tmp`.
    static var defaultDirectory: String {
        if let set = ProcessInfo.processInfo.environment["TMPDIR"], !set.isEmpty { return set }
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: "/var/tmp", isDirectory: &isDirectory) && isDirectory.boolValue
            ? "/var/tmp" : "/tmp"
    }

    init(directory: String = SpillFile.defaultDirectory) throws {
        self.directory = directory
        // Named for an instant only: unlinked before anything is written.
        var template = Array((directory + "/sync-core-listing.XXXXXX").utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        if fd >= 0 {
            template.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) }
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        }
        guard fd >= 0 else {
            throw Failure(
                description:
                    "cannot make a temporary file in \(directory) for a huge listing: \(SpillFile.errnoText())"
            )
        }
        self.fd = fd
    }

    deinit { close(fd) }

    /// Appends one sorted run; returns where it lies.
    func append(_ entries: [TreeMarch.Named]) throws -> Range<Int64> {
        var encoder = SpillRecord.Encoder()
        let start = end
        for entry in entries {
            encoder.add(entry)
            if encoder.bytes.count >= 1 << 20 { try write(&encoder.bytes) }
        }
        try write(&encoder.bytes)
        return start..<end
    }

    /// Appends bytes already encoded as records; returns where they lie.
    func append(records bytes: inout [UInt8]) throws -> Range<Int64> {
        let start = end
        try write(&bytes)
        return start..<end
    }

    private func write(_ bytes: inout [UInt8]) throws {
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { pwrite(fd, $0.baseAddress! + done, $0.count - done, off_t(end)) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else {
                throw Failure(
                    description: "cannot write a huge listing to \(directory): \(SpillFile.errnoText())")
            }
            done += n
            end += Int64(n)
        }
        bytes.removeAll(keepingCapacity: true)
    }

    /// Drops everything from `offset` on (the last part, once it is no longer needed).
    func truncate(to offset: Int64) throws {
        guard offset < end else { return }
        guard ftruncate(fd, off_t(offset)) == 0 else {
            throw Failure(description: "cannot shorten a temporary file in \(directory): \(SpillFile.errnoText())")
        }
        end = offset
    }

    /// Reads up to `count` bytes at `offset` into `buffer` (appending); returns how many.
    func read(at offset: Int64, count: Int, into buffer: inout [UInt8]) throws -> Int {
        let old = buffer.count
        buffer.append(contentsOf: repeatElement(0, count: count))
        while true {
            let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + old, count, off_t(offset)) }
            if n < 0 && errno == EINTR { continue }
            guard n >= 0 else {
                buffer.removeLast(count)
                throw Failure(
                    description: "cannot read a huge listing back from \(directory): \(SpillFile.errnoText())")
            }
            buffer.removeLast(count - n)
            return n
        }
    }

    private static func errnoText() -> String { String(cString: strerror(errno)) }
}

/// Records of a spill file: `u32 length` then the payload. An entry's payload is its flags, the
/// numbers that are set, and the strings (`u32 length` + UTF-8 each). Only this process reads them
/// back, so native byte order.
enum SpillRecord {
    private static let directory: UInt8 = 1
    private static let hasSize: UInt8 = 2
    private static let hasMtime: UInt8 = 4
    private static let hasID: UInt8 = 8
    private static let hasReadID: UInt8 = 16
    private static let invalidPath: UInt8 = 32
    private static let ownKey: UInt8 = 64

    struct Encoder {
        var bytes: [UInt8] = []

        /// Appends one record: its length, then what `body` puts.
        mutating func record(_ body: (inout Encoder) -> Void) {
            let lengthAt = bytes.count
            put(UInt32(0))
            body(&self)
            let length = UInt32(bytes.count - lengthAt - 4)
            withUnsafeBytes(of: length) { bytes.replaceSubrange(lengthAt..<lengthAt + 4, with: $0) }
        }

        mutating func add(_ named: TreeMarch.Named) {
            record { out in
                let e = named.entry
                var flags: UInt8 = e.isDirectory ? directory : 0
                if e.size != nil { flags |= hasSize }
                if e.mtimeNanoseconds != nil { flags |= hasMtime }
                if e.id != nil { flags |= hasID }
                if e.readID != nil { flags |= hasReadID }
                if !e.pathIsValidUTF8 { flags |= invalidPath }
                let keyDiffers = !bytesEqual(named.key, named.name)
                if keyDiffers { flags |= ownKey }
                out.bytes.append(flags)
                if let size = e.size { out.put(size) }
                if let mtime = e.mtimeNanoseconds { out.put(mtime) }
                out.put(named.name)
                if keyDiffers { out.put(named.key) }
                out.put(e.path)
                if let id = e.id { out.put(id) }
                if let readID = e.readID { out.put(readID) }
                out.bytes.append(UInt8(e.hashes.count))
                for (kind, value) in e.hashes {
                    out.bytes.append(UInt8(kind.rawValue))
                    out.put(value)
                }
            }
        }

        mutating func put<T: FixedWidthInteger>(_ value: T) {
            withUnsafeBytes(of: value) { bytes.append(contentsOf: $0) }
        }

        mutating func put(_ string: String) {
            var string = string
            string.withUTF8 { utf8 in
                put(UInt32(utf8.count))
                bytes.append(contentsOf: utf8)
            }
        }
    }

    /// Reads a payload's fields in the order they were put.
    struct Fields {
        let payload: UnsafeRawBufferPointer
        var at = 0

        init(_ payload: UnsafeRawBufferPointer) { self.payload = payload }

        mutating func byte() -> UInt8 {
            defer { at += 1 }
            return payload[at]
        }

        mutating func number<T: FixedWidthInteger>(_: T.Type) -> T {
            defer { at += MemoryLayout<T>.size }
            return payload.loadUnaligned(fromByteOffset: at, as: T.self)
        }

        mutating func string() -> String {
            let count = Int(number(UInt32.self))
            defer { at += count }
            return String(decoding: UnsafeRawBufferPointer(rebasing: payload[at..<at + count]), as: UTF8.self)
        }
    }

    /// Decodes the record whose payload (after its length) is `payload`.
    static func decode(_ payload: UnsafeRawBufferPointer) -> TreeMarch.Named {
        var fields = Fields(payload)
        let flags = fields.byte()
        let size = flags & hasSize != 0 ? fields.number(Int64.self) : nil
        let mtime = flags & hasMtime != 0 ? fields.number(Int64.self) : nil
        let name = fields.string()
        let key = flags & ownKey != 0 ? fields.string() : name
        let path = fields.string()
        let id = flags & hasID != 0 ? fields.string() : nil
        let readID = flags & hasReadID != 0 ? fields.string() : nil
        var hashes: [HashKind: String] = [:]
        for _ in 0..<Int(fields.byte()) {
            let kind = HashKind(rawValue: Int32(fields.byte()))
            let value = fields.string()
            if let kind { hashes[kind] = value }
        }
        var entry = Entry(
            path: path, kind: flags & directory != 0 ? .directory : .file, size: size, mtimeNanoseconds: mtime, id: id,
            hashes: hashes)
        entry.readID = readID
        entry.pathIsValidUTF8 = flags & invalidPath == 0
        return TreeMarch.Named(name: name, key: key, entry: entry)
    }
}
