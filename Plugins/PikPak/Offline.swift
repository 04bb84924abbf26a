import ConnectorKit
import Foundation

/// Offline downloads (pikpak.md §3.9): PikPak fetches a URL or a magnet into one of the account's
/// folders itself; each is a task, reported to the host as a cloud-download job.
extension PikPakConnector: CloudDownloads {
    func addJob(source: String, into dir: String) throws -> CloudJob {
        try mkdir(dir)
        let folder = try resolve(dir)
        guard folder.isFolder else { throw ConnectorFailure(.notADirectory, "pikpak: '\(dir)' is a file") }
        let answer = try drive(
            "POST", "/files",
            json: [
                "kind": "drive#file", "name": "", "upload_type": "UPLOAD_TYPE_URL", "url": ["url": source],
                "parent_id": folder.id, "folder_type": "",
            ])
        guard let task = answer["task"] as? [String: Any], let id = task["id"] as? String else {
            throw ConnectorFailure(.transient, "pikpak: the offline download answer has no task")
        }
        cache.touched(dir)
        return try jobStatus(id)
    }

    func jobStatus(_ id: String) throws -> CloudJob { try job(try drive("GET", "/tasks/\(id)")) }

    func listJobs(_ emit: (CloudJob) throws -> Void) throws {
        let phases = "PHASE_TYPE_PENDING,PHASE_TYPE_RUNNING,PHASE_TYPE_ERROR,PHASE_TYPE_COMPLETE"
        var token = ""
        repeat {
            let page = try drive(
                "GET", "/tasks",
                query: [
                    ("type", "offline"), ("limit", "100"), ("page_token", token),
                    ("filters", #"{"phase":{"in":"\#(phases)"}}"#),
                ])
            let tasks = page["tasks"] as? [[String: Any]] ?? []
            for task in tasks { try emit(try job(task)) }
            token = tasks.isEmpty ? "" : page["next_page_token"] as? String ?? ""
        } while !token.isEmpty
    }

    func cancelJob(_ id: String) throws {
        _ = try drive("DELETE", "/tasks", query: [("task_ids", id), ("delete_files", "false")])
    }

    private func job(_ task: [String: Any]) throws -> CloudJob {
        guard let id = task["id"] as? String else { throw ConnectorFailure(.transient, "pikpak: a task without an id") }
        let state: CloudJob.State =
            switch task["phase"] as? String {
            case "PHASE_TYPE_COMPLETE": .completed
            case "PHASE_TYPE_ERROR": .failed
            case "PHASE_TYPE_PENDING": .queued
            default: .running
            }
        let size = Int64("\(task["file_size"] ?? "")").flatMap { $0 > 0 ? $0 : nil }
        let progress = (task["progress"] as? NSNumber)?.int64Value ?? 0
        var path: String?
        if state == .completed, let file = task["file_id"] as? String, !file.isEmpty { path = try pathOf(file) }
        let source = (task["params"] as? [String: Any])?["url"] as? String
        return CloudJob(
            id: id, state: state, name: task["file_name"] as? String ?? task["name"] as? String,
            source: source.flatMap(Self.sourceForDisplay), path: path,
            doneBytes: size.map { $0 * progress / 100 } ?? 0, totalBytes: size,
            message: state == .failed ? task["message"] as? String : nil)
    }

    /// A URL without its query or credentials: a source may carry a private tracker's passkey.
    static func sourceForDisplay(_ source: String) -> String? {
        if source.hasPrefix("magnet:") { return source }
        guard var parts = URLComponents(string: source) else { return nil }
        (parts.user, parts.password, parts.query) = (nil, nil, nil)
        return parts.string
    }

    /// The path of file `id`, walking up its parents (one request per level).
    func pathOf(_ id: String) throws -> String {
        var names: [String] = []
        var current = id
        while !current.isEmpty {
            guard names.count < 256 else {
                throw ConnectorFailure(.internal, "pikpak: the folder chain of \(id) does not end")
            }
            let file = try drive("GET", "/files/\(current)")
            names.append(file["name"] as? String ?? "")
            current = file["parent_id"] as? String ?? ""
        }
        return names.reversed().joined(separator: "/")
    }
}
