import ConnectorKit
import Foundation
import Glibc

/// Writes into a hidden partial file beside the target and renames it into place on finish, so a
/// reader never sees half a file. The partial file's name is the resume token: a later run that
/// presents it continues from the bytes already on disk.
///
/// A small new file (under one checkpoint, so it never gets a resume token) is written as an
/// unnamed file in the target's folder instead (O_TMPFILE) and linked under its name on finish:
/// one change to the folder instead of a create and a rename, about a third less of the kernel's
/// time per file, and nothing at all left behind by a crash. Where the file system cannot make
/// unnamed files, or /proc is missing (the link goes through /proc/self/fd), the partial file is
/// used for every size.
final class LocalWriter: SuspendableWriter {
    private let connector: LocalConnector
    private let path: String
    /// `path` as errors show it.
    private let shown: String
    private let target: String
    /// The target's folder, as an absolute path.
    private let parent: String
    private let partial: String
    private let options: WriteOptions
    private var fd: Int32
    /// The file has no name yet (O_TMPFILE): finish links it, abort just closes it.
    private var unnamed = false
    private var written: Int64
    private var hasher: MultiHasher?
    private(set) var startOffset: Int64 = 0
    private var lastCheckpoint: Int64 = 0
    /// Bytes handed to one pwrite. The kernel sizes a new page-cache folio by the write that makes
    /// it; above 32 KiB (order 3) an allocation is "costly" and may stall to compact memory. On
    /// this project's machines (Linux 6.18, ext4, a VM), 4 GiB written in 1 MiB or 256 KiB calls
    /// cost 12 to 15 s of kernel time whenever another program had left memory in small pieces
    /// (rclone's 32 KiB writes do), and 2.5 s in 32 KiB calls; `dd` shows the same.
    static let largestWrite = 32 << 10

    /// A checkpoint every so many bytes: cheap (no fsync; a killed process keeps the page cache).
    private static let checkpointInterval: Int64 = 8 << 20

    init(connector: LocalConnector, path: String, options: WriteOptions) throws {
        guard !path.isEmpty else { throw ConnectorFailure(.isADirectory, "write: the root is a folder") }
        self.connector = connector
        self.path = path
        shown = connector.paths.shown(path)
        self.options = options
        target = try connector.paths.resolve(path)
        let slash = target.utf8.lastIndex(of: UInt8(ascii: "/"))!
        let parent = slash == target.startIndex ? "/" : String(target[..<slash])
        let name = target[target.utf8.index(after: slash)...]
        self.parent = parent
        partial = parent + "/" + PartialFile.name(for: name)

        // An unnamed file needs no look at the target first: linking it refuses a name that is
        // taken, atomically, and the look was a search of the folder for a name not in it (7% of
        // a 10,000-file copy). A larger file is checked here, before any of it is sent.
        if options.resumeToken == nil, let size = options.size, size < LocalWriter.checkpointInterval,
            let opened = try LocalWriter.openUnnamed(in: parent, connector: connector, path: path, shown: shown)
        {
            fd = opened
            unnamed = true
            written = 0
            hasher = options.wantHashes.isEmpty ? nil : MultiHasher(options.wantHashes, size: options.size)
            return
        }
        var st = stat()
        if lstat(target, &st) == 0 {
            if st.st_mode & S_IFMT == S_IFDIR {
                throw ConnectorFailure(.isADirectory, "write '\(shown)': a folder is in the way")
            }
            if !options.replace { throw ConnectorFailure(.exists, "write '\(shown)': already exists") }
        }
        // Resume: the token holds the offset the store confirmed. Bytes past it (preallocated space,
        // or writes after the checkpoint) are cut off.
        if let token = options.resumeToken, let confirmed = LocalWriter.parseToken(token) {
            let existing = open(partial, O_WRONLY | O_CLOEXEC | O_NOFOLLOW)
            if existing >= 0, fstat(existing, &st) == 0, st.st_mode & S_IFMT == S_IFREG, Int64(st.st_size) >= confirmed,
                options.size.map({ confirmed <= $0 }) ?? true, ftruncate(existing, off_t(confirmed)) == 0
            {
                fd = existing
                written = confirmed
                startOffset = confirmed
                lastCheckpoint = confirmed
                // finish() reports hashes of the whole file, so hash what is already there.
                hasher =
                    options.wantHashes.isEmpty
                    ? nil : try LocalWriter.rehash(partial, options.wantHashes, size: options.size)
                return
            }
            if existing >= 0 { Glibc.close(existing) }
            connector.host.log(.info, "cannot resume '\(shown)' (partial file gone or shorter): starting over")
        }

        // A partial file a killed run left behind is replaced, never appended to. The parent
        // folder is made only when the create says it is missing: the common case costs no stat.
        var created = open(partial, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0o666)
        if created < 0 && (errno == ENOENT || errno == ENOTDIR) {
            try LocalWriter.makeParent(parent, connector: connector, path: path, shown: shown)
            created = open(partial, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0o666)
        }
        guard created >= 0 else { throw ConnectorFailure.posix(errno, "create", shown) }
        fd = created
        written = 0
        hasher = options.wantHashes.isEmpty ? nil : MultiHasher(options.wantHashes, size: options.size)
        if let size = options.size, size >= LocalWriter.checkpointInterval {
            // Reserve a large file's space up front: a full disk fails now, not after most of the
            // copy. (Small files skip it: on a busy disk every extra metadata operation shows.)
            let rc = posix_fallocate(fd, 0, off_t(size))
            if rc == ENOSPC || rc == EDQUOT {
                Glibc.close(fd)
                unlink(partial)
                throw ConnectorFailure.posix(rc, "write", shown)
            }
        }
        options.checkpoint?(LocalWriter.makeToken(0), 0)
    }

