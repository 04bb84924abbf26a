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
        if path.utf8.contains(0) { throw ConnectorFailure(.invalidArgument, "path contains a NUL byte") }
        for segment in path.split(separator: "/", omittingEmptySubsequences: false) {
            if segment.isEmpty || segment == "." || segment == ".." {
                throw ConnectorFailure(.invalidArgument, "path '\(path)' has an empty, '.' or '..' segment")
            }
        }
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

    /// Resolves `absolute` (its deepest existing ancestor, when it does not exist yet) and refuses it
    /// when a symlink leads outside the root.
    func checkContained(_ absolute: String, _ shown: String) throws {
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
        try checkContained(abs, path)
        return abs
    }
}

/// stat(2), following symbolic links (Glibc's `stat` name is taken by the struct in Swift).
func statFollowing(_ path: String, _ st: inout stat) -> Bool {
    fstatat(AT_FDCWD, path, &st, 0) == 0
}

/// `UTIME_OMIT` from <sys/stat.h>, hidden from Swift behind _GNU_SOURCE: ((1 << 30) - 2).
let utimeOmit = (1 << 30) - 2
