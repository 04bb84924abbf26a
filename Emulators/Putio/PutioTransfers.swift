import EmulatorKit
import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// One transfer (cloud download). Its status moves with time, computed when it is looked at:
/// IN_QUEUE, then DOWNLOADING with `downloaded` rising, then COMPLETED with `file_id` set (or ERROR).
/// Unchecked: every read and write of its fields happens under the emulator's lock.
final class PutioTransfer: @unchecked Sendable {
    let id: Int64
    let source: String
    let isMagnet: Bool
    var name: String
    let saveParentId: Int64
    let callbackURL: String?
    var created: Date
    var status = "IN_QUEUE"
    var size: Int64
    var downloaded: Int64 = 0
    var fileId: Int64?
    var finished: Date?
    var errorMessage: String?
    /// URL transfers: the fetched bytes, once the fetch ended.
    var fetched: (blob: String, size: Int64, crc: String)?
    var fetchError: String?
    var fetchStarted = false

    init(id: Int64, source: String, saveParentId: Int64, callbackURL: String?, now: Date) {
        self.id = id
        self.source = source
        self.saveParentId = saveParentId
        self.callbackURL = callbackURL
        created = now
        isMagnet = source.hasPrefix("magnet:")
        if isMagnet {
            let query = source.split(separator: "?", maxSplits: 1).last.map(String.init) ?? ""
            let fields = URLForm.decode(query)
            name = fields.first { $0.0 == "dn" }?.1 ?? "magnet-download"
            size = fields.first { $0.0 == "xl" }.flatMap { Int64($0.1) } ?? 3 << 20
        } else {
            name = URL(string: source)?.lastPathComponent ?? "download"
            if name.isEmpty || name == "/" { name = "download" }
            size = 0
        }
    }
}

extension PutioEmulator {
    /// Seconds a transfer spends downloading (after a fifth of that in the queue).
    public var transferDuration: TimeInterval {
        get { withLock { transferSeconds } }
        set { withLock { transferSeconds = newValue } }
    }

    func transfersRoute(_ r: EmulatorRequest, _ a: PutioAccount, _ path: [String]) -> EmulatorResponse? {
        func on(_ method: String, _ pattern: String) -> [String]? {
            r.method == method ? RoutePattern.match(path, pattern) : nil
        }
        if on("POST", "v2/transfers/add") != nil { return addTransfer(r, a) }
        if on("GET", "v2/transfers/list") != nil {
            let all = a.transferOrder.compactMap { a.transfers[$0] }.map { transferJSON($0, a) }
            return PutioJSON.ok(["transfers": all, "cursor": NSNull(), "total": all.count])
        }
        if on("GET", "v2/transfers/count") != nil { return PutioJSON.ok(["count": a.transfers.count]) }
        if on("POST", "v2/transfers/cancel") != nil || on("POST", "v2/transfers/remove") != nil {
            for id in ids(r, "transfer_ids", "transfer_id") { forgetTransfer(id, a) }
            return PutioJSON.ok()
        }
        if on("POST", "v2/transfers/clean") != nil {
            let done = a.transfers.values.filter {
                advance($0, a)
                return ["COMPLETED", "SEEDING", "ERROR"].contains($0.status)
            }
            for t in done { forgetTransfer(t.id, a) }
            return PutioJSON.ok(["deleted_ids": done.map(\.id)])
        }
        if on("POST", "v2/transfers/retry") != nil {
            guard let id = r.param("id").flatMap({ Int64($0) }), let t = a.transfers[id] else {
                return PutioJSON.error(404, "TRANSFER_NOT_FOUND", "Transfer not found")
            }
            if t.status == "ERROR" {
                (t.status, t.errorMessage, t.created, t.fetchStarted, t.fetchError) = (
                    "IN_QUEUE", nil, Date(), false, nil
                )
            }
            return PutioJSON.ok(["transfer": transferJSON(t, a)])
        }
        if let id = on("GET", "v2/transfers/*")?.first {
            guard let t = Int64(id).flatMap({ a.transfers[$0] }) else {
                return PutioJSON.error(404, "TRANSFER_NOT_FOUND", "Transfer not found")
            }
            return PutioJSON.ok(["transfer": transferJSON(t, a)])
        }
        return nil
    }

    private func forgetTransfer(_ id: Int64, _ a: PutioAccount) {
        a.transfers[id] = nil
        a.transferOrder.removeAll { $0 == id }
    }

    private func addTransfer(_ r: EmulatorRequest, _ a: PutioAccount) -> EmulatorResponse {
        guard let url = r.param("url"), !url.isEmpty else { return PutioJSON.error(400, "EMPTY_URL", "URL is empty") }
        guard url.hasPrefix("magnet:") || url.hasPrefix("http://") || url.hasPrefix("https://") else {
            return PutioJSON.error(400, "INVALID_URL", "Unsupported URL")
        }
        guard let parent = node(r.param("save_parent_id") ?? "0", a), parent.isFolder else {
            return notFound("Parent not found")
        }
        let t = PutioTransfer(
            id: newId(), source: url, saveParentId: parent.id, callbackURL: r.param("callback_url"), now: Date())
        a.transfers[t.id] = t
        a.transferOrder.append(t.id)
        return PutioJSON.ok(["transfer": transferJSON(t, a)])
    }