    deinit { abort() }

    /// `O_TMPFILE`, hidden from Swift behind _GNU_SOURCE: (__O_TMPFILE | O_DIRECTORY).
    private static let openTemporaryFile = 0o20_000_000 | O_DIRECTORY

    /// Unnamed files need /proc to be linked by an unprivileged process.
    private static let canLinkUnnamed = access("/proc/self/fd", X_OK) == 0

    /// Makes the missing folders of a file's parent, after a create found it missing.
    /// resolve() checked the folders that existed; the ones made now get a look too.
    private static func makeParent(_ parent: String, connector: LocalConnector, path: String, shown: String) throws {
        if try connector.makeDirectories(parent, shown: shown) { try connector.paths.checkContained(relative: path) }
    }

    /// An unnamed file in `parent` (made first if missing), or nil where the file system has none.
    private static func openUnnamed(in parent: String, connector: LocalConnector, path: String, shown: String) throws
        -> Int32?
    {
        guard canLinkUnnamed else { return nil }
        var fd = open(parent, openTemporaryFile | O_WRONLY | O_CLOEXEC, 0o666)
        if fd < 0 && (errno == ENOENT || errno == ENOTDIR) {
            try makeParent(parent, connector: connector, path: path, shown: shown)
            fd = open(parent, openTemporaryFile | O_WRONLY | O_CLOEXEC, 0o666)
        }
        if fd >= 0 { return fd }
        switch errno {
        case EOPNOTSUPP, EISDIR, EINVAL: return nil  // this file system has no unnamed files
        default: throw ConnectorFailure.posix(errno, "create", shown)
        }
    }

    /// Gives the unnamed file its name. A file that appeared there meanwhile is an error, or, when
    /// replacing, is replaced through the partial file's name.
    private func linkUnnamed() throws {
        let handle = "/proc/self/fd/\(fd)"
        if linkat(AT_FDCWD, handle, AT_FDCWD, target, AT_SYMLINK_FOLLOW) == 0 { return }
        guard errno == EEXIST else { throw ConnectorFailure.posix(errno, "link into place", shown) }
        guard options.replace else {
            var st = stat()
            if lstat(target, &st) == 0, st.st_mode & S_IFMT == S_IFDIR {
                throw ConnectorFailure(.isADirectory, "write '\(shown)': a folder is in the way")
            }
            throw ConnectorFailure(.exists, "write '\(shown)': already exists")
        }
        unlink(partial)  // one a killed run left
        guard linkat(AT_FDCWD, handle, AT_FDCWD, partial, AT_SYMLINK_FOLLOW) == 0 else {
            throw ConnectorFailure.posix(errno, "link into place", shown)
        }
        if rename(partial, target) != 0 {
            let err = errno
            unlink(partial)
            throw ConnectorFailure.posix(err, "rename into place", shown)
        }
    }

    /// Tokens are "local-v1:OFFSET": the partial file is found by the target's name.
    static func makeToken(_ offset: Int64) -> String { "local-v1:\(offset)" }

    static func parseToken(_ token: String) -> Int64? {
        guard token.hasPrefix("local-v1:"), let offset = Int64(token.dropFirst("local-v1:".count)), offset >= 0 else {
            return nil
        }
        return offset
    }

