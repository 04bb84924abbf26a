import CSQLite
import Foundation
import SyncHost

/// A thin, thread-safe wrapper over one SQLite connection: prepared statements, typed binds, rows.
/// Unchecked: the connection and its cached statements are C pointers, used only under `lock`.
final class Database: @unchecked Sendable {
    enum Value {
        case int(Int64)
        case text(String)
        case real(Double)
        case null
    }

    private var handle: OpaquePointer?
    let path: String
    private let lock = NSLock()
    private var statements: [String: OpaquePointer] = [:]

    init(path: String) throws(ConfigError) {
        self.path = path
        var db: OpaquePointer?
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX
        let rc = sqlite3_open_v2(path, &db, flags, nil)
        guard rc == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "error \(rc)"
            sqlite3_close(db)
            throw ConfigError("cannot open state database \(path): \(message)")
        }
        handle = db
        sqlite3_busy_timeout(db, 10_000)  // several runs may share the database
    }

    deinit {
        for statement in statements.values { sqlite3_finalize(statement) }
        sqlite3_close(handle)
    }

    private func error(_ what: String) -> ConfigError {
        ConfigError("state database \(path): \(what): \(String(cString: sqlite3_errmsg(handle)))")
    }

    func execute(_ sql: String) throws(ConfigError) {
        lock.lock()
        defer { lock.unlock() }
        guard sqlite3_exec(handle, sql, nil, nil, nil) == SQLITE_OK else { throw error("executing \(sql.prefix(40))…") }
    }

    /// Runs a statement (cached by its text) and returns its rows.
    @discardableResult
    func query(_ sql: String, _ arguments: [Value] = []) throws(ConfigError) -> [[Value]] {
        lock.lock()
        defer { lock.unlock() }
        let statement: OpaquePointer
        if let cached = statements[sql] {
            statement = cached
        } else {
            var prepared: OpaquePointer?
            guard sqlite3_prepare_v2(handle, sql, -1, &prepared, nil) == SQLITE_OK, let prepared else {
                throw error("preparing \(sql.prefix(40))…")
            }
            statements[sql] = prepared
            statement = prepared
        }
        defer {
            sqlite3_reset(statement)
            sqlite3_clear_bindings(statement)
        }
        for (i, argument) in arguments.enumerated() {
            let index = Int32(i + 1)
            switch argument {
            case .int(let v): sqlite3_bind_int64(statement, index, v)
            case .text(let v): sc_sqlite3_bind_text(statement, index, v)
            case .real(let v): sqlite3_bind_double(statement, index, v)
            case .null: sqlite3_bind_null(statement, index)
            }
        }
        var rows: [[Value]] = []
        while true {
            let rc = sqlite3_step(statement)
            if rc == SQLITE_DONE { return rows }
            guard rc == SQLITE_ROW else { throw error("running \(sql.prefix(40))…") }
            var row: [Value] = []
            for column in 0..<sqlite3_column_count(statement) {
                switch sqlite3_column_type(statement, column) {
                case SQLITE_INTEGER: row.append(.int(sqlite3_column_int64(statement, column)))
                case SQLITE_FLOAT: row.append(.real(sqlite3_column_double(statement, column)))
                case SQLITE_NULL: row.append(.null)
                default: row.append(.text(String(cString: sqlite3_column_text(statement, column))))
                }
            }
            rows.append(row)
        }
    }
}

extension Database.Value {
    var int: Int64? {
        if case .int(let v) = self { return v }
        return nil
    }
    var text: String? {
        if case .text(let v) = self { return v }
        return nil
    }
    var real: Double? {
        switch self {
        case .real(let v): return v
        case .int(let v): return Double(v)
        default: return nil
        }
    }

    static func optional(_ v: Int64?) -> Database.Value { v.map { .int($0) } ?? .null }
    static func optional(_ v: String?) -> Database.Value { v.map { .text($0) } ?? .null }
}
