import Foundation
import SyncHashes
import SyncHost

/// What sync-core remembers between runs, in one SQLite database per user (WAL):
/// per job (a source and a destination), the files it transferred and what they looked like on
/// both sides, resume tokens of unfinished large uploads, and the history of runs.
public final class StateStore: Sendable {
    let database: Database
    public var path: String { database.path }

    /// `$SYNC_CORE_STATE` (a file), else `$XDG_STATE_HOME/sync-core/state.db`, else
    /// `~/.local/state/sync-core/state.db`.
    public static func defaultPath(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        UserPaths.file(
            override: "SYNC_CORE_STATE", xdg: "XDG_STATE_HOME", fallback: ".local/state", name: "state.db",
            environment: environment)
    }

    public init(path: String) throws(ConfigError) {
        try UserPaths.createPrivateFolder(for: path, what: "state")
        // Resume tokens may carry upload-session secrets: the database is the user's alone.
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        if fd >= 0 { close(fd) }
        database = try Database(path: path)
        try database.execute("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;")
        try migrate()
    }

    private func migrate() throws(ConfigError) {
        let version = try database.query("PRAGMA user_version").first?.first?.int ?? 0
        if version < 1 {
            try database.execute(
                """
                BEGIN;
                CREATE TABLE IF NOT EXISTS jobs (
                    id INTEGER PRIMARY KEY, source TEXT NOT NULL, destination TEXT NOT NULL,
                    UNIQUE (source, destination));
                CREATE TABLE IF NOT EXISTS files (
                    job INTEGER NOT NULL REFERENCES jobs(id) ON DELETE CASCADE, path TEXT NOT NULL,
                    size INTEGER, mtime_ns INTEGER, hash_kind INTEGER, hash TEXT, source_id TEXT,
                    destination_size INTEGER, destination_mtime_ns INTEGER, destination_id TEXT,
                    PRIMARY KEY (job, path)) WITHOUT ROWID;
                CREATE TABLE IF NOT EXISTS uploads (
                    job INTEGER NOT NULL REFERENCES jobs(id) ON DELETE CASCADE, path TEXT NOT NULL,
                    size INTEGER, mtime_ns INTEGER, token TEXT NOT NULL, confirmed INTEGER NOT NULL,
                    PRIMARY KEY (job, path)) WITHOUT ROWID;
                CREATE TABLE IF NOT EXISTS runs (
                    id INTEGER PRIMARY KEY, job INTEGER NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
                    mode TEXT NOT NULL, started REAL NOT NULL, finished REAL, status TEXT NOT NULL,
                    copied INTEGER DEFAULT 0, bytes INTEGER DEFAULT 0, skipped INTEGER DEFAULT 0,
                    deleted INTEGER DEFAULT 0, failed INTEGER DEFAULT 0, message TEXT);
                PRAGMA user_version = 1;
                COMMIT;
                """)
        }
    }

    /// The job of a source and destination pair, created on first use.
    public func job(source: String, destination: String) throws(ConfigError) -> Int64 {
        try database.query(
            "INSERT OR IGNORE INTO jobs (source, destination) VALUES (?, ?)", [.text(source), .text(destination)])
        guard
            let id = try database.query(
                "SELECT id FROM jobs WHERE source = ? AND destination = ?", [.text(source), .text(destination)]
            ).first?.first?.int
        else {
            throw ConfigError("state database \(path): job row missing after insert")
        }
        return id
    }

    // MARK: Files

    public struct FileRecord: Sendable, Equatable {
        public var size: Int64?
        public var mtimeNanoseconds: Int64?
        public var hashKind: HashKind?
        public var hash: String?
        public var sourceID: String?
        public var destinationSize: Int64?
        public var destinationMtimeNanoseconds: Int64?
        public var destinationID: String?

        public init(
            size: Int64?, mtimeNanoseconds: Int64?, hashKind: HashKind? = nil, hash: String? = nil,
            sourceID: String? = nil, destinationSize: Int64?, destinationMtimeNanoseconds: Int64?,
            destinationID: String? = nil
        ) {
            self.size = size
            self.mtimeNanoseconds = mtimeNanoseconds
            self.hashKind = hashKind
            self.hash = hash
            self.sourceID = sourceID
            self.destinationSize = destinationSize
            self.destinationMtimeNanoseconds = destinationMtimeNanoseconds
            self.destinationID = destinationID
        }
    }

    public func file(job: Int64, path: String) throws(ConfigError) -> FileRecord? {
        guard
            let row = try database.query(
                """
                SELECT size, mtime_ns, hash_kind, hash, source_id, destination_size, destination_mtime_ns,
                       destination_id FROM files WHERE job = ? AND path = ?
                """, [.int(job), .text(path)]
            ).first
        else { return nil }
        return FileRecord(
            size: row[0].int, mtimeNanoseconds: row[1].int,
            hashKind: row[2].int.flatMap { HashKind(rawValue: Int32($0)) },
            hash: row[3].text, sourceID: row[4].text, destinationSize: row[5].int,
            destinationMtimeNanoseconds: row[6].int, destinationID: row[7].text)
    }

