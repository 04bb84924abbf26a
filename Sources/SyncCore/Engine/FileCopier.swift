import Foundation
import SyncHashes
import SyncHost
import SyncState

/// Copies one file from source to destination, verified: the bytes are hashed while they stream,
/// the destination's own hash from finish() must match, and the source's listed hash (if any) must
/// match what was read. A mismatch deletes the bad copy and counts as CORRUPT, which is retried.
///
/// With state, an upload's resume tokens are kept as the destination confirms bytes; a later run
/// that finds a token for the same source file (same size and time) continues from the confirmed
/// offset, hashing the part already sent from the source so verification still covers every byte.
struct FileCopier {
    let source: Session
    let destination: Session
    let verifyKinds: [HashKind]
    let keepMtime: Bool
    let state: (store: StateStore, job: Int64)?
    let limiter: RateLimiter?
    /// Each side's retry path: pacing, backoff and AUTH for that account.
    let sourceCalls: AccountCalls
    let destinationCalls: AccountCalls
    let pump = StreamPump()
    /// Both sides are one account of a store that copies on its own: a file whose listed hash the
    /// store will report for the copy too is copied there, no byte going through the host.
    var serverCopy = false

    struct Copied {
        var bytes: Int64
        /// Attempts that failed verification before one succeeded.
        var corruptionsRetried: Int
        var destinationEntry: Entry
        /// Hashes of the whole file as sent.
        var hashes: [HashKind: String]
        /// Where the upload continued from (0: from the start).
        var resumedFrom: Int64
    }

    /// `progress` receives byte counts as they are sent (a retried attempt counts again).
    func copy(
        _ entry: Entry, from sourcePath: String, to destinationPath: String, relative: String, replace: Bool,
        progress: (Int64) -> Void = { _ in }
    ) throws -> Copied {
        var retries = RetryState(destinationCalls.policy)
        var corruptions = 0
        let trace = TokenTrace()
        while true {
            let generations = (try sourceCalls.ready(), try destinationCalls.ready())
            do {
                var copied = try copyOnce(
                    entry, sourcePath, destinationPath, relative, replace: replace || retries.attempt > 1,
                    trace: trace, progress: progress)
                copied.corruptionsRetried = corruptions
                sourceCalls.answered()
                destinationCalls.answered()
                return copied
            } catch {
                let (side, failure) = SidedError.split(error)
                guard let failure else { throw error }
                // The copier's own findings (a bad copy) are the destination's to retry.
                let (calls, generation) =
                    side == .source
                    ? (sourceCalls, generations.0) : (destinationCalls, generations.1)
                if failure.code == .corrupt { corruptions += 1 }
                try calls.recover(from: failure, generation: generation, &retries)
            }
        }
    }

    /// The store's own copy, verified by the hash both listings report; nil when this file cannot
    /// go that way (then it streams).
    private func copyOnServer(_ entry: Entry, _ sourcePath: String, _ destinationPath: String, replace: Bool) throws
        -> Copied?
    {
        guard serverCopy, !replace, entry.readID == nil, !entry.isDirectory else { return nil }
        let reported = Set(destination.plugin.hashKinds)
        guard let kind = HashKind.preferred(among: entry.hashes.keys.filter(reported.contains)) else { return nil }
        do {
            try SidedError.on(.destination) { try destination.copy(sourcePath, to: destinationPath) }
        } catch let failure as SidedError where [.unsupported, .permission].contains(failure.error.code) {
            return nil  // a copy the store will not make (an MP4 conversion, say) streams instead
        }
        let landed = try SidedError.on(.destination) { try destination.stat(destinationPath) }
        var problem: String?
        if let a = entry.size, let b = landed.size, a != b {
            problem = "the server's copy has \(b) bytes, the source \(a)"
        }
        if landed.hashes[kind] != entry.hashes[kind] {
            problem =
                "the server's copy has \(kind) \(landed.hashes[kind] ?? "none"), the source \(entry.hashes[kind]!)"
        }
        if let problem {
            try? destination.remove(destinationPath)
            throw SidedError(side: .destination, error: ConnectorError(.corrupt, problem))
        }
        return Copied(
            bytes: entry.size ?? landed.size ?? 0, corruptionsRetried: 0, destinationEntry: landed,
            hashes: [kind: entry.hashes[kind]!], resumedFrom: 0)
    }

