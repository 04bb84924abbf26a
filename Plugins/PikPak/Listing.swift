import ConnectorKit
import Foundation

extension PikPakConnector {
    /// Live items only: uploads still in progress are PENDING and trashed items linger in
    /// unfiltered listings for days (pikpak.md §3.1, §3.4).
    static let liveFilter = #"{"phase":{"eq":"PHASE_TYPE_COMPLETE"},"trashed":{"eq":false}}"#

    func list(_ dir: String, _ emit: (ConnectorEntry) throws -> Void) throws {
        let folder = try resolve(dir)
        guard folder.isFolder else { throw ConnectorFailure(.notADirectory, "pikpak: '\(dir)' is a file") }
        try listAll(dir, folder.id) { path, known in try emit(known.entry(path)) }
    }

    /// Every page of a folder's live children, remembered in the cache as a complete listing.
    func listAll(_ dir: String, _ id: String, _ emit: (String, PikPakKnown) throws -> Void) throws {
        var token = ""
        var seen: [(String, PikPakKnown)] = []
        repeat {
            try host.checkCancelled()
            let page = try drive(
                "GET", "/files",
                query: [
                    ("parent_id", id), ("limit", String(settings.pageSize)), ("page_token", token),
                    ("thumbnail_size", "SIZE_MEDIUM"), ("with_audit", "false"), ("filters", Self.liveFilter),
                ])
            let files = page["files"] as? [[String: Any]] ?? []
            for file in files {
                guard let name = file["name"] as? String, !name.isEmpty, !name.contains("/") else { continue }
                let path = PikPakPath.join(dir, name)
                let known = known(file)
                seen.append((path, known))
                try emit(path, known)
            }
            // rclone stops on an empty page too: a server that keeps handing out tokens must not loop.
            token = files.isEmpty ? "" : page["next_page_token"] as? String ?? ""
        } while !token.isEmpty
        cache.putListing(dir, seen)
    }
}
