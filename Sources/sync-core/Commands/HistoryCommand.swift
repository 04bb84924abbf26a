import ArgumentParser
import Foundation
import SyncState

struct HistoryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "history", abstract: "Show past runs, newest first.")

    @OptionGroup var global: GlobalOptions

    @Option(help: "How many runs to show.")
    var limit = 20

    @Flag(help: "One JSON object per run.")
    var json = false

    func run() throws {
        try reportingErrors {
            let store = try StateStore(path: global.statePath ?? StateStore.defaultPath())
            let runs = try store.history(limit: max(1, limit))
            if json {
                for r in runs {
                    var object: [String: Any] = [
                        "id": r.id, "source": r.source, "destination": r.destination, "mode": r.mode,
                        "started": r.started.timeIntervalSince1970, "status": r.status, "copied": r.copied,
                        "bytes": r.bytes,
                        "skipped": r.skipped, "deleted": r.deleted, "failed": r.failed,
                    ]
                    if let f = r.finished { object["finished"] = f.timeIntervalSince1970 }
                    if let m = r.message { object["message"] = m }
                    printJSONLine(object)
                }
                return
            }
            guard !runs.isEmpty else {
                print("no runs recorded in \(store.path)")
                return
            }
            var table = TextTable(header: [
                "RUN", "STARTED", "MODE", "STATUS", "COPIED", "SKIPPED", "DELETED", "FAILED", "SOURCE → DESTINATION",
            ])
            let formatter = ISO8601DateFormatter()
            for r in runs {
                table.rows.append([
                    String(r.id), formatter.string(from: r.started), r.mode, r.status,
                    "\(r.copied) (\(humanBytes(r.bytes)))", String(r.skipped), String(r.deleted), String(r.failed),
                    "\(r.source) → \(r.destination)",
                ])
            }
            print(table.render())
        }
    }
}
