import ConnectorKit
import Glibc

/// A ranged read with pread: no shared file offset, so nothing to seek.
final class LocalReader: ConnectorReader {
    let fd: Int32
    private var position: Int64
    private var remaining: Int64?
    private let shown: String
    /// A short read of a regular file means its end: the next read answers 0 without asking the
    /// kernel again (one system call less per small file).
    private let regular: Bool
    private var atEnd = false
    /// The file's size when opened.
    let fileSize: Int64

    init(path abs: String, shown: String, offset: Int64, length: Int64?) throws {
        self.shown = shown
        fd = open(abs, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw ConnectorFailure.posix(errno, "open", shown) }
        var st = stat()
        if fstat(fd, &st) == 0, st.st_mode & S_IFMT == S_IFDIR {
            Glibc.close(fd)
            throw ConnectorFailure(.isADirectory, "read '\(shown)': is a folder")
        }
        regular = st.st_mode & S_IFMT == S_IFREG
        fileSize = Int64(st.st_size)
        position = offset
        remaining = length
        // Tell the kernel we read front to back: larger read-ahead. (Pointless for a file that
        // default read-ahead covers, and one more system call per small file.)
        if Int64(st.st_size) - offset > 1 << 20 {
            _ = posix_fadvise(fd, off_t(offset), off_t(length ?? 0), POSIX_FADV_SEQUENTIAL)
        }
    }

    deinit { close() }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        var want = buffer.count
        if let remaining { want = Int(min(Int64(want), remaining)) }
        guard want > 0, fd >= 0, !atEnd else { return 0 }
        while true {
            let n = pread(fd, buffer.baseAddress, want, off_t(position))
            if n < 0 {
                if errno == EINTR { continue }
                throw ConnectorFailure.posix(errno, "read", shown)
            }
            if regular && n < want { atEnd = true }
            position += Int64(n)
            if remaining != nil { remaining! -= Int64(n) }
            return n
        }
    }

    private var closed = false
    func close() {
        guard !closed else { return }
        closed = true
        Glibc.close(fd)
    }
}
