import ConnectorKit
import Foundation

/// An upload whose GCID the host gave before the bytes (ABI 1.3 known hashes: listed by a PikPak
/// source, or computed by a local one on demand). The ticket is asked for at once, so nothing is
/// spooled: content PikPak holds already completes with no byte read or sent (the host is told the
/// store holds it all), and otherwise the bytes go to the storage host as they arrive: below
/// `upload_cutoff` in one PUT whose body streams (nothing held), above it in parts (one part in
/// memory at most, each checked by its ETag). The host checks every byte against the GCID before it
/// calls finish, and PikPak's completed file must report it.
///
/// Resumable across runs from the parts done (no spool to find): a checkpoint after each part holds
/// the ticket and the parts' ETags; a later run continues after the last part the token names.
final class PikPakStreamingWriter: SuspendableWriter {
    private let target: PikPakUploadTarget
    private var c: PikPakConnector { target.c }
    private var size: Int64 { target.size }
    private var shown: String { target.shown }
    private let gcid: String
    private let checkpoint: ((String, Int64) -> Void)?
    /// The file there already holds this content: finish reports it.
    private var alreadyThere: ConnectorEntry?
    /// The file the ticket made (pending until it completes), removed again if the upload is aborted.
    private var fileID: String?
    private var task: String?
    private var storage: PikPakStorage?
    /// The ticket and the parts done, at or above `upload_cutoff`.
    private var multipart: ResumeState.Multipart?
    /// Bytes of the part being filled.
    private var pending: [UInt8] = []
    /// The one PUT below `upload_cutoff`, its body streaming.
    private var put: HTTPUpload?
    private var written: Int64 = 0
    private(set) var startOffset: Int64 = 0

    init(_ target: PikPakUploadTarget, gcid: String, options: WriteOptions, resume state: ResumeState?) throws {
        self.target = target
        self.gcid = gcid
        checkpoint = options.checkpoint
        if let old = target.alreadyThere(gcid) {
            alreadyThere = old
            startOffset = target.size
            return
        }
        if let state, resume(state) { return }
        let ticket = try target.ticket(gcid: gcid)
        fileID = ticket.fileID
        task = ticket.task
        if ticket.complete {
            c.host.log(.debug, "pikpak: PikPak has the content of \(shown) already; no bytes to send")
            startOffset = size
            return
        }
        let storage = try PikPakStorage(ticket.params, settings: c.settings, http: c.http)
        self.storage = storage
        if size < c.settings.uploadCutoff {
            put = storage.openPut(size: size)
            return
        }
        let parts = try storage.initiate(size: size, chunk: c.settings.chunkSize, what: "upload \(shown)")
        multipart = .init(
            fileID: ticket.fileID, task: ticket.task, gcid: gcid, params: ticket.params, expires: ticket.expires,
            parts: parts)
        pending.reserveCapacity(Int(min(size, parts.partSize)))
    }

    deinit { abort() }

    /// Continues after the parts an earlier run's token names; false when they cannot be used.
    private func resume(_ state: ResumeState) -> Bool {
        guard state.size == size, let parts = state.multipart, parts.gcid == gcid,
            parts.expires > Date().addingTimeInterval(300),
            let storage = try? PikPakStorage(parts.params, settings: c.settings, http: c.http)
        else {
            c.host.log(.info, "pikpak: the interrupted upload of \(shown) cannot be continued; starting over")
            return false
        }
        multipart = parts
        fileID = parts.fileID
        task = parts.task
        self.storage = storage
        startOffset = min(size, Int64(parts.parts.etags.count) * parts.parts.partSize)
        written = startOffset
        pending.reserveCapacity(Int(min(size - startOffset, parts.parts.partSize)))
        c.host.log(.info, "pikpak: resuming the upload of \(shown) at \(startOffset) of \(size) bytes")
        return true
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard written + Int64(bytes.count) <= size, alreadyThere == nil, storage != nil else {
            throw ConnectorFailure(
                .invalidArgument,
                storage == nil
                    ? "pikpak: bytes for \(shown), whose content PikPak holds already"
                    : "pikpak: more than the \(size) bytes announced for \(shown)")
        }
        if let put {
            try put.write(bytes)
            written += Int64(bytes.count)
            return
        }
        guard let partSize = multipart.map({ Int($0.parts.partSize) }) else { return }
        var rest = bytes
        while !rest.isEmpty {
            let taken = min(partSize - pending.count, rest.count)
            pending.append(contentsOf: UnsafeRawBufferPointer(rebasing: rest[..<taken]))
            rest = UnsafeRawBufferPointer(rebasing: rest[taken...])
            written += Int64(taken)
            if pending.count == partSize { try sendPart() }
        }
    }

    /// Sends the part filled so far, then hands the host a token that continues after it.
    private func sendPart() throws {
        guard var state = multipart, let storage else { return }
        try storage.send(part: pending, of: &state.parts, what: "upload \(shown)")
        multipart = state
        pending.removeAll(keepingCapacity: true)
        let confirmed = Int64(state.parts.etags.count) * state.parts.partSize
        checkpoint?(ResumeState(spool: nil, size: size, multipart: state).token, min(confirmed, size))
    }

    func finish() throws -> ConnectorEntry {
        guard written == size || startOffset == size else {
            throw ConnectorFailure(.invalidArgument, "pikpak: \(written) of the \(size) bytes announced for \(shown)")
        }
        if let old = alreadyThere { return old }
        guard let id = fileID else { throw ConnectorFailure(.invalidArgument, "pikpak: finish after abort") }
        if let storage, let upload = put {
            put = nil
            try storage.check(try upload.finish(), what: "upload \(shown)")
        } else if let storage, var state = multipart {
            if !pending.isEmpty {
                try storage.send(part: pending, of: &state.parts, what: "upload \(shown)")
                multipart = state
                pending = []
            }
            try storage.complete(state.parts, what: "upload \(shown)")
        }
        let entry = try target.land(id, task: task, gcid: gcid)
        fileID = nil
        multipart = nil  // completed: nothing for abort to undo
        return entry
    }

    /// Stops, keeping the pending file and the parts for the token a checkpoint handed out; an
    /// upload that issued none has nothing to keep.
    func suspend() {
        guard multipart != nil else { return abort() }
        fileID = nil
        multipart = nil
        pending = []
    }

    func abort() {
        put?.abort()
        put = nil
        if let state = multipart, let storage { storage.abort(state.parts) }
        multipart = nil
        pending = []
        if let id = fileID {
            fileID = nil
            target.discard(pending: id)
        }
    }
}