    /// The kind this file's copy is verified with: one its source listing carries and the
    /// destination reports (both ends checked by one hash), else the run's choice. A file without
    /// a listed hash needs no costlier kind than the destination's fastest.
    private func verification(for entry: Entry) -> [HashKind] {
        let reported = destination.plugin.hashKinds.filter(MultiHasher.canCompute)
        if let kind = HashKind.preferred(among: entry.hashes.keys.filter(reported.contains)) { return [kind] }
        return verifyKinds
    }

    /// The kind to ask the source for before the writer opens: the destination wants the content's
    /// hash before its bytes (PikPak's GCID) and the listing has none it reports, while the source
    /// computes one on demand (a local disk reads the file: cheaper than the writer holding every
    /// byte back in a spool to hash it). Nil when there is nothing to ask.
    private func hashWantedFirst(_ entry: Entry) -> HashKind? {
        guard destination.plugin.capabilities.contains(.hashFirst), !entry.isDirectory, entry.size != nil,
            entry.readID == nil, source.hasHash, source.plugin.capabilities.contains(.hashOnDemand)
        else { return nil }
        let reported = destination.plugin.hashKinds.filter(MultiHasher.canCompute)
        guard !reported.contains(where: { entry.hashes[$0] != nil }) else { return nil }
        return HashKind.preferred(among: reported.filter(source.plugin.hashKinds.contains))
    }

    /// Remembers whether a token was stored, so a finished upload's row is removed only if needed,
    /// and the last token this copy was given, so its next attempt in the same run continues the
    /// upload instead of starting over (whether or not a state database keeps tokens).
    // Unchecked: used by one copy, whose attempts run one after another on one worker.
    private final class TokenTrace: @unchecked Sendable {
        var stored = false
        var latest: String?
    }

    private func copyOnce(
        _ listed: Entry, _ sourcePath: String, _ destinationPath: String, _ relative: String, replace: Bool,
        trace: TokenTrace, progress: (Int64) -> Void
    ) throws -> Copied {
        if let copied = try copyOnServer(listed, sourcePath, destinationPath, replace: replace) {
            progress(copied.bytes)
            return copied
        }
        var entry = listed
        if let kind = hashWantedFirst(entry) {
            do {
                entry.hashes[kind] = try SidedError.on(.source) { try source.hash(sourcePath, kind: kind) }
            } catch let failure as SidedError where failure.error.code == .unsupported {
                // The writer holds the bytes back to hash them itself.
            }
        }
        let stored = try state.flatMap { try $0.store.upload(job: $0.job, path: relative) }
        let mayResume = trace.latest != nil || (stored != nil && stored?.size == entry.size)
        // The kinds hashed while streaming: the one verified, and those the source listed.
        let verify = verification(for: entry)
        let sourceKinds = entry.hashes.keys.filter(MultiHasher.canCompute)
        let kinds = Array(Set(verify).union(sourceKinds)).sorted()
        // What the writer is told of the content up front (ABI 1.3): only kinds the stream
        // checks, as the host promises. A store that holds it already then needs no byte.
        let streamed = Set(MultiHasher(kinds, size: entry.size).kinds)
        let known = entry.hashes.filter { streamed.contains($0.key) }
        let mayHaveIt =
            destination.plugin.capabilities.contains(.hashFirst)
            && known.keys.contains(where: destination.plugin.hashKinds.contains)
        // The source is opened before the writer unless an upload may be resumed or the store may
        // hold the content already (the writer then says from where): a source that cannot be read
        // costs the destination nothing, and no upload is created on the server only to be deleted.
        // A source whose listing lacks the mtime its store keeps (S3) tells it as its reader opens
        // (ABI 1.2), so the writer gets it without a stat per file.
        var early: Session.Reader?
        let describes = entry.mtimeNanoseconds == nil && keepMtime && source.readersDescribeFiles
        if !entry.isDirectory && (!(mayResume || mayHaveIt) || describes) {
            let reader = try SidedError.on(.source) { try openSource(entry, sourcePath, offset: 0, length: nil) }
            if describes { entry.mtimeNanoseconds = reader.describedEntry()?.mtimeNanoseconds }
            early = reader
        }
        defer { early?.close() }
        var token = trace.latest
        if token == nil, let upload = stored, upload.size == entry.size,
            upload.mtimeNanoseconds == entry.mtimeNanoseconds
        {
            token = upload.token
            trace.stored = true
        }
        let checkpoint: (String, Int64) -> Void = { newToken, confirmed in
            guard confirmed > 0 else { return }  // nothing to resume yet
            trace.latest = newToken
            guard let state else { return }
            try? state.store.recordUpload(
                job: state.job, path: relative,
                .init(
                    size: entry.size, mtimeNanoseconds: entry.mtimeNanoseconds, token: newToken,
                    confirmed: confirmed))
            trace.stored = true
        }
        let writer = try SidedError.on(.destination) {
            try destination.openWriter(
                destinationPath,
                options: .init(
                    size: entry.size, mtimeNanoseconds: keepMtime ? entry.mtimeNanoseconds : nil, replace: replace,
                    wantHashes: verify, resumeToken: token, onResumeToken: checkpoint, knownHashes: known))
        }
        // A token is known good once the writer resumed with it; a stale one started a new upload,
        // whose own token its checkpoints will hand over.
        trace.latest = writer.startOffset > 0 ? token : nil
        do {
            var copied = try pumpAndFinish(
                entry, sourcePath, destinationPath, relative, writer: writer, kinds: kinds, verify: verify,
                trace: trace, opened: early, progress: progress)
            if token == nil && copied.resumedFrom > 0 {
                // Not a resumed upload: the store had the content (known hashes) and took none.
                copied.resumedFrom = 0
                progress(copied.bytes)
            }
            return copied
        } catch {
            // A temporary failure keeps a resumable upload for the next attempt; anything else
            // (a copy that failed verification above all) discards it.
            let code = SidedError.split(error).1?.code
            if trace.latest != nil, writer.canSuspend, code == .transient || code == .rateLimited {
                writer.suspend()
            } else {
                writer.abort()
                trace.latest = nil
            }
            throw error
        }
    }

