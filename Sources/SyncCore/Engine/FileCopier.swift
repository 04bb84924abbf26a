import Foundation
import SyncHashes

/// Copies one file from source to destination, verified: the bytes are hashed while they stream,
/// the destination's own hash from finish() must match, and the source's listed hash (if any) must
/// match what was read. A mismatch deletes the bad copy and counts as CORRUPT, which is retried.
struct FileCopier {
    let source: Session
    let destination: Session
    let verifyKinds: [HashKind]
    let keepMtime: Bool
    let retry: RetryPolicy
    let pump = StreamPump()

    struct Copied {
        var bytes: Int64
        /// Attempts that failed verification before one succeeded.
        var corruptionsRetried: Int
        var destinationEntry: Entry
    }

    func copy(_ entry: Entry, from sourcePath: String, to destinationPath: String, replace: Bool) throws -> Copied {
        var attempt = 0
        var corruptions = 0
        while true {
            attempt += 1
            do {
                var copied = try copyOnce(entry, sourcePath, destinationPath, replace: replace || attempt > 1)
                copied.corruptionsRetried = corruptions
                return copied
            } catch let error as ConnectorError where RetryPolicy.isRetryable(error.code) && attempt < retry.attempts {
                if error.code == .corrupt { corruptions += 1 }
                if source.services.isCancelled { throw error }
                Thread.sleep(forTimeInterval: retry.delay(after: error, attempt: attempt))
            }
        }
    }

    private func copyOnce(_ entry: Entry, _ sourcePath: String, _ destinationPath: String, replace: Bool) throws
        -> Copied
    {
        let sourceKinds = entry.hashes.keys.filter(MultiHasher.canCompute)
        let kinds = Array(Set(verifyKinds).union(sourceKinds)).sorted()
        let reader = try source.openReader(sourcePath)
        defer { reader.close() }
        let writer = try destination.openWriter(
            destinationPath,
            options: .init(
                size: entry.size, mtimeNanoseconds: keepMtime ? entry.mtimeNanoseconds : nil, replace: replace,
                wantHashes: verifyKinds))
        defer { writer.abort() }  // a no-op once finish() has run
        let sent = try pump.run(from: reader, to: writer, hashing: kinds)
        if let size = entry.size, sent.bytes != size {
            throw ConnectorError(.corrupt, "read \(sent.bytes) bytes from the source, its listing said \(size)")
        }
        for (kind, listed) in entry.hashes {
            if let read = sent.hashes[kind], read != listed {
                throw ConnectorError(
                    .corrupt, "bytes read from the source have \(kind) \(read), its listing says \(listed)")
            }
        }
        let landed = try writer.finish()
        var problem: String?
        if let size = landed.size, size != sent.bytes {
            problem = "destination reports \(size) bytes, \(sent.bytes) were sent"
        }
        for kind in verifyKinds {
            if let theirs = landed.hashes[kind], let ours = sent.hashes[kind], theirs != ours {
                problem = "destination reports \(kind) \(theirs), the bytes sent have \(ours)"
            }
        }
        if let problem {
            // Never leave a copy known to be bad where a reader would take it for the real file.
            try? destination.remove(destinationPath)
            throw ConnectorError(.corrupt, problem)
        }
        return Copied(bytes: sent.bytes, corruptionsRetried: 0, destinationEntry: landed)
    }
}