    public func recordFile(job: Int64, path: String, _ r: FileRecord) throws(ConfigError) {
        try database.query(
            """
            INSERT OR REPLACE INTO files (job, path, size, mtime_ns, hash_kind, hash, source_id, destination_size,
                destination_mtime_ns, destination_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
            [
                .int(job), .text(path), .optional(r.size), .optional(r.mtimeNanoseconds),
                .optional(r.hashKind.map { Int64($0.rawValue) }), .optional(r.hash), .optional(r.sourceID),
                .optional(r.destinationSize), .optional(r.destinationMtimeNanoseconds), .optional(r.destinationID),
            ])
    }

    public func forgetFile(job: Int64, path: String) throws(ConfigError) {
        try database.query("DELETE FROM files WHERE job = ? AND path = ?", [.int(job), .text(path)])
    }

    public func fileCount(job: Int64) throws(ConfigError) -> Int {
        Int(try database.query("SELECT count(*) FROM files WHERE job = ?", [.int(job)]).first?.first?.int ?? 0)
    }

    // MARK: Resume tokens

    public struct Upload: Sendable, Equatable {
        public var size: Int64?
        public var mtimeNanoseconds: Int64?
        public var token: String
        public var confirmed: Int64

        public init(size: Int64?, mtimeNanoseconds: Int64?, token: String, confirmed: Int64) {
            (self.size, self.mtimeNanoseconds, self.token, self.confirmed) = (size, mtimeNanoseconds, token, confirmed)
        }
    }

    public func upload(job: Int64, path: String) throws(ConfigError) -> Upload? {
        guard
            let row = try database.query(
                "SELECT size, mtime_ns, token, confirmed FROM uploads WHERE job = ? AND path = ?",
                [.int(job), .text(path)]
            ).first, let token = row[2].text
        else { return nil }
        return Upload(size: row[0].int, mtimeNanoseconds: row[1].int, token: token, confirmed: row[3].int ?? 0)
    }

    public func recordUpload(job: Int64, path: String, _ u: Upload) throws(ConfigError) {
        try database.query(
            "INSERT OR REPLACE INTO uploads (job, path, size, mtime_ns, token, confirmed) VALUES (?, ?, ?, ?, ?, ?)",
            [
                .int(job), .text(path), .optional(u.size), .optional(u.mtimeNanoseconds), .text(u.token),
                .int(u.confirmed),
            ])
    }

    public func forgetUpload(job: Int64, path: String) throws(ConfigError) {
        try database.query("DELETE FROM uploads WHERE job = ? AND path = ?", [.int(job), .text(path)])
    }

    // MARK: Runs

    public func startRun(job: Int64, mode: String) throws(ConfigError) -> Int64 {
        // RETURNING (SQLite 3.35): the id of this insert, not of another thread's that came between.
        let rows = try database.query(
            "INSERT INTO runs (job, mode, started, status) VALUES (?, ?, ?, 'running') RETURNING id",
            [.int(job), .text(mode), .real(Date().timeIntervalSince1970)])
        guard let id = rows.first?.first?.int else { throw ConfigError("state database \(path): a new run has no id") }
        return id
    }

    /// What a finished run did, as its history keeps it.
    public struct RunCounts: Sendable {
        public var copied: Int
        public var bytes: Int64
        public var skipped: Int
        public var deleted: Int
        public var failed: Int
        /// The first failures, for `history`.
        public var message: String?

        public init(copied: Int, bytes: Int64, skipped: Int, deleted: Int, failed: Int, message: String?) {
            (self.copied, self.bytes, self.skipped) = (copied, bytes, skipped)
            (self.deleted, self.failed, self.message) = (deleted, failed, message)
        }
    }

    public func finishRun(_ run: Int64, status: String, counts: RunCounts) throws(ConfigError) {
        try database.query(
            """
            UPDATE runs SET finished = ?, status = ?, copied = ?, bytes = ?, skipped = ?, deleted = ?, failed = ?,
                message = ? WHERE id = ?
            """,
            [
                .real(Date().timeIntervalSince1970), .text(status), .int(Int64(counts.copied)), .int(counts.bytes),
                .int(Int64(counts.skipped)), .int(Int64(counts.deleted)), .int(Int64(counts.failed)),
                counts.message.map { .text($0) } ?? .null, .int(run),
            ])
    }

    public struct RunRecord: Sendable {
        public var id: Int64
        public var source: String
        public var destination: String
        public var mode: String
        public var started: Date
        public var finished: Date?
        public var status: String
        public var copied: Int
        public var bytes: Int64
        public var skipped: Int
        public var deleted: Int
        public var failed: Int
        public var message: String?
    }

    /// The most recent runs, newest first.
    public func history(limit: Int = 20) throws(ConfigError) -> [RunRecord] {
        try database.query(
            """
            SELECT r.id, j.source, j.destination, r.mode, r.started, r.finished, r.status, r.copied, r.bytes,
                   r.skipped, r.deleted, r.failed, r.message
            FROM runs r JOIN jobs j ON j.id = r.job ORDER BY r.id DESC LIMIT ?
            """, [.int(Int64(limit))]
        ).map { row in
            RunRecord(
                id: row[0].int ?? 0, source: row[1].text ?? "", destination: row[2].text ?? "", mode: row[3].text ?? "",
                started: Date(timeIntervalSince1970: row[4].real ?? 0),
                finished: row[5].real.map { Date(timeIntervalSince1970: $0) },
                status: row[6].text ?? "", copied: Int(row[7].int ?? 0), bytes: row[8].int ?? 0,
                skipped: Int(row[9].int ?? 0),
                deleted: Int(row[10].int ?? 0), failed: Int(row[11].int ?? 0), message: row[12].text)
        }
    }
}
