import ConnectorKit
import Foundation

extension OneDriveConnector {
    /// A folder's children, following `@odata.nextLink` verbatim until there is none (and stopping
    /// on an empty page, as rclone does). OneNote packages are neither files nor folders: skipped.
    func list(_ dir: String, _ emit: (ConnectorEntry) throws -> Void) throws {
        var url: String? = try address(dir, "children") + "?$top=\(settings.pageSize)"
        while let next = url {
            try host.checkCancelled()
            let response = try call("GET", next, allowed: [404], what: "list '\(dir)'")
            if response.status == 404 {
                guard let item = try lookup(dir) else {
                    throw ConnectorFailure(.notFound, "onedrive: '\(dir)' not found")
                }
                throw ConnectorFailure(
                    item["folder"] == nil ? .notADirectory : .notFound, "onedrive: '\(dir)' is not a folder")
            }
            let page = try json(response, "list '\(dir)'")
            let items = page["value"] as? [[String: Any]] ?? []
            for item in items where item["package"] == nil {
                guard let name = item["name"] as? String, !name.isEmpty, !name.contains("/") else { continue }
                try emit(Self.entry(item, path: OneDrivePath.join(dir, name)))
            }
            url = items.isEmpty ? nil : page["@odata.nextLink"] as? String
        }
    }
}
