import ConnectorKit
import Glibc

/// The local disk under one root folder.
final class LocalConnector: Connector, RecursiveListing, ServerMove, ServerCopy, QuotaReporting, OnDemandHashing,
    Sendable
{
    static let info = ConnectorInfo(
        name: "local",
        version: "1.0.0",
        summary: "Local disk: atomic writes, resumable partial files, mtime kept",
        capabilities: [.rangedRead, .setMtime, .unknownSize, .resumableUpload, .atomicWrite, .emptyDirectories],
        hashKinds: [.crc32, .md5, .sha1, .sha256, .gcid, .dropbox, .quickxor],
        mtimePrecisionNanoseconds: 1,
        nameRules: .init(forbiddenCharacters: "/", maxNameBytes: 255, maxPathBytes: 4095),
        options: [
            .init("root", .path, required: true, help: "Folder that is the root of this account (absolute path)")
        ])

    let paths: RootedPaths
    let host: ConnectorHost
    let stalePartials = StalePartials()

    init(config: ConnectorConfig, host: ConnectorHost) throws {
        paths = try RootedPaths(root: try config.requireString("root"))
        self.host = host
    }

    func stat(_ path: String) throws -> ConnectorEntry {
        let abs = try paths.resolve(path)
        var st = Glibc.stat()
        guard statFollowing(abs, &st) else { throw ConnectorFailure.posix(errno, "stat", paths.shown(path)) }
        return LocalListing.entry(path, st)
    }

    func mkdir(_ path: String) throws {
        let abs = try paths.resolve(path)
        try makeDirectories(abs, shown: paths.shown(path))
    }

    /// mkdir -p, refusing files in the way. True when it created a folder.
    @discardableResult
    func makeDirectories(_ abs: String, shown: String) throws -> Bool {
        var st = Glibc.stat()
        if statFollowing(abs, &st) {
            if st.st_mode & S_IFMT == S_IFDIR { return false }
            throw ConnectorFailure(.exists, "mkdir '\(shown)': a file is in the way")
        }
        if let slash = abs.lastIndex(of: "/"), slash != abs.startIndex {
            try makeDirectories(String(abs[..<slash]), shown: shown)
        }
        if Glibc.mkdir(abs, 0o777) != 0 && errno != EEXIST {
            throw ConnectorFailure.posix(errno, "mkdir", shown)
        }
        return true
    }

    func remove(_ path: String) throws {
        guard !path.isEmpty else { throw ConnectorFailure(.isADirectory, "remove: the root is a folder") }
        let abs = try paths.resolve(path)
        var st = Glibc.stat()
        guard lstat(abs, &st) == 0 else { throw ConnectorFailure.posix(errno, "remove", paths.shown(path)) }
        if st.st_mode & S_IFMT == S_IFDIR {
            throw ConnectorFailure(.isADirectory, "remove '\(paths.shown(path))': is a folder")
        }
        guard unlink(abs) == 0 else { throw ConnectorFailure.posix(errno, "remove", paths.shown(path)) }
    }

    func rmdir(_ path: String) throws {
        guard !path.isEmpty else { throw ConnectorFailure(.invalidArgument, "rmdir: refusing to remove the root") }
        let abs = try paths.resolve(path)
        guard Glibc.rmdir(abs) == 0 else {
            let err = errno
            throw ConnectorFailure.posix(err == EEXIST ? ENOTEMPTY : err, "rmdir", paths.shown(path))
        }
    }

    func move(_ from: String, to: String) throws {
        let source = try paths.resolve(from)
        let target = try paths.resolve(to)
        var st = Glibc.stat()
        guard lstat(source, &st) == 0 else { throw ConnectorFailure.posix(errno, "move", paths.shown(from)) }
        if lstat(target, &st) == 0 { throw ConnectorFailure(.exists, "move: '\(to)' already exists") }
        if let slash = target.lastIndex(of: "/"), slash != target.startIndex {
            try makeDirectories(String(target[..<slash]), shown: paths.shown(to))
        }
        guard rename(source, target) == 0 else { throw ConnectorFailure.posix(errno, "move", paths.shown(from)) }
    }

    func copy(_ from: String, to: String) throws {
        let source = try stat(from)
        guard !source.isDirectory else { throw ConnectorFailure(.isADirectory, "copy '\(from)': is a folder") }
        let reader = try LocalReader(path: try paths.resolve(from), shown: paths.shown(from), offset: 0, length: nil)
        defer { reader.close() }
        let writer = try LocalWriter(
            connector: self, path: to,
            options: WriteOptions(size: source.size, mtimeNanoseconds: source.mtimeNanoseconds))
        do {
            try writer.copyAll(from: reader.fd, count: source.size ?? 0, host: host)
            _ = try writer.finish()
        } catch {
            writer.abort()
            throw error
        }
    }

    func about() throws -> Quota {
        var vfs = statvfs()
        guard statvfs(paths.root, &vfs) == 0 else { throw ConnectorFailure.posix(errno, "statvfs", "") }
        let block = Int64(vfs.f_frsize)
        let total = Int64(vfs.f_blocks) * block
        let free = Int64(vfs.f_bavail) * block
        return Quota(total: total, used: total - Int64(vfs.f_bfree) * block, free: free)
    }

    func openReader(_ path: String, offset: Int64, length: Int64?) throws -> any ConnectorReader {
        try LocalReader(path: try paths.resolve(path), shown: paths.shown(path), offset: offset, length: length)
    }

    func openWriter(_ path: String, options: WriteOptions) throws -> any ConnectorWriter {
        try LocalWriter(connector: self, path: path, options: options)
    }
}