    /// Streams the source into an open writer and finishes it, verified.
    private func pumpAndFinish(
        _ entry: Entry, _ sourcePath: String, _ destinationPath: String, _ relative: String,
        writer: Session.Writer, kinds: [HashKind], verify: [HashKind], trace: TokenTrace, opened: Session.Reader?,
        progress: (Int64) -> Void
    ) throws -> Copied {
        let start = writer.startOffset
        if let size = entry.size, start > size {
            throw ConnectorError(.corrupt, "destination resumed at \(start), beyond the source's \(size) bytes")
        }
        // A destination that holds every byte (an upload whose last answer was lost, or content
        // the store had: known hashes) is checked against the hashes the source gave, read again
        // only where they do not cover what is verified.
        let whole = start > 0 && start == entry.size
        let given = entry.hashes.filter { kinds.contains($0.key) }
        let unread = whole && !verify.isEmpty && Set(given.keys).isSuperset(of: verify)
        let prefix =
            start > 0 && !kinds.isEmpty && !unread
            ? try SidedError.on(.source) { try hashPrefix(entry, sourcePath, upTo: start, kinds) } : nil
        let sent: StreamPump.Outcome
        if unread {
            sent = StreamPump.Outcome(bytes: 0, hashes: given)
        } else if whole {
            // The destination holds every byte already (an upload whose last answer was lost):
            // nothing is left to read, and a read past the end would be refused.
            var hashes = prefix
            sent = StreamPump.Outcome(bytes: 0, hashes: hashes?.finalize() ?? [:])
        } else {
            sent = try pump(
                entry, sourcePath, into: writer, from: start, opened: opened, kinds: kinds, prefix: prefix,
                progress: progress)
        }
        let bytes = start + sent.bytes
        if let size = entry.size, bytes != size {
            throw ConnectorError(.corrupt, "read \(bytes) bytes from the source, its listing said \(size)")
        }
        for (kind, listed) in entry.hashes {
            if let read = sent.hashes[kind], read != listed {
                throw ConnectorError(
                    .corrupt, "bytes read from the source have \(kind) \(read), its listing says \(listed)")
            }
        }
        let landed = try finishOrFind(writer, destinationPath, bytes: bytes, sent: sent.hashes, verify: verify)
        var problem: String?
        if let size = landed.size, size != bytes {
            problem = "destination reports \(size) bytes, \(bytes) were sent"
        }
        for kind in verify {
            if let theirs = landed.hashes[kind], let ours = sent.hashes[kind], theirs != ours {
                problem = "destination reports \(kind) \(theirs), the bytes sent have \(ours)"
            }
        }
        if unread && !verify.contains(where: { landed.hashes[$0] != nil }) {
            problem = "destination took no bytes and reports no hash that shows it holds them"
        }
        if trace.stored, let state { try? state.store.forgetUpload(job: state.job, path: relative) }
        if let problem {
            // Never leave a copy known to be bad where a reader would take it for the real file.
            try? destination.remove(destinationPath)
            throw ConnectorError(.corrupt, problem)
        }
        return Copied(
            bytes: bytes, corruptionsRetried: 0, destinationEntry: landed, hashes: sent.hashes, resumedFrom: start)
    }

