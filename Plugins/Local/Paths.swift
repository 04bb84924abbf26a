import ConnectorKit
import Glibc

/// Maps account-relative paths to absolute ones without ever leaving the root: a path with `..`,
/// `.`, empty segments or NUL is refused, and so is any symlink that resolves outside the root.
struct RootedPaths {
    let root: String
    /// The root with symlinks resolved, used for containment checks.
    let realRoot: String

    init(root: String) throws {
        guard root.hasPrefix("/") else {
            throw ConnectorFailure(.invalidArgument, "option 'root' must be an absolute path, got '\(root)'")
        }
        var trimmed = root
        while trimmed.count > 1 && trimmed.hasSuffix("/") { trimmed.removeLast() }
        self.root = trimmed
        guard let resolved = realpath(trimmed, nil) else {
            throw ConnectorFailure.posix(errno, "open root", trimmed)
        }
        realRoot = String(cString: resolved)
        free(resolved)
        var st = stat()
        guard statFollowing(realRoot, &st), st.st_mode & S_IFMT == S_IFDIR else {
            throw ConnectorFailure(.notADirectory, "root '\(trimmed)' is not a folder")
        }
    }

    /// Refuses paths that could name something outside the root.
    static func validate(_ path: String) throws {
        if path.isEmpty { return }
        // One pass over the bytes, no array of segments: this runs for every operation.
        var length = 0  // bytes of the current segment
        var dots = 0  // how many of them are '.'
        func checkSegment() throws {
            if length == 0 || (dots == length && dots <= 2) {
                throw ConnectorFailure(.invalidArgument, "path '\(path)' has an empty, '.' or '..' segment")
            }
        }
        for byte in path.utf8 {
            switch byte {
            case 0:
                throw ConnectorFailure(.invalidArgument, "path contains a NUL byte")
            case UInt8(ascii: "/"):
                try checkSegment()
                length = 0
                dots = 0
            default:
                length += 1
                if byte == UInt8(ascii: ".") { dots += 1 }
            }
        }
        try checkSegment()
    }

    /// `path` as errors show it: from `/` when the root is `/` (a bare local path given on the command
    /// line), else relative to the account's root.
    func shown(_ path: String) -> String {
        root == "/" ? "/" + path : (path.isEmpty ? "/" : path)
    }

    /// The absolute path of `path` under the root (lexically; see `checkContained`).
    func absolute(_ path: String) throws -> String {
        try RootedPaths.validate(path)
        if path.isEmpty { return root }
        return root == "/" ? "/" + path : root + "/" + path
    }

    /// True if `real` (already resolved) lies within the real root.
    func isInside(_ real: String) -> Bool {
        real == realRoot || realRoot == "/" || real.hasPrefix(realRoot + "/")
    }

    /// Refuses `relative` (a validated path under the root) when a symbolic link in it leads outside
    /// the root. Only what lies below the root can change during a run (the root itself was resolved
    /// when the session opened), so each of those components gets one lstat, stopping where the path
    /// ends or does not exist yet; a component that is a link sends the whole path to `realpath`.
    /// (realpath itself reads every component from `/` again for each prefix: 14 system calls per
    /// copied file here, more than the copy's own.)
    func checkContained(relative: String) throws {
        // Nothing leads outside `/` (a bare local path on the command line has it as its root).
        if relative.isEmpty || realRoot == "/" { return }
        var st = stat()
        var end = relative.utf8.startIndex
        while end != relative.utf8.endIndex {
            end =
                relative.utf8[relative.utf8.index(after: end)...].firstIndex(of: UInt8(ascii: "/"))
                ?? relative.utf8.endIndex
            let probe = root == "/" ? "/" + relative[..<end] : root + "/" + relative[..<end]
            guard lstat(probe, &st) == 0 else {
                let err = errno
                if err == ENOENT || err == ENOTDIR { return }  // nothing deeper exists (yet)
                throw ConnectorFailure.posix(err, "resolve", shown(relative))
            }
            if st.st_mode & S_IFMT == S_IFLNK {
                return try checkResolved(try absolute(relative), relative)
            }
        }
    }

    /// Resolves `absolute` (its deepest existing ancestor, when it does not exist yet) and refuses it
    /// when it leads outside the root.
    private func checkResolved(_ absolute: String, _ shown: String) throws {
        var probe = absolute
        while true {
            if let resolved = realpath(probe, nil) {
                let real = String(cString: resolved)
                free(resolved)
                if !isInside(real) {
                    throw ConnectorFailure(
                        .invalidArgument, "'\(self.shown(shown))' leads outside the root through a symbolic link")
                }
                return
            }
            let err = errno
            guard err == ENOENT || err == ENOTDIR, let slash = probe.lastIndex(of: "/"), probe != root else {
                if err == ENOENT { return }
                throw ConnectorFailure.posix(err, "resolve", self.shown(shown))
            }
            probe = slash == probe.startIndex ? "/" : String(probe[..<slash])
        }
    }

    /// Lexical absolute path, checked for containment.
    func resolve(_ path: String) throws -> String {
        let abs = try absolute(path)
        try checkContained(relative: path)
        return abs
    }
}

/// stat(2), following symbolic links (Glibc's `stat` name is taken by the struct in Swift).
func statFollowing(_ path: String, _ st: inout stat) -> Bool {
    fstatat(AT_FDCWD, path, &st, 0) == 0
}

/// `UTIME_OMIT` from <sys/stat.h>, hidden from Swift behind _GNU_SOURCE: ((1 << 30) - 2).
let utimeOmit = (1 << 30) - 2
