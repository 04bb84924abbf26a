import Foundation
import SyncHost

/// sync: the destination's extras, deleted only once the gate allows it.
extension SyncRun {
    /// One extra file of a sync, on a worker; retried like a copy. Already gone is as good as deleted
    /// (a retried request whose first try had landed).
    func deleteExtra(_ file: String, at: String) {
        do {
            try calls.destination.call { try destination.remove(at) }
            record(.deleted(path: file)) { $0.deleted += 1 }
        } catch let error as ConnectorError where error.code == .notFound {
            record(.deleted(path: file)) { $0.deleted += 1 }
        } catch {
            fail(file, "cannot delete: \(error)")
        }
    }

    /// Extra files of a sync, many in one call (ABI 1.4 `remove_many`: a store's batch delete),
    /// retried like a copy; a store that cannot after all gets them one by one.
    func deleteExtraBatch(_ batch: [(file: String, at: String)]) {
        let outcomes: [ConnectorError?]
        do {
            outcomes = try calls.destination.call { try destination.removeMany(batch.map(\.at)) }
        } catch let error as ConnectorError where error.code == .unsupported {
            for item in batch { deleteExtra(item.file, at: item.at) }
            return
        } catch {
            for item in batch { fail(item.file, "cannot delete: \(error)") }
            return
        }
        for (item, outcome) in zip(batch, outcomes) {
            if let outcome {
                fail(item.file, "cannot delete: \(outcome)")
            } else {
                record(.deleted(path: item.file)) { $0.deleted += 1 }
            }
        }
    }

    /// What a sync deletes once every copy succeeded: (relative path for reports, destination
    /// path to act on).
    struct Deletions {
        var files: PathSpool
        var folders: [(String, String)] = []
    }

    func deleteExtras(_ deletions: inout Deletions, sourceListingFailed: Bool, sourceEmpty: Bool) {
        let total = deletions.files.count + deletions.folders.count
        guard total > 0 else { return }
        let copiesFailed = tally.withLock { $0.summary.failed > 0 }
        let reason = DeletionGate.refusal(
            .init(
                deletions: total, interrupted: Interruption.requested, sourceListingFailed: sourceListingFailed,
                copiesFailed: copiesFailed, sourceEmpty: sourceEmpty, allowEmptySource: options.allowEmptySource,
                maxDelete: options.maxDelete))
        if let reason {
            record(.deletionsSkipped(count: total, reason: reason)) { $0.deletionsSkipped += total }
            return
        }
        // Files go in parallel, as wide as the destination's share of the run: on a cloud store
        // each deletion is a request, and thousands of them one after another take minutes.
        let deleters = WorkerPool(
            width: min(options.transfers, options.destinationTransfers ?? options.transfers),
            name: "sync-core deleter")
        do {
            defer { deleters.finish() }
            // A store with a batch delete takes up to 1,000 in one request.
            let many = destination.removesMany && !options.dryRun
            var batch: [(file: String, at: String)] = []
            func flush() {
                guard !batch.isEmpty else { return }
                let taken = batch
                batch = []
                deleters.submit { self.deleteExtraBatch(taken) }
            }
            try deletions.files.forEachPair { file, at in
                if options.dryRun {
                    record(.wouldDelete(path: file)) { $0.deleted += 1 }
                    return
                }
                guard many else { return deleters.submit { self.deleteExtra(file, at: at) } }
                batch.append((file, at))
                if batch.count == 1000 { flush() }
            }
            flush()
        } catch {
            // The list could not be read back: the folders stay too (they hold what was not deleted).
            fail("/", "cannot read the list of deletions back: \(error)")
            return
        }
        // Deepest first, so each folder is empty when its turn comes.
        for (folder, at) in deletions.folders.sorted(by: {
            $0.1.split(separator: "/").count > $1.1.split(separator: "/").count
        }) {
            if options.dryRun {
                record(.wouldDelete(path: folder + "/")) { $0.deleted += 1 }
                continue
            }
            do {
                try calls.destination.call { try destination.rmdir(at) }
                record(.deleted(path: folder + "/")) { $0.deleted += 1 }
            } catch let error as ConnectorError where error.code == .notEmpty && options.filter.selectsFiles {
                continue  // it holds files the filters exclude: those are not ours to delete
            } catch {
                fail(folder, "cannot delete the folder: \(error)")
            }
        }
    }
}
