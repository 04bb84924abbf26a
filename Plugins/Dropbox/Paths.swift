import ConnectorKit

/// Paths as Dropbox wants them: the account root is `""`, everything else starts with `/`. Names are
/// checked where Dropbox would refuse them with a less helpful answer.
enum DropboxPath {
    /// `a/b` → `/a/b`; `""` → `""`.
    static func api(_ path: String) throws -> String {
        try validate(path)
        return path.isEmpty ? "" : "/" + path
    }

    static func validate(_ path: String) throws {
        guard !path.isEmpty else { return }
        for part in path.split(separator: "/", omittingEmptySubsequences: false) {
            if part.isEmpty || part == "." || part == ".." || part.contains("\0") {
                throw ConnectorFailure(.invalidArgument, "dropbox: '\(path)' is not a valid path")
            }
            if part.count > 255 {
                throw ConnectorFailure(
                    .invalidArgument, "dropbox: '\(part.prefix(40))…' is longer than Dropbox's 255 characters")
            }
        }
    }

    static func join(_ dir: String, _ name: String) -> String { dir.isEmpty ? name : dir + "/" + name }

    static func parent(_ path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "" }
        return String(path[..<slash])
    }
}
