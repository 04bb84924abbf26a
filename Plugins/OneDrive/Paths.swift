import ConnectorKit
import Foundation

/// Graph addresses for account paths: `…/root` for the root, `…/root:/a/b` (and `…/root:/a/b:/action`)
/// for the rest, each segment percent-encoded; the account's `root_folder` is put in front.
extension OneDriveConnector {
    func address(_ path: String, _ action: String? = nil) throws -> String {
        try OneDrivePath.validate(path)
        let full = [settings.rootFolder, path].filter { !$0.isEmpty }.joined(separator: "/")
        if full.isEmpty { return drive + "/root" + (action.map { "/" + $0 } ?? "") }
        let encoded = full.split(separator: "/").map { OneDrivePath.escape(String($0)) }.joined(separator: "/")
        return drive + "/root:/" + encoded + (action.map { ":/" + $0 } ?? "")
    }

    /// `…/items/{id}` (and `/action`).
    func item(_ id: String, _ action: String? = nil) -> String {
        drive + "/items/" + OneDrivePath.escape(id) + (action.map { "/" + $0 } ?? "")
    }
}

enum OneDrivePath {
    static func validate(_ path: String) throws {
        guard !path.isEmpty else { return }
        for part in path.split(separator: "/", omittingEmptySubsequences: false)
        where part.isEmpty || part == "." || part == ".." || part.contains("\0") {
            throw ConnectorFailure(.invalidArgument, "onedrive: '\(path)' is not a valid path")
        }
        // The whole path, folders and name, must stay under 400 characters (onedrive.md §5.3).
        if path.count >= 400 {
            throw ConnectorFailure(
                .invalidArgument, "onedrive: '\(path.prefix(40))…' is longer than OneDrive's 400 characters")
        }
    }

    static func escape(_ segment: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~!$&'()+,;=@")
        return segment.addingPercentEncoding(withAllowedCharacters: allowed) ?? segment
    }

    static func join(_ dir: String, _ name: String) -> String { dir.isEmpty ? name : dir + "/" + name }

    static func split(_ path: String) -> (parent: String, name: String) {
        guard let slash = path.lastIndex(of: "/") else { return ("", path) }
        return (String(path[..<slash]), String(path[path.index(after: slash)...]))
    }
}
