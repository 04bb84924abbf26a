import ConnectorKit

/// Account paths ('/'-separated, relative to the account root) as paths on the server.
struct SFTPPaths {
    /// The account's root folder on the server; "" is the login folder.
    let root: String

    /// The server path of `path`. The host never passes `..` or empty elements; this refuses them
    /// anyway, since a path that climbed out of the root would write where the user never pointed.
    func remote(_ path: String) throws -> String {
        if path.isEmpty { return root.isEmpty ? "." : root }
        for element in path.split(separator: "/", omittingEmptySubsequences: false)
        where element.isEmpty || element == "." || element == ".." || element.contains("\0") {
            throw ConnectorFailure(.invalidArgument, "sftp: path '\(path)' has an element that is not a name")
        }
        if root.isEmpty { return path }
        return root == "/" ? "/" + path : root + "/" + path
    }

    /// The account path's parent ("" for a top-level name) and its last element.
    static func split(_ path: String) -> (parent: String, name: Substring) {
        guard let slash = path.lastIndex(of: "/") else { return ("", path[...]) }
        return (String(path[..<slash]), path[path.index(after: slash)...])
    }
}

/// Quoting for a POSIX shell: inside single quotes nothing is special but the quote itself.
enum ShellQuote {
    static func quote(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
