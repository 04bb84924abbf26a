import ConnectorKit
import Foundation
import Glibc

/// Where an upload's bytes wait while their GCID is computed (PikPak wants it before the first
/// byte). Mode 0600. When the host can resume uploads, the file has a name in the user's cache
/// folder, so a run killed before the upload is done finds the bytes again and sends only what the
/// store lacks; otherwise it is unlinked at once and gone with the process.
final class PikPakSpool {
    private(set) var fd: Int32
    /// The file's name, for a resumable upload; nil when unlinked.
    let path: String?

    private init(fd: Int32, path: String?) {
        self.fd = fd
        self.path = path
    }

    deinit { close() }

    /// `$XDG_CACHE_HOME/sync-core/pikpak-uploads`, else `~/.cache/…`.
    static var folder: String {
        let env = ProcessInfo.processInfo.environment
        let base =
            env["XDG_CACHE_HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? ((env["HOME"] ?? NSHomeDirectory()) + "/.cache")
        return base + "/sync-core/pikpak-uploads"
    }

    /// A new spool: named (resumable) or unlinked in `$TMPDIR`, else `/var/tmp`.
    static func create(named: Bool) throws -> PikPakSpool {
        let folder: String
        if named {
            folder = Self.folder
            try FileManager.default.createDirectory(
                atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            removeStale(in: folder)
        } else {
            let env = ProcessInfo.processInfo.environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 }
            folder = env ?? (FileManager.default.fileExists(atPath: "/var/tmp") ? "/var/tmp" : "/tmp")
        }
        var template = Array((folder + "/sync-core-pikpak.XXXXXX").utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { throw ConnectorFailure.posix(errno, "keep the upload's bytes in", folder) }
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        let path = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        if !named { unlink(path) }
        return PikPakSpool(fd: fd, path: named ? path : nil)
    }

    /// The spool a resume token names, if it is still there (and is one of ours).
    static func reopen(_ path: String) -> PikPakSpool? {
        guard path.hasPrefix(folder + "/sync-core-pikpak.") else { return nil }
        let fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW)
        guard fd >= 0 else { return nil }
        return PikPakSpool(fd: fd, path: path)
    }

    var size: Int64 {
        var st = stat()
        return fstat(fd, &st) == 0 ? Int64(st.st_size) : 0
    }

    /// Writes `bytes` at `offset`, at most 32 KiB per call: the kernel sizes a page-cache folio by
    /// the write that makes it, and larger ones are costly allocations (docs/benchmarks.md).
    func write(_ bytes: UnsafeRawBufferPointer, at offset: Int64) throws {
        var done = 0
        while done < bytes.count {
            let slice = min(bytes.count - done, 32 << 10)
            let n = pwrite(fd, bytes.baseAddress! + done, slice, off_t(offset) + off_t(done))
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw ConnectorFailure.posix(errno, "keep the upload's bytes in", path ?? "a spool") }
            done += n
        }
    }

    /// Feeds the first `count` bytes to `body`, a megabyte at a time (rehashing a resumed spool).
    func scan(_ count: Int64, _ body: (UnsafeRawBufferPointer) -> Void) throws {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { buffer.deallocate() }
        var offset: Int64 = 0
        while offset < count {
            let n = pread(fd, buffer.baseAddress, Int(min(Int64(buffer.count), count - offset)), off_t(offset))
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw ConnectorFailure.posix(n == 0 ? EIO : errno, "read back", path ?? "a spool") }
            body(UnsafeRawBufferPointer(rebasing: buffer[..<n]))
            offset += Int64(n)
        }
    }

    func truncate(to size: Int64) throws {
        guard ftruncate(fd, off_t(size)) == 0 else {
            throw ConnectorFailure.posix(errno, "truncate", path ?? "a spool")
        }
    }

    func close() {
        if fd >= 0 {
            Glibc.close(fd)
            fd = -1
        }
    }

    /// Closes and deletes it.
    func remove() {
        close()
        if let path { unlink(path) }
    }

    /// Spools a killed run left and no run came back for within two weeks.
    private static func removeStale(in folder: String) {
        let limit = Date().addingTimeInterval(-14 * 86_400)
        for name in (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        where name.hasPrefix("sync-core-pikpak.") {
            let path = folder + "/" + name
            if let modified = (try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date,
                modified < limit
            {
                unlink(path)
            }
        }
    }
}
