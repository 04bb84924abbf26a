#include <sqlite3.h>

/* SQLITE_TRANSIENT is a macro cast of -1 to a function pointer: Swift cannot import it. */
static inline int sc_sqlite3_bind_text(sqlite3_stmt *stmt, int index, const char *text) {
    return sqlite3_bind_text(stmt, index, text, -1, SQLITE_TRANSIENT);
}