    /// Streams the source from `start` on into the writer.
    private func pump(
        _ entry: Entry, _ sourcePath: String, into writer: Session.Writer, from start: Int64,
        opened: Session.Reader?, kinds: [HashKind], prefix: MultiHasher?, progress: (Int64) -> Void
    ) throws -> StreamPump.Outcome {
        // A reader opened at 0 before the writer serves unless the writer resumed further on.
        let reader =
            try start == 0
            ? opened
                ?? SidedError.on(.source) { try openSource(entry, sourcePath, offset: 0, length: nil) }
            : SidedError.on(.source) { try openSource(entry, sourcePath, offset: start, length: nil) }
        // A download broken mid-file continues where it broke, not from the start.
        let resuming = ResumingReader(reader, at: start, end: entry.size, calls: sourceCalls) { offset in
            try openSource(entry, sourcePath, offset: offset, length: nil)
        }
        defer {
            reader.close()
            resuming.close()
        }
        var last: Int64 = 0
        do {
            return try pump.run(
                from: resuming, to: writer, hashing: kinds, continuing: prefix,
                expectedSize: entry.size.map { $0 - start }
            ) { total in
                limiter?.consume(Int(total - last))
                progress(total - last)
                last = total
            }
        } catch let failure as StreamPump.ReadFailure {
            throw SidedError.tag(.source, failure.underlying)
        } catch {
            throw SidedError.tag(.destination, error)
        }
    }

    /// Finishes the writer. A commit that failed ambiguously (a 5xx, an answer that never came) may
    /// have landed all the same, so the destination is looked at before the failure counts: a file
    /// that arrived whole, proven by its size and a hash of what was sent, is neither sent twice nor
    /// reported as failed.
    private func finishOrFind(
        _ writer: Session.Writer, _ path: String, bytes: Int64, sent: [HashKind: String], verify: [HashKind]
    ) throws -> Entry {
        do {
            return try SidedError.on(.destination) { try writer.finish() }
        } catch let failure as SidedError where [.transient, .rateLimited].contains(failure.error.code) {
            guard let found = try? destinationCalls.call({ try destination.statIfExists(path) }), !found.isDirectory,
                found.size == bytes, landedWhole(found, sent: sent, verify: verify)
            else { throw failure }
            return found
        }
    }

    /// Whether a hash the destination reports (listed, or computed where it can) matches what was sent.
    private func landedWhole(_ found: Entry, sent: [HashKind: String], verify: [HashKind]) -> Bool {
        for kind in verify {
            guard let ours = sent[kind] else { continue }
            if let theirs = found.hashes[kind] { return theirs == ours }
            if destination.hasHash,
                let theirs = try? destinationCalls.call({ try destination.hash(found.path, kind: kind) })
            {
                return theirs == ours
            }
        }
        return false
    }

    /// A reader of the source file: by id for one whose name another file shares, else by path.
    private func openSource(_ entry: Entry, _ path: String, offset: Int64, length: Int64?) throws -> Session.Reader {
        if let id = entry.readID { return try source.openReader(id: id, offset: offset, length: length) }
        return try source.openReader(path, offset: offset, length: length)
    }

    /// Hashes the first `count` bytes of the source (the part a resumed upload already holds).
    private func hashPrefix(_ entry: Entry, _ path: String, upTo count: Int64, _ kinds: [HashKind]) throws
        -> MultiHasher
    {
        var hasher = MultiHasher(kinds, size: entry.size)
        let reader = try openSource(entry, path, offset: 0, length: count)
        defer { reader.close() }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: pump.bufferSize, alignment: 64)
        defer { buffer.deallocate() }
        var seen: Int64 = 0
        while true {
            let n = try reader.read(into: buffer)
            if n == 0 { break }
            hasher.update(UnsafeRawBufferPointer(rebasing: buffer[..<n]))
            seen += Int64(n)
        }
        guard seen == count else {
            throw ConnectorError(.corrupt, "source ended at \(seen) bytes, before the resumed \(count)")
        }
        return hasher
    }
}
