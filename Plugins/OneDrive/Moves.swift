import ConnectorKit
import Foundation

/// Folders, deletions, moves (PATCH) and copies (asynchronous, polled), onedrive.md §3.4–3.7.
extension OneDriveConnector {
    /// Makes `path` and its missing parents; an existing folder is success.
    func mkdir(_ path: String) throws {
        try OneDrivePath.validate(path)
        guard !path.isEmpty else { return }
        let (parent, name) = OneDrivePath.split(path)
        let body: [String: Any] = [
            "name": name, "folder": [:] as [String: Any], "@microsoft.graph.conflictBehavior": "fail",
        ]
        var response = try call(
            "POST", try address(parent, "children"), json: body, allowed: [404, 409], what: "create '\(path)'")
        if response.status == 404 {
            try mkdir(parent)
            response = try call(
                "POST", try address(parent, "children"), json: body, allowed: [409], what: "create '\(path)'")
        }
        if response.status == 409 {
            guard let existing = try lookup(path) else {
                throw ConnectorFailure(.transient, "onedrive: '\(path)' was taken, then gone")
            }
            guard existing["folder"] != nil else { throw ConnectorFailure(.exists, "onedrive: '\(path)' is a file") }
        }
    }

    /// The id of a folder by path (the real root id for the root: Graph's `root` alias is not
    /// accepted in a parentReference).
    func folderID(_ path: String) throws -> String {
        guard let item = try lookup(path), let id = item["id"] as? String else {
            throw ConnectorFailure(.notFound, "onedrive: '\(path)' not found")
        }
        guard item["folder"] != nil || item["root"] != nil else {
            throw ConnectorFailure(.notADirectory, "onedrive: '\(path)' is a file")
        }
        return id
    }

    func remove(_ path: String) throws {
        guard !path.isEmpty, let item = try lookup(path), let id = item["id"] as? String else {
            throw ConnectorFailure(.notFound, "onedrive: '\(path)' not found")
        }
        guard item["folder"] == nil else { throw ConnectorFailure(.isADirectory, "onedrive: '\(path)' is a folder") }
        _ = try call("DELETE", self.item(id), what: "delete '\(path)'")
    }

    /// Deleting a folder takes its contents with it, so emptiness is checked first.
    func rmdir(_ path: String) throws {
        guard !path.isEmpty else { throw ConnectorFailure(.invalidArgument, "onedrive: the root cannot be removed") }
        let id = try folderID(path)
        let page = try json(try call("GET", item(id, "children") + "?$top=1", what: "list '\(path)'"), "list")
        if !(page["value"] as? [Any] ?? []).isEmpty {
            throw ConnectorFailure(.notEmpty, "onedrive: '\(path)' is not empty")
        }
        _ = try call("DELETE", item(id), what: "remove '\(path)'")
    }

    /// A PATCH of the parent and the name. An existing target is EXISTS, as the ABI asks (Graph
    /// would answer nameAlreadyExists, except for a change of case only, which it allows).
    func move(_ from: String, to: String) throws {
        guard !from.isEmpty, !to.isEmpty else {
            throw ConnectorFailure(.invalidArgument, "onedrive: cannot move the root")
        }
        guard let source = try lookup(from), let id = source["id"] as? String else {
            throw ConnectorFailure(.notFound, "onedrive: '\(from)' not found")
        }
        if let existing = try lookup(to), existing["id"] as? String != id {
            throw ConnectorFailure(.exists, "onedrive: '\(to)' already exists")
        }
        let (parent, name) = OneDrivePath.split(to)
        try mkdir(parent)
        _ = try call(
            "PATCH", item(id), json: ["parentReference": ["id": try folderID(parent)], "name": name],
            what: "move '\(from)'")
    }

    /// `copy` answers 202 and a monitor URL, polled without the token until the copy is done.
    func copy(_ from: String, to: String) throws {
        guard let source = try lookup(from), let id = source["id"] as? String else {
            throw ConnectorFailure(.notFound, "onedrive: '\(from)' not found")
        }
        if try lookup(to) != nil { throw ConnectorFailure(.exists, "onedrive: '\(to)' already exists") }
        let (parent, name) = OneDrivePath.split(to)
        try mkdir(parent)
        let started = try call(
            "POST", item(id, "copy") + "?@microsoft.graph.conflictBehavior=fail",
            json: ["parentReference": ["id": try folderID(parent)], "name": name],
            headers: [("Prefer", "respond-async")], what: "copy '\(from)'")
        guard started.status == 202, let monitor = started.header("Location") else {
            throw ConnectorFailure(.transient, "onedrive: copy '\(from)': no monitor address")
        }
        var delay = 0.05
        let deadline = Date().addingTimeInterval(3600)
        while Date() < deadline {
            try host.checkCancelled()
            let polled = try http.send(HTTPRequest("GET", monitor))
            let status = polled.json?["status"] as? String ?? ""
            switch status {
            case "completed": return
            case "failed", "deleteFailed":
                let code = (polled.json?["error"] as? [String: Any])?["code"] as? String ?? "failed"
                // A copy the service will not make streams through the host instead.
                throw ConnectorFailure(
                    code.hasPrefix("AccessDenied") ? .unsupported : .transient, "onedrive: copy '\(from)': \(code)")
            default:
                guard polled.isSuccess || polled.status == 303 || polled.status == 202 else {
                    throw OneDriveErrors.failure("copy '\(from)'", polled)
                }
                Thread.sleep(forTimeInterval: delay)
                delay = min(1, delay * 2)
            }
        }
        throw ConnectorFailure(.transient, "onedrive: copy '\(from)' is still running after an hour")
    }
}
