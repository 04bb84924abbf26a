import ConnectorKit
import Foundation

/// Cloud downloads: Put.io's transfers (a magnet, a .torrent URL or any URL, downloaded by Put.io
/// into one of the account's folders).
extension PutioConnector: CloudDownloads {
    func addJob(source: String, into dir: String) throws -> CloudJob {
        try PutioPath.validate(dir)
        try mkdir(dir)
        let folder = try resolve(dir)
        guard folder.isFolder else { throw ConnectorFailure(.notADirectory, "'\(dir)' is a file") }
        let json = try api("POST", "/v2/transfers/add", form: [("url", source), ("save_parent_id", String(folder.id))])
        return try job(json["transfer"])
    }

    func jobStatus(_ id: String) throws -> CloudJob {
        guard Int64(id) != nil else { throw ConnectorFailure(.invalidArgument, "'\(id)' is not a Put.io transfer id") }
        return try job(try api("GET", "/v2/transfers/\(id)")["transfer"])
    }

    func listJobs(_ emit: (CloudJob) throws -> Void) throws {
        let json = try api("GET", "/v2/transfers/list")
        for item in json["transfers"] as? [Any] ?? [] { try emit(try job(item)) }
    }

    func cancelJob(_ id: String) throws {
        guard Int64(id) != nil else { throw ConnectorFailure(.invalidArgument, "'\(id)' is not a Put.io transfer id") }
        _ = try api("POST", "/v2/transfers/cancel", form: [("transfer_ids", id)])
    }

    /// A transfer object as a job; a finished one gets the path of what it created.
    private func job(_ raw: Any?) throws -> CloudJob {
        guard let t = raw as? [String: Any], let id = (t["id"] as? NSNumber)?.int64Value else {
            throw ConnectorFailure(.transient, "transfers: no transfer object in the answer")
        }
        let status = t["status"] as? String ?? ""
        let fileId = (t["file_id"] as? NSNumber)?.int64Value
        let state: CloudJob.State
        switch status {
        case "IN_QUEUE", "WAITING", "PREPARING_DOWNLOAD", "WAITING_FOR_DOWNLOADER": state = .queued
        // Data is available once Put.io has created the file, even while it seeds on.
        case "COMPLETED" where fileId != nil, "SEEDING" where fileId != nil: state = .completed
        case "ERROR": state = .failed
        case "CANCELLED", "STOPPED": state = .cancelled
        default: state = .running
        }
        var path: String?
        if state == .completed, let fileId { path = try pathOf(fileId) }
        func number(_ key: String) -> Int64? { (t[key] as? NSNumber)?.int64Value }
        let size = number("size")
        return CloudJob(
            id: String(id), state: state, name: t["name"] as? String,
            source: Self.sourceForDisplay(t["source"] as? String),
            path: path, doneBytes: number("downloaded") ?? 0, totalBytes: size.flatMap { $0 > 0 ? $0 : nil },
            message: (t["error_message"] as? String) ?? (t["status_message"] as? String))
    }

    /// A URL with its query and credentials dropped: a source may carry a private tracker's passkey.
    static func sourceForDisplay(_ source: String?) -> String? {
        guard let source else { return nil }
        if source.hasPrefix("magnet:") { return source }
        guard var parts = URLComponents(string: source) else { return nil }
        parts.user = nil
        parts.password = nil
        parts.query = nil
        return parts.string
    }

    /// The path of a file or folder id, by walking up its parents (one request per level).
    func pathOf(_ id: Int64) throws -> String {
        var names: [String] = []
        var current = id
        var hops = 0
        while current != 0 {
            hops += 1
            guard hops < 256 else { throw ConnectorFailure(.internal, "the folder chain of \(id) does not end") }
            guard let file = PutioFile(try api("GET", "/v2/files/\(current)")["file"]) else {
                throw ConnectorFailure(.transient, "files/\(current): no file object in the answer")
            }
            names.append(file.name)
            current = file.parentId
        }
        let path = names.reversed().joined(separator: "/")
        return path
    }
}
