import Foundation
import SyncHost

/// move (and migrate --delete-source): a source file goes only once its copy is verified.
extension SyncRun {
    func deleteSource(_ path: String, _ entry: Entry) {
        if entry.readID != nil {
            // Removal goes by path, and this path names another file too.
            fail(
                path,
                "copied and verified, but kept in the source: another file there has its name, and deleting by name could remove that one"
            )
            return
        }
        if options.dryRun {
            record(.wouldDelete(path: "source:" + path)) { $0.sourceDeleted += 1 }
            return
        }
        do {
            try calls.source.call { try source.remove(entry.path) }
            record(.sourceDeleted(path: path)) { $0.sourceDeleted += 1 }
        } catch let error as ConnectorError where error.code == .notFound {
            record(.sourceDeleted(path: path)) { $0.sourceDeleted += 1 }  // a retry after the first landed
        } catch {
            fail(path, "copied and verified, but the source could not be deleted: \(error)")
        }
    }

    /// move of a file the destination already has: delete the source only once a hash proves the
    /// copy; if the content turns out different, send it again first.
    func verifyThenDeleteSource(_ s: Entry, _ d: Entry, _ path: String, copier: FileCopier) {
        if options.dryRun {
            deleteSource(path, s)
            return
        }
        do {
            switch try comparison.contentVerdict(s, d, readingAcross: true) {
            case .same?:
                remember(path, s, d, hashes: [:])
                deleteSource(path, s)
            case .differs?:
                performTransfer(s, path, to: d.path, replace: true, copier: copier)
            case nil:
                fail(
                    path, "left in the source: no hash both stores share to verify the copy already at the destination")
            }
        } catch {
            fail(path, "cannot compare contents: \(error)")
        }
    }
}