    /// Moves a transfer along its statuses according to the time since it was added.
    func advance(_ t: PutioTransfer, _ a: PutioAccount) {
        guard ["IN_QUEUE", "DOWNLOADING"].contains(t.status) else { return }
        let elapsed = Date().timeIntervalSince(t.created)
        let queue = transferSeconds / 5
        if elapsed < queue { return }
        t.status = "DOWNLOADING"
        if !t.isMagnet {
            if !t.fetchStarted { startFetch(t, a) }
            if let error = t.fetchError {
                (t.status, t.errorMessage) = ("ERROR", error)
                return
            }
            guard let fetched = t.fetched else { return }
            t.size = fetched.size
        }
        let fraction = min(1, (elapsed - queue) / max(transferSeconds, 0.001))
        t.downloaded = Int64(Double(t.size) * fraction)
        guard fraction >= 1 else { return }
        t.fileId = materialize(t, a)
        t.downloaded = t.size
        t.status = "COMPLETED"
        t.finished = Date()
    }

    /// Fetches a URL transfer's bytes in the background (loopback only in tests).
    private func startFetch(_ t: PutioTransfer, _ a: PutioAccount) {
        t.fetchStarted = true
        guard let url = URL(string: t.source) else {
            t.fetchError = "invalid URL"
            return
        }
        let blob = newBlobPath()
        let task = URLSession.shared.downloadTask(with: url) { [weak self] location, response, error in
            guard let self else { return }
            let status = (response as? HTTPURLResponse)?.statusCode ?? 0
            var result: (String, Int64, String)?
            var failure: String?
            if let error {
                failure = "download failed: \(error.localizedDescription)"
            } else if !(200..<300).contains(status) {
                failure = "download failed: HTTP \(status)"
            } else if let location, (try? FileManager.default.moveItem(atPath: location.path, toPath: blob)) != nil {
                let attributes = try? FileManager.default.attributesOfItem(atPath: blob)
                let size = (attributes?[.size] as? NSNumber)?.int64Value ?? 0
                result = (blob, size, PutioCRC.of(file: blob))
            } else {
                failure = "download failed: no data"
            }
            self.withLock {
                if let result { t.fetched = (result.0, result.1, result.2) } else { t.fetchError = failure }
            }
        }
        task.resume()
    }

    /// Creates the transfer's result: a file (a URL, a magnet named like a video) or a folder with a
    /// video and its subtitles (other magnets). Returns its id.
    private func materialize(_ t: PutioTransfer, _ a: PutioAccount) -> Int64 {
        let parent = a.nodes[t.saveParentId] != nil || t.saveParentId == 0 ? t.saveParentId : 0
        if let fetched = t.fetched {
            return place(
                a, parent: parent, name: t.name, blob: fetched.blob, size: fetched.size, crc: fetched.crc,
                updatedAt: nil, overwrite: false
            ).id
        }
        func synthesized(_ name: String, _ size: Int64, into folder: Int64) -> Int64 {
            let blob = newBlobPath()
            var bytes = [UInt8](repeating: 0, count: Int(size))
            var state = UInt64(t.id) | 1
            for i in bytes.indices {
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                bytes[i] = UInt8(truncatingIfNeeded: state >> 33)
            }
            _ = FileManager.default.createFile(atPath: blob, contents: Data(bytes))
            let crc = bytes.withUnsafeBytes { PutioCRC.hex(PutioCRC.update(0, $0)) }
            return place(
                a, parent: folder, name: name, blob: blob, size: size, crc: crc, updatedAt: nil, overwrite: false
            ).id
        }
        let videoExtensions = ["mkv", "mp4", "avi", "m4v"]
        if videoExtensions.contains((t.name as NSString).pathExtension.lowercased()) {
            return synthesized(t.name, t.size, into: parent)
        }
        let folder = PutioNode(id: newId(), parentId: parent, name: t.name, isFolder: true, now: clock())
        a.add(folder)
        _ = synthesized(t.name + ".mkv", t.size, into: folder.id)
        _ = synthesized(t.name + ".en.srt", 2048, into: folder.id)
        return folder.id
    }

    func transferJSON(_ t: PutioTransfer, _ a: PutioAccount) -> [String: Any] {
        advance(t, a)
        let percent = t.size > 0 ? Int(t.downloaded * 100 / t.size) : (t.status == "COMPLETED" ? 100 : 0)
        let message: String =
            switch t.status {
            case "IN_QUEUE": "In queue..."
            case "DOWNLOADING": "Downloading (\(percent)%)"
            case "COMPLETED": "Completed"
            case "ERROR": t.errorMessage ?? "Error"
            default: t.status
            }
        return [
            "id": t.id, "name": t.name, "type": t.isMagnet ? "TORRENT" : "URL", "status": t.status,
            "status_message": message, "percent_done": percent, "completion_percent": percent,
            "size": t.size, "downloaded": t.downloaded, "uploaded": 0,
            "down_speed": t.status == "DOWNLOADING" ? 1_048_576 : 0,
            "up_speed": 0, "estimated_time": NSNull(), "availability": NSNull(), "current_ratio": 0.0,
            "save_parent_id": t.saveParentId, "file_id": t.fileId.map { $0 as Any } ?? NSNull(),
            "created_at": PutioJSON.time(Int64(t.created.timeIntervalSince1970)),
            "finished_at": t.finished.map { PutioJSON.time(Int64($0.timeIntervalSince1970)) as Any } ?? NSNull(),
            "error_message": t.errorMessage.map { $0 as Any } ?? NSNull(), "source": t.source,
            "magneturi": t.isMagnet ? t.source as Any : NSNull(),
            "callback_url": t.callbackURL.map { $0 as Any } ?? NSNull(),
            "userfile_exists": t.fileId != nil, "simulated": false, "links": [Any](),
        ]
    }
}