    /// Hashes the bytes already in a resumed partial file so finish() can still report hashes.
    /// `size` is the whole file's (known to a resumed upload), which GCID needs first.
    private static func rehash(_ file: String, _ kinds: Set<HashKind>, size: Int64?) throws -> MultiHasher {
        let reader = try LocalReader(path: file, shown: file, offset: 0, length: nil)
        var hasher = MultiHasher(kinds, size: size)
        defer { reader.close() }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let n = try reader.read(into: buffer)
            if n == 0 { break }
            hasher.update(UnsafeRawBufferPointer(rebasing: buffer[..<n]))
        }
        return hasher
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard fd >= 0 else { throw ConnectorFailure(.invalidArgument, "write after finish or abort") }
        if let size = options.size, written + Int64(bytes.count) > size {
            throw ConnectorFailure(.invalidArgument, "write '\(shown)': more than the declared \(size) bytes")
        }
        var offset = 0
        while offset < bytes.count {
            let n = pwrite(
                fd, bytes.baseAddress! + offset, min(bytes.count - offset, LocalWriter.largestWrite),
                off_t(written) + off_t(offset))
            if n < 0 {
                if errno == EINTR { continue }
                throw ConnectorFailure.posix(errno, "write", shown)
            }
            offset += n
        }
        hasher?.update(bytes)
        written += Int64(bytes.count)
        if written - lastCheckpoint >= LocalWriter.checkpointInterval, let checkpoint = options.checkpoint {
            lastCheckpoint = written
            checkpoint(LocalWriter.makeToken(written), written)
        }
    }

    /// Kernel-side copy for server-side copies within the account.
    func copyAll(from source: Int32, count: Int64, host: ConnectorHost) throws {
        var inOffset: Int64 = 0
        while inOffset < count {
            try host.checkCancelled()
            // sendfile copies file to file inside the kernel; it writes at fd's own offset.
            guard lseek(fd, off_t(written), SEEK_SET) >= 0 else { throw ConnectorFailure.posix(errno, "seek", shown) }
            var from = off_t(inOffset)
            let n = sendfile(fd, source, &from, Int(min(count - inOffset, 64 << 20)))
            if n < 0 {
                if errno == EINTR { continue }
                throw ConnectorFailure.posix(errno, "copy", shown)
            }
            if n == 0 { break }
            inOffset += Int64(n)
            written += Int64(n)
            host.progress("copy \(path)", done: inOffset, total: count)
        }
    }

    func finish() throws -> ConnectorEntry {
        guard fd >= 0 else { throw ConnectorFailure(.invalidArgument, "finish after finish or abort") }
        defer { abort() }  // on any failure below: close and delete the partial file
        if let size = options.size, written != size {
            throw ConnectorFailure(.invalidArgument, "write '\(shown)': got \(written) of the declared \(size) bytes")
        }
        // No truncation needed: the size check above means the file is exactly as long as
        // preallocated, and a resumed partial was cut to its confirmed offset when opened.
        if let mtime = options.mtimeNanoseconds {
            // Access time untouched; modification time as the source had it.
            var times = [
                timespec(tv_sec: 0, tv_nsec: utimeOmit),
                timespec(tv_sec: Int(mtime.floorDiv(1_000_000_000)), tv_nsec: Int(mtime.floorMod(1_000_000_000))),
            ]
            if futimens(fd, &times) != 0 { throw ConnectorFailure.posix(errno, "set mtime", shown) }
        }
        var st = stat()
        if unnamed {
            try linkUnnamed()
            // A partial file an earlier, killed run left for this target (see StalePartials).
            if connector.stalePartials.mayHold(in: parent) { unlink(partial) }
        } else {
            if !options.replace, lstat(target, &st) == 0 {
                throw ConnectorFailure(.exists, "write '\(shown)': appeared while writing")
            }
            if rename(partial, target) != 0 { throw ConnectorFailure.posix(errno, "rename into place", shown) }
        }
        guard fstat(fd, &st) == 0 else { throw ConnectorFailure.posix(errno, "stat", shown) }
        Glibc.close(fd)
        fd = -1
        var entry = LocalListing.entry(path, st)
        entry.hashes = hasher?.finalize() ?? [:]
        // A kind that needs the size first (GCID) could not be computed while a stream of unknown
        // size arrived: it is read back now that the size is known.
        for kind in options.wantHashes where entry.hashes[kind] == nil && MultiHasher.canCompute(kind) {
            entry.hashes[kind] = try connector.hash(path, kind: kind)
        }
        return entry
    }

    /// Keeps the partial file for a later resume.
    func suspend() {
        guard fd >= 0 else { return }
        Glibc.close(fd)
        fd = -1
    }

    func abort() {
        guard fd >= 0 else { return }
        Glibc.close(fd)
        fd = -1
        // An unnamed file goes with its last descriptor.
        if !unnamed { unlink(partial) }
    }
}

extension Int64 {
    func floorDiv(_ d: Int64) -> Int64 { self >= 0 ? self / d : -((-self - 1) / d) - 1 }
    func floorMod(_ d: Int64) -> Int64 { self - floorDiv(d) * d }
}
