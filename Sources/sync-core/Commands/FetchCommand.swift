import ArgumentParser
import Foundation
import SyncConfig
import SyncHost

/// Cloud downloads: the store fetches a magnet, a .torrent URL or a URL itself; `--then` migrates
/// the result somewhere else when it is done (Put.io → NAS).
struct FetchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fetch",
        abstract: "Have a store download a magnet, torrent or URL itself; optionally migrate the result.",
        discussion: """
            The result lands in FOLDER (--to, else the remote's path, else the account root). With --then \
            it is migrated, verified, to DST/<its name> once complete. A SOURCE of '-' is read from \
            standard input, which keeps a private tracker's passkey out of the process list.
            Exit codes: 0 done; 1 the download or the migration failed, or --timeout passed; 2 bad input.
            """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The account that downloads: CONNECTOR:ACCOUNT[/folder].")
    var remote: String

    @Argument(help: "A magnet URI, a .torrent URL or an http(s) URL; '-' reads it from standard input.")
    var source: String

    @Option(help: "Folder of the account to download into (relative to its root).")
    var to: String?

    @Flag(help: "Wait until the download completes or fails.")
    var wait = false

    @Option(help: "When complete, migrate the result into this remote (implies --wait).")
    var then: String?

    @Option(help: "Seconds between status checks while waiting.")
    var poll = 3.0

    @Option(help: "Give up waiting after this many seconds (0: never).")
    var timeout = 0.0

    @Flag(help: "One JSON object per status change on standard output.")
    var json = false

    func run() throws {
        try reportingErrors {
            guard poll > 0, poll.isFinite else { throw ConfigError("--poll must be a positive number of seconds") }
            guard timeout >= 0, timeout.isFinite else { throw ConfigError("--timeout must not be negative") }
            let spec = try RemoteSpec.parse(remote)
            let what = try readSource()
            let folder = to.map { $0.trimmingCharacters(in: CharacterSet(charactersIn: "/")) } ?? spec.path
            let thenSpec = try then.map { try RemoteSpec.parse($0) }
            let session = try global.resolver().open(spec)
            defer { session.close() }
            guard session.hasCloudDownloads else {
                throw ConfigError("\(spec.connector) has no cloud downloads (fetch needs a store like putio)")
            }
            var job = try session.addJob(source: what, into: folder)
            report(job, account: spec)
            guard wait || thenSpec != nil else { return }
            let started = Date()
            var last = (job.state, job.doneBytes)
            while !job.state.isFinal {
                if timeout > 0 && Date().timeIntervalSince(started) > timeout {
                    printError("fetch: job \(job.id) not finished after \(Int(timeout)) s (still \(job.state))")
                    throw ExitCode(1)
                }
                Thread.sleep(forTimeInterval: poll)
                job = try session.jobStatus(job.id)
                if (job.state, job.doneBytes) != last {
                    report(job, account: spec)
                    last = (job.state, job.doneBytes)
                }
            }
            guard job.state == .completed, let path = job.path else {
                printError("fetch: job \(job.id) \(job.state)\(job.message.map { ": \($0)" } ?? "")")
                throw ExitCode(1)
            }
            guard let thenSpec else { return }
            session.close()
            try migrate(result: path, of: spec, to: thenSpec)
        }
    }

    private func readSource() throws -> String {
        var text = source
        if source == "-" {
            text = readLine(strippingNewline: true) ?? ""
        }
        text = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !text.isEmpty else { throw ConfigError("fetch: the source is empty") }
        guard text.hasPrefix("magnet:?") || text.hasPrefix("http://") || text.hasPrefix("https://") else {
            throw ConfigError("fetch: the source must be a magnet URI or an http(s) URL")
        }
        return text
    }

    /// The result goes to DST/<name>: a folder result as that folder, a file result into DST.
    private func migrate(result path: String, of spec: RemoteSpec, to destination: RemoteSpec) throws {
        let name = String(path.split(separator: "/").last ?? Substring(path))
        let resultRemote = RemoteSpec(connector: spec.connector, account: spec.account, path: path).description
        let session = try global.resolver().open(RemoteSpec(connector: spec.connector, account: spec.account, path: ""))
        let isFolder = try session.stat(path).isDirectory
        session.close()
        var target = destination
        if isFolder { target.path = target.path.isEmpty ? name : target.path + "/" + name }
        var args = [resultRemote, target.description]
        if let config = global.configPath { args += ["--config", config] }
        if let state = global.statePath { args += ["--state", state] }
        if global.verbose { args.append("-v") }
        if json { args.append("--json") }
        if !json { print("fetch: migrating \(resultRemote) → \(target.description)") }
        try TransferOptions.parse(args).run(.migrate)
    }

    private func report(_ job: CloudJob, account: RemoteSpec) {
        if json {
            var object: [String: Any] = [
                "event": "job", "id": job.id, "state": job.state.description, "done_bytes": job.doneBytes,
            ]
            if let name = job.name { object["name"] = name }
            if let total = job.totalBytes { object["total_bytes"] = total }
            if let path = job.path { object["path"] = path }
            if let message = job.message { object["message"] = message }
            printJSONLine(object)
            return
        }
        var line = "fetch: job \(job.id) \(job.state)"
        if let name = job.name { line += " \(name)" }
        if let total = job.totalBytes, total > 0, !job.state.isFinal {
            line += " \(job.doneBytes * 100 / total)% of \(humanBytes(total))"
        }
        if job.state == .completed, let path = job.path {
            line += " → \(account.connector):\(account.account ?? "")/\(path)"
        }
        if job.state == .failed, let message = job.message { line += ": \(message)" }
        print(line)
        fflush(nil)  // a piped status line is seen as it happens (stdout itself is a global Swift 6 refuses here)
    }
}
