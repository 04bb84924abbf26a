import EmulatorKit
import Foundation

/// Download URLs: `/v2/files/<id>/url` hands out a signed, self-authorising storage URL (no token
/// needed, expiring), `/download` answers 302 to one, and the storage host serves ranges.
extension PutioEmulator {
    func signedURL(_ n: PutioNode, _ a: PutioAccount, port: Int, mp4: Bool = false) -> String {
        let signature = UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        grants[signature] = (a.name, n.id, Date().addingTimeInterval(downloadURLLifetime), mp4)
        return "http://127.0.0.1:\(port)/download/\(n.id)?u=\(signature)"
    }

    func downloadURL(_ id: String, _ r: EmulatorRequest, _ a: PutioAccount) -> EmulatorResponse {
        guard let n = node(id, a), !n.isFolder else { return notFound() }
        return PutioJSON.ok(["url": signedURL(n, a, port: r.port)])
    }

    func downloadRedirect(_ id: String, _ r: EmulatorRequest, _ a: PutioAccount, mp4: Bool = false) -> EmulatorResponse
    {
        guard let n = node(id, a), !n.isFolder else { return notFound() }
        if mp4 && n.mp4Blob == nil { return PutioJSON.error(400, "MP4_NOT_FOUND", "MP4 not found") }
        return EmulatorResponse(status: 302, headers: [("Location", signedURL(n, a, port: r.port, mp4: mp4))])
    }

    /// `/files/<id>/mp4`: the conversion's state (POST asks for one; the emulator converts at once).
    func mp4Status(_ id: String, _ r: EmulatorRequest, _ a: PutioAccount) -> EmulatorResponse {
        guard let n = node(id, a), !n.isFolder else { return notFound() }
        if r.method == "POST" && n.mp4Blob == nil {
            guard PutioJSON.fileType((n.name as NSString).pathExtension) == "VIDEO" else {
                return PutioJSON.error(400, "INVALID_MEDIA", "Not a video")
            }
            makeMP4(n)
        }
        let status = n.mp4Blob == nil ? "NOT_AVAILABLE" : "COMPLETED"
        var mp4: [String: Any] = ["id": n.id, "status": status, "percent_done": n.mp4Blob == nil ? 0 : 100]
        if n.mp4Blob != nil { mp4["size"] = n.mp4Size }
        return PutioJSON.ok(["mp4": mp4])
    }

    /// A stand-in for a conversion: deterministic bytes of about four fifths of the original's size.
    func makeMP4(_ n: PutioNode) {
        let size = max(1, n.size * 4 / 5)
        let blob = newBlobPath()
        var words = [UInt64](repeating: 0, count: Int((size + 7) / 8))
        var state = UInt64(bitPattern: n.id) &* 0x9E37_79B9_7F4A_7C15 | 1
        for i in words.indices {
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            words[i] = state
        }
        _ = words.withUnsafeBytes { FileManager.default.createFile(atPath: blob, contents: Data($0.prefix(Int(size)))) }
        n.mp4Blob = blob
        n.mp4Size = size
    }

    /// The storage host: no auth, the signature is the credential. 206 for ranges, 416 past the end.
    func storageDownload(_ r: EmulatorRequest) -> EmulatorResponse {
        let idText = r.path.dropFirst("/download/".count)
        let found: (blob: String, size: Int64, fault: RangedFile.Fault?)? = withLock {
            guard let signature = r.queryValue("u"), let grant = grants[signature], grant.expires > Date(),
                String(grant.id) == idText, let n = accounts[grant.account]?.nodes[grant.id],
                let blob = grant.mp4 ? n.mp4Blob : n.blob
            else { return nil }
            var fault: RangedFile.Fault?
            if faults.droppedDownloads > 0 {
                faults.droppedDownloads -= 1
                fault = .drop
            } else if faults.truncatedDownloads > 0 {
                faults.truncatedDownloads -= 1
                fault = .truncate
            } else if dice.roll(faults.rates.truncatedDownloads) {
                fault = dice.roll(0.5) ? .drop : .truncate
            }
            return (blob, grant.mp4 ? n.mp4Size : n.size, fault)
        }
        guard let found else { return EmulatorResponse(status: 403, body: .bytes(Array("Forbidden".utf8))) }
        let answer = RangedFile.response(
            path: found.blob, size: found.size, range: r.header("Range"), fault: found.fault)
        if case .file(_, _, let length) = answer.body {
            withLock { downloadedBytes += answer.dropAfterBytes ?? length }
        }
        return answer
    }
}
