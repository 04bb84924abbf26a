import ConnectorKit
import Glibc

extension LocalConnector {
    func list(_ dir: String, _ emit: (ConnectorEntry) throws -> Void) throws {
        let abs = try paths.resolve(dir)
        try LocalListing.children(of: abs, shown: dir, paths: paths, host: host, partials: stalePartials, emit)
    }

    func listRecursive(_ dir: String, _ emit: (ConnectorEntry) throws -> Void) throws {
        var pending = [dir]
        while let next = pending.popLast() {
            try list(next) { entry in
                if entry.isDirectory { pending.append(entry.path) }
                try emit(entry)
            }
        }
    }
}

enum LocalListing {
    static func entry(_ path: String, _ st: stat) -> ConnectorEntry {
        let isDir = st.st_mode & S_IFMT == S_IFDIR
        let mtime = Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec)
        return ConnectorEntry(path: path, isDirectory: isDir, size: Int64(st.st_size), mtimeNanoseconds: mtime)
    }

    /// Streams one folder with readdir + fstatat: no whole-folder array is built.
    static func children(
        of abs: String, shown: String, paths: RootedPaths, host: ConnectorHost, partials: StalePartials,
        _ emit: (ConnectorEntry) throws -> Void
    ) throws {
        let fd = open(abs, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw ConnectorFailure.posix(errno, "list", paths.shown(shown)) }
        guard let dir = fdopendir(fd) else {
            let err = errno
            close(fd)
            throw ConnectorFailure.posix(err, "list", paths.shown(shown))
        }
        defer { closedir(dir) }
        let prefix = shown.isEmpty ? "" : shown + "/"
        while true {
            errno = 0
            guard let item = readdir(dir) else {
                if errno != 0 { throw ConnectorFailure.posix(errno, "list", paths.shown(shown)) }
                return
            }
            // "." and ".." are skipped before any String is made: this runs once per entry.
            let isDots = withUnsafeBytes(of: item.pointee.d_name) { b in
                b[0] == 0x2E && (b[1] == 0 || (b[1] == 0x2E && b[2] == 0))
            }
            if isDots { continue }
            let decoded = withUnsafeBytes(of: item.pointee.d_name) {
                String(validatingCString: $0.bindMemory(to: CChar.self).baseAddress!)
            }
            guard let name = decoded else {
                host.log(.warn, "skipping a name in '\(paths.shown(shown))' that is not valid UTF-8")
                continue
            }
            if PartialFile.isPartial(name[...]) {
                partials.found(in: abs)
                continue
            }
            var st = stat()
            guard fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 else { continue }  // vanished meanwhile
            let path = prefix + name
            if st.st_mode & S_IFMT == S_IFLNK {
                // Follow a link only when it stays inside the root; say so when it does not.
                guard let real = realpath(abs + "/" + name, nil) else {
                    host.log(.warn, "skipping broken symbolic link '\(paths.shown(path))'")
                    continue
                }
                let target = String(cString: real)
                free(real)
                guard paths.isInside(target), statFollowing(target, &st) else {
                    host.log(.warn, "skipping symbolic link '\(paths.shown(path))': it leads outside the root")
                    continue
                }
            }
            let kind = st.st_mode & S_IFMT
            guard kind == S_IFREG || kind == S_IFDIR else { continue }  // sockets, fifos, devices
            try emit(entry(path, st))
        }
    }
}
