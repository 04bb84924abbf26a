/*
 * sync_connector.h — the sync-core connector ABI, version 1.
 *
 * This header is the ONLY thing the sync-core host and a connector share. A connector is a shared
 * library that exports one function, sync_connector_entry(), and answers with a constant descriptor.
 * Everything else — sessions, listings, readers, writers — is reached through function pointers in
 * that descriptor. A connector may be written in C, in Swift (with ConnectorKit), or in anything that
 * can export a C symbol.
 *
 * STABILITY RULES
 *   1. Every versioned struct starts with a struct_size field (or, for the descriptor, magic and
 *      version fields first). A struct only ever grows at its end. A reader of a struct touches a
 *      field only if struct_size covers it; fields it cannot see are treated as zero / NULL.
 *   2. A NULL function slot means "not supported"; the host falls back (for example, no server-side
 *      copy means the host streams the bytes through a reader and a writer).
 *   3. Each addition bumps SC_ABI_MINOR. Any incompatible change bumps SC_ABI_MAJOR; a host refuses a
 *      plugin whose major differs from its own.
 *   4. Integer widths are fixed (int32_t, int64_t, uint64_t). Enumerations are passed as int32_t, never
 *      as C enum types, whose width is compiler-defined.
 *
 * MEMORY OWNERSHIP
 *   Whatever one side hands to the other (strings, entries, buffers, JSON) is valid only for the
 *   duration of the call or callback in which it is handed over. The receiver copies what it keeps.
 *   Nothing is ever freed across the boundary: readers and writers are released through the
 *   connector's own close/finish/abort functions, sessions through close().
 *   The one exception is the descriptor returned by sync_connector_entry(), which must stay valid and
 *   unchanged for as long as the library is loaded (hosts never unload a connector).
 *
 * THREADS
 *   A session must accept concurrent calls from several threads. One reader or one writer is used by
 *   one thread at a time (but different readers/writers of one session may be used concurrently).
 *   Callbacks are invoked on the thread that made the call, before the call returns.
 *   All calls may block; hosts run them on threads of their own.
 *
 * PATHS
 *   Paths are '/'-separated UTF-8 strings relative to the account's root, without a leading or
 *   trailing '/'. The empty string "" is the root itself. The host never passes "." or ".." segments,
 *   empty segments, or NUL bytes; a connector must still refuse any path that would leave its root with
 *   SC_ERR_INVALID_ARGUMENT (defence in depth).
 *
 * ERRORS
 *   Every fallible function returns an sc_code (SC_OK == 0 on success) and, on failure, fills the
 *   caller-provided sc_error. The host's retry policy is driven by the code alone: see sc_code.
 */
#ifndef SYNC_CONNECTOR_H
#define SYNC_CONNECTOR_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------------------------------------- */
/* Versions and identification                                                                     */
/* ---------------------------------------------------------------------------------------------- */

/** Major version of this ABI. A host loads only plugins whose descriptor has the same major. */
#define SC_ABI_MAJOR 1
/**
 * Minor version of this ABI. Bumped on every backwards-compatible addition.
 *   1.0  the first version.
 *   1.1  sc_host.tell_user and sc_host.ask_user; sc_ops.authorize (interactive account setup);
 *        sc_ops.open_reader_id (reading a file by its id where names repeat).
 *   1.2  sc_ops.reader_entry (what an open reader learned of its file: the mtime a listing lacks).
 *   1.3  sc_write_options.hashes (the content's hashes, known before its bytes) and
 *        SC_CAP_HASH_FIRST (writers that want them).
 *   1.4  sc_ops.remove_many (a store's batch delete); SC_NAME_WINDOWS_RESERVED.
 * A field added in 1.N exists only when the struct's struct_size covers it: read sc_host and sc_ops
 * fields beyond the 1.0 ones only after checking struct_size (hosts copy a smaller sc_ops into a
 * zeroed one of their own, so a missing slot reads as NULL).
 */
#define SC_ABI_MINOR 4
/** First field of every descriptor: the bytes "SCON" read as a little-endian 32-bit integer. */
#define SC_MAGIC 0x4E4F4353u
/** Name of the one symbol every connector exports. */
#define SC_ENTRY_SYMBOL "sync_connector_entry"

/* ---------------------------------------------------------------------------------------------- */
/* Result codes                                                                                     */
/* ---------------------------------------------------------------------------------------------- */

/**
 * Result codes (sc_code). Returned by every fallible call and repeated in sc_error.code.
 *
 * How the host reacts to each, in every call it makes (stats, listings, mkdir, deletes, reads,
 * writes, moves, hashes):
 *
 * - RATE_LIMITED and TRANSIENT are retried: RATE_LIMITED after retry_after_ms (the whole account
 *   pauses, every thread that uses it), TRANSIENT after an exponential backoff with jitter. An
 *   operation gets the user's --retries attempts; past them it is retried only while the account
 *   answers nothing at all (an outage), for at most --retry-budget seconds. A file copy that still
 *   failed gets one last pass at the end of the run. Report a failure as TRANSIENT only when the
 *   same call may succeed later; a connection lost, a reply that breaks the protocol, a 5xx.
 * - CORRUPT is retried like TRANSIENT, never past --retries: the bad copy is deleted first.
 * - AUTH re-opens the session once (open() runs again with the account's saved options, where a
 *   refreshed token is) and retries. A second AUTH gives the account up: its remaining work fails
 *   without calls, and the run ends with one line that says how to re-authorize.
 * - EXISTS, NOT_EMPTY, NOT_A_DIRECTORY and IS_A_DIRECTORY are answers the host plans with (a
 *   folder made by another thread meanwhile, a folder that still holds files the filters exclude,
 *   a file where the source has a folder): never retried; where they end an operation, that file
 *   or folder fails with the message, and the run goes on.
 * - NOT_FOUND is not retried. A delete that finds nothing counts as done (a retried request whose
 *   first try had landed).
 * - UNSUPPORTED makes the host fall back where it can (a server-side copy becomes a streamed one);
 *   elsewhere the operation fails.
 * - QUOTA, PERMISSION, INVALID_ARGUMENT and INTERNAL fail the operation at once; the run goes on.
 * - CANCELLED is the answer to the host's own request to stop; the run ends as interrupted.
 *
 * A code this header does not define (from a newer connector) is treated as SC_ERR_INTERNAL.
 */
typedef int32_t sc_code;
#define SC_OK                    0  /* success                                                     */
#define SC_ERR_NOT_FOUND         1  /* path or object does not exist. Not retried.                 */
#define SC_ERR_EXISTS            2  /* target exists and the operation will not replace it.        */
#define SC_ERR_AUTH              3  /* credentials refused/expired. Host re-opens the session once. */
#define SC_ERR_RATE_LIMITED      4  /* slow down. Host waits retry_after_ms, then retries.          */
#define SC_ERR_TRANSIENT         5  /* network hiccup, 5xx. Host retries with exponential backoff.  */
#define SC_ERR_QUOTA             6  /* out of space or quota. Not retried; the run goes on.         */
#define SC_ERR_INVALID_ARGUMENT  7  /* bad path, bad option, name the store refuses. Not retried.  */
#define SC_ERR_UNSUPPORTED       8  /* the store cannot do this. Host falls back if it can.         */
#define SC_ERR_CANCELLED         9  /* host asked to cancel (sc_host.is_cancelled). Not retried.    */
#define SC_ERR_CORRUPT          10  /* data failed an integrity check. Host deletes and retries.    */
#define SC_ERR_INTERNAL         11  /* a bug or an unexpected state in the connector. Not retried.  */
#define SC_ERR_NOT_EMPTY        12  /* rmdir of a folder that still has children. Not retried.      */
#define SC_ERR_NOT_A_DIRECTORY  13  /* a directory operation met a file (list, rmdir, a parent).    */
#define SC_ERR_IS_A_DIRECTORY   14  /* a file operation met a directory (read, remove, write over). */
#define SC_ERR_PERMISSION       15  /* the store refuses access to this object. Not retried.        */

/** Size of sc_error.message, including its terminating NUL. */
#define SC_ERROR_MESSAGE_SIZE 512

/**
 * Error details, allocated by the caller and filled by the callee on failure.
 * The callee must leave message NUL-terminated (truncating if needed) and must never put
 * credentials in it. On success the callee leaves the struct untouched.
 */
typedef struct sc_error {
    sc_code code;          /* same value as the call returned                                  */
    int32_t http_status;   /* HTTP status behind the error, or 0                               */
    int64_t retry_after_ms;/* server-requested wait for SC_ERR_RATE_LIMITED/TRANSIENT, or 0   */
    char message[SC_ERROR_MESSAGE_SIZE]; /* one line, UTF-8, no trailing newline              */
} sc_error;

/* ---------------------------------------------------------------------------------------------- */
/* Hash kinds                                                                                       */
/* ---------------------------------------------------------------------------------------------- */

/**
 * Hash kinds (sc_hash_kind). A descriptor advertises the kinds its store reports as a bit set
 * (bit = 1 << kind). Values are lowercase hexadecimal strings of the digest's bytes in the order the
 * provider defines (crc32: the 4 bytes big-endian, as "%08x" of the value).
 */
typedef int32_t sc_hash_kind;
#define SC_HASH_CRC32     1  /* zlib/IEEE CRC-32 (Put.io)                                    */
#define SC_HASH_MD5       2  /* MD5 (S3 single-part ETag, Drive, SFTP md5sum)                */
#define SC_HASH_SHA1      3  /* SHA-1 (OneDrive business, SFTP sha1sum)                      */
#define SC_HASH_SHA256    4  /* SHA-256                                                      */
#define SC_HASH_DROPBOX   5  /* Dropbox content hash (SHA-256 of 4 MiB block SHA-256s)       */
#define SC_HASH_QUICKXOR  6  /* OneDrive QuickXorHash (hex of the 20 bytes)                  */
#define SC_HASH_GCID      7  /* PikPak/Thunder GCID                                          */
#define SC_HASH_KIND_MAX  63 /* kinds are bit positions in a uint64_t                        */
/** Bit of a hash kind in a uint64_t hash set. */
#define SC_HASH_BIT(kind) (UINT64_C(1) << (kind))
/** Longest hexadecimal value of any kind, including the terminating NUL. */
#define SC_HASH_VALUE_MAX 129

/** One hash value of an entry. */
typedef struct sc_hash {
    sc_hash_kind kind;
    int32_t reserved;      /* zero */
    const char *value;     /* lowercase hex, NUL-terminated */
} sc_hash;

/* ---------------------------------------------------------------------------------------------- */
/* Entries                                                                                          */
/* ---------------------------------------------------------------------------------------------- */

/** Entry kinds. */
#define SC_ENTRY_FILE 1
#define SC_ENTRY_DIR  2

/** sc_entry.mtime_ns when the store does not know the modification time. */
#define SC_MTIME_UNKNOWN (-0x7fffffffffffffffll - 1)
/** sc_entry.size (and sc_write_options.size) when the size is not known. */
#define SC_SIZE_UNKNOWN (-1)

/**
 * One file or folder, handed from connector to host through an sc_entry_fn callback.
 * Every pointer in it is valid only during the callback.
 */
typedef struct sc_entry {
    uint32_t struct_size;  /* sizeof(sc_entry) as the connector was compiled                   */
    int32_t kind;          /* SC_ENTRY_FILE or SC_ENTRY_DIR                                     */
    const char *path;      /* full path relative to the account root (never NULL)              */
    int64_t size;          /* bytes, SC_SIZE_UNKNOWN if unknown; 0 for folders                 */
    int64_t mtime_ns;      /* nanoseconds since the Unix epoch (UTC), or SC_MTIME_UNKNOWN      */
    const char *id;        /* the store's own id for the object, or NULL                       */
    const sc_hash *hashes; /* hash_count values the store already knows, or NULL               */
    uint32_t hash_count;
    uint32_t reserved;     /* zero */
} sc_entry;

/**
 * Receives one entry. Return SC_OK to go on; any other code stops the enumeration, and the calling
 * function returns SC_ERR_CANCELLED (the host knows why it stopped).
 */
typedef sc_code (*sc_entry_fn)(void *ctx, const sc_entry *entry);

/**
 * Receives the outcome of one path of remove_many: its index in the call's array, SC_OK or the
 * error code, and a message for an error (NULL for SC_OK). Called once per path, from the thread
 * that made the call, before it returns; the message is valid during the callback only.
 */
typedef void (*sc_removed_fn)(void *ctx, uint32_t index, sc_code code, const char *message);

/* ---------------------------------------------------------------------------------------------- */
/* Host callbacks                                                                                   */
/* ---------------------------------------------------------------------------------------------- */

/** Log levels for sc_host.log. */
#define SC_LOG_ERROR 1
#define SC_LOG_WARN  2
#define SC_LOG_INFO  3
#define SC_LOG_DEBUG 4

/**
 * Services the host offers a session. Passed to open(); valid until that session's close() returns,
 * so a connector may keep the pointer (not copies of its fields) for the session's lifetime.
 * Every callback may be called from any thread and is thread-safe.
 */
typedef struct sc_host {
    uint32_t struct_size;  /* sizeof(sc_host) as the host was compiled */
    uint32_t abi_minor;    /* SC_ABI_MINOR of the host                  */
    void *ctx;             /* first argument of every callback          */
    /** Log one line. message must never contain credentials. */
    void (*log)(void *ctx, int32_t level, const char *message);
    /** Non-zero once the host wants the current operations to stop; long calls should poll it
        and return SC_ERR_CANCELLED. */
    int32_t (*is_cancelled)(void *ctx);
    /** Progress of a long operation the host cannot see (a server-side copy, a cloud download). */
    void (*progress)(void *ctx, const char *what, int64_t done, int64_t total);
    /**
     * Credentials changed (for example an OAuth token was refreshed). changes_json is a JSON
     * object of option names to new values, merged by the host into the account's stored options.
     * Connectors never write credential files of their own.
     */
    void (*credentials_changed)(void *ctx, const char *changes_json);

    /* ---- since ABI 1.1 (present when struct_size >= 64) ---- */

    /**
     * Show one message to the person running the host: an address to open, a code to type, what
     * is being waited for. Unlike log, never filtered out. Never pass credentials. May be NULL.
     */
    void (*tell_user)(void *ctx, const char *message);
    /**
     * Ask the person running the host a question (during authorize() only). A secret answer is
     * not echoed. Writes the answer, NUL-terminated and at most capacity - 1 bytes, into answer.
     * Returns SC_OK; SC_ERR_UNSUPPORTED when nobody can answer (no terminal: the connector must
     * then say how to give the value another way); SC_ERR_CANCELLED when the user gave no answer.
     * May be NULL.
     */
    sc_code (*ask_user)(void *ctx, const char *question, int32_t secret, char *answer, size_t capacity);
} sc_host;

/* ---------------------------------------------------------------------------------------------- */
/* Opaque handles                                                                                   */
/* ---------------------------------------------------------------------------------------------- */

typedef struct sc_session sc_session; /* one account, opened with a configuration */
typedef struct sc_reader sc_reader;   /* one ranged read of one file                */
typedef struct sc_writer sc_writer;   /* one upload of one file                     */

/* ---------------------------------------------------------------------------------------------- */
/* Writers and resume tokens                                                                       */
/* ---------------------------------------------------------------------------------------------- */

/**
 * Called by a writer at checkpoints with an opaque token that lets a later open_writer() continue
 * the same upload, and the offset up to which the store has confirmed the bytes. The host persists
 * the token (it may hold secrets of the upload session: the host stores it like a credential).
 */
typedef void (*sc_resume_fn)(void *ctx, const char *resume_token, int64_t confirmed_offset);

/** Options of one write. */
typedef struct sc_write_options {
    uint32_t struct_size;     /* sizeof(sc_write_options) as the host was compiled             */
    uint32_t flags;           /* SC_WRITE_* bits                                              */
    int64_t size;             /* exact byte count that will be written, or SC_SIZE_UNKNOWN     */
    int64_t mtime_ns;         /* modification time to set, or SC_MTIME_UNKNOWN                */
    uint64_t want_hashes;     /* hash kinds (bit set) the host wants in finish()'s entry; a
                                 store that must compute hashes itself computes only these    */
    const char *resume_token; /* token from an earlier run's sc_resume_fn, or NULL             */
    sc_resume_fn on_resume;   /* checkpoint callback, or NULL if the host does not resume; with
                                 resume_ctx, valid until the writer is finished, aborted or
                                 suspended                                                    */
    void *resume_ctx;         /* first argument of on_resume                                  */
    /* ---- since ABI 1.3 (present when struct_size covers it) ---- */
    const sc_hash *hashes;    /* hash_count hashes of the bytes that will be written, known
                                 before them (see below), or NULL; valid during open_writer only */
    uint32_t hash_count;
    uint32_t reserved;        /* zero */
} sc_write_options;

/*
 * KNOWN HASHES (ABI 1.3)
 *   sc_write_options.hashes carries what the host knows of the content before sending it: the
 *   hashes the source's listing reported, or that the source computed on demand because the
 *   destination declared SC_CAP_HASH_FIRST. The host promises two things about them:
 *     - it checks every byte it writes against each of these hashes before it calls finish(), and
 *       calls abort() instead when they differ, so a writer may use them in place of hashing the
 *       bytes itself (to announce the content to a store that wants its hash first, with no spool);
 *     - a writer whose store already holds content with one of these hashes (and this size) may
 *       complete without any byte: it sets *out_offset to options->size, the host then writes
 *       nothing and calls finish(), and compares a hash of the same kind in finish()'s entry with
 *       the one it gave. Without a resume token, such an offset is not reported as a resumed upload.
 *   A writer must not report a given hash as its file's in finish() unless the store confirmed it.
 */

/**
 * Replace an existing file at the path. Without it, a file at the path is SC_ERR_EXISTS and stays
 * as it was: open_writer reports it, or finish does where the store learns of it only when the new
 * file takes its name (which also catches a file that appeared during the write).
 */
#define SC_WRITE_REPLACE 0x1u

/* ---------------------------------------------------------------------------------------------- */
/* About (quota)                                                                                    */
/* ---------------------------------------------------------------------------------------------- */

/** Space figures of an account; -1 for any figure the store does not know. */
typedef struct sc_about {
    uint32_t struct_size;  /* set by the host; the connector fills only fields it covers */
    uint32_t reserved;
    int64_t total_bytes;
    int64_t used_bytes;
    int64_t free_bytes;
    int64_t trashed_bytes;
} sc_about;

/* ---------------------------------------------------------------------------------------------- */
/* Cloud-download jobs (Put.io transfers and the like)                                              */
/* ---------------------------------------------------------------------------------------------- */

/** Job states. */
#define SC_JOB_QUEUED      1
#define SC_JOB_RUNNING     2
#define SC_JOB_COMPLETED   3
#define SC_JOB_FAILED      4
#define SC_JOB_CANCELLED   5

/** State of one cloud-download job; valid only during the sc_job_fn callback. */
typedef struct sc_job {
    uint32_t struct_size;
    int32_t state;         /* SC_JOB_*                                                   */
    const char *id;        /* the store's job id                                        */
    const char *name;      /* display name, or NULL                                     */
    const char *source;    /* URL or magnet as submitted (never with credentials)       */
    const char *path;      /* where the result lands, once known, or NULL               */
    int64_t done_bytes;
    int64_t total_bytes;   /* -1 if unknown                                             */
    const char *message;   /* error or status text, or NULL                             */
} sc_job;

/** Receives a job's state. Same return rules as sc_entry_fn. */
typedef sc_code (*sc_job_fn)(void *ctx, const sc_job *job);

/* ---------------------------------------------------------------------------------------------- */
/* Capabilities                                                                                     */
/* ---------------------------------------------------------------------------------------------- */

/*
 * Capability bits (sc_descriptor.capabilities). Bits 0–31 are defined by ABI v1 and its minors;
 * bits 32–63 are reserved for later minors and must be zero. Optional operations are ALSO known by
 * their non-NULL slots; a capability bit describes behaviour that no slot can express.
 */
#define SC_CAP_RANGED_READ      0x1ull  /* open_reader honours offset and length      */
#define SC_CAP_SET_MTIME        0x2ull  /* writers keep sc_write_options.mtime_ns      */
#define SC_CAP_UNKNOWN_SIZE     0x4ull  /* writers accept size == SC_SIZE_UNKNOWN      */
#define SC_CAP_RESUMABLE_UPLOAD 0x8ull  /* writers issue resume tokens                 */
#define SC_CAP_ATOMIC_WRITE     0x10ull  /* a half-written file is never visible        */
#define SC_CAP_EMPTY_DIRS       0x20ull  /* folders exist on their own (not prefixes)   */
#define SC_CAP_SERVER_MOVE      0x40ull  /* move() runs on the store: a rename, or a copy
                                                    and delete there; no byte passes the host   */
#define SC_CAP_SERVER_COPY      0x80ull  /* copy() runs on the server                   */
#define SC_CAP_IDS              0x100ull  /* entries carry stable ids                    */
#define SC_CAP_HASH_ON_DEMAND   0x200ull  /* hashes cost a read of the file (hash())     */
#define SC_CAP_HASH_FIRST       0x400ull  /* writers want the content's hash before its
                                                    bytes (sc_write_options.hashes, ABI 1.3):
                                                    without it they hold the bytes back to hash
                                                    them. A source that can compute that kind on
                                                    demand is asked to, before the writer opens */

/* Name-rule bits (sc_descriptor.name_flags). */
#define SC_NAME_CASE_INSENSITIVE   0x1u  /* "A" and "a" are one name                            */
#define SC_NAME_DUPLICATES_ALLOWED 0x2u  /* one folder may hold two entries of the same name    */
#define SC_NAME_NO_TRAILING_DOT    0x4u  /* names may not end with '.'                          */
#define SC_NAME_NO_TRAILING_SPACE  0x8u  /* names may not end with ' '                          */
#define SC_NAME_NO_LEADING_SPACE   0x10u /* names may not start with ' '                        */
#define SC_NAME_NFC_ONLY           0x20u /* the store normalises names to Unicode NFC           */
#define SC_NAME_WINDOWS_RESERVED   0x40u /* (1.4) refuses CON, PRN, AUX, NUL, COM0-9, LPT0-9
                                            (alone or before an extension, any case),
                                            desktop.ini, .lock, names starting with '~' and
                                            names holding "_vti_" (OneDrive, SharePoint)       */

/* ---------------------------------------------------------------------------------------------- */
/* Operations                                                                                       */
/* ---------------------------------------------------------------------------------------------- */

/**
 * The connector's function table. Required slots are marked REQUIRED; every other slot may be NULL.
 * Slots are only ever appended; the host reads a slot only if struct_size covers it.
 */
typedef struct sc_ops {
    uint32_t struct_size;  /* sizeof(sc_ops) as the connector was compiled */
    uint32_t reserved;

    /**
     * REQUIRED. Open a session for one account. config_json is a JSON object of option name to value
     * (strings, numbers, booleans), validated by the host against options_schema_json. The host
     * pointer stays valid until close(). On success *out is a non-NULL session.
     */
    sc_code (*open)(const sc_host *host, const char *config_json, sc_session **out, sc_error *err);

    /** REQUIRED. Close a session. Every reader and writer of it has been closed/finished/aborted. */
    void (*close)(sc_session *session);

    /**
     * REQUIRED. List the direct children of folder dir, calling fn once per entry, in any order.
     * Streams: the connector must not hold a whole large folder to call fn. Fails with
     * SC_ERR_NOT_FOUND if dir does not exist, SC_ERR_NOT_A_DIRECTORY if it is a file.
     */
    sc_code (*list)(sc_session *session, const char *dir, sc_entry_fn fn, void *ctx, sc_error *err);

    /**
     * Optional. List every entry below dir (not dir itself), folders included, in any order.
     * For stores that list a whole tree faster than folder by folder (S3 without delimiter).
     */
    sc_code (*list_recursive)(sc_session *session, const char *dir, sc_entry_fn fn, void *ctx,
                              sc_error *err);

    /** REQUIRED. Describe one path through fn (called exactly once on success). "" is the root. */
    sc_code (*stat)(sc_session *session, const char *path, sc_entry_fn fn, void *ctx, sc_error *err);

    /**
     * REQUIRED. Create folder path and any missing parents. An existing folder is success;
     * an existing file at path or at a parent is SC_ERR_EXISTS / SC_ERR_NOT_A_DIRECTORY.
     */
    sc_code (*mkdir)(sc_session *session, const char *path, sc_error *err);

    /** REQUIRED. Remove one file. A folder at path is SC_ERR_IS_A_DIRECTORY. */
    sc_code (*remove)(sc_session *session, const char *path, sc_error *err);

    /** REQUIRED. Remove one empty folder. Children left: SC_ERR_NOT_EMPTY. Never recursive. */
    sc_code (*rmdir)(sc_session *session, const char *path, sc_error *err);

    /**
     * Optional. Move or rename a file or folder within the account. Missing parents of to are
     * created. An existing target is SC_ERR_EXISTS (the host removes it first if it means to).
     */
    sc_code (*move)(sc_session *session, const char *from, const char *to, sc_error *err);

    /** Optional. Server-side copy of one file; same target rules as move. */
    sc_code (*copy)(sc_session *session, const char *from, const char *to, sc_error *err);

    /**
     * REQUIRED. Open a reader of file path starting at byte offset, for length bytes (-1: to the end).
     * A connector without SC_CAP_RANGED_READ supports only offset 0 and length -1.
     */
    sc_code (*open_reader)(sc_session *session, const char *path, int64_t offset, int64_t length,
                           sc_reader **out, sc_error *err);

    /**
     * REQUIRED. Read up to capacity bytes into buf; *out_read is 0 only at the end of the range.
     * A read may return fewer bytes than asked before the end.
     */
    sc_code (*read)(sc_reader *reader, void *buf, size_t capacity, size_t *out_read, sc_error *err);

    /** REQUIRED. Release a reader, at its end or before. */
    void (*close_reader)(sc_reader *reader);

    /**
     * REQUIRED. Open a writer that creates file path (its parent folders are created if missing).
     * The new content becomes visible at path only when finish() succeeds (where the store allows
     * it: SC_CAP_ATOMIC_WRITE). With options->resume_token set, a connector that can continue that
     * upload sets *out_offset to the offset the store holds (at least the last checkpoint's, more if
     * the store kept bytes that arrived after it), and the host writes from there on; otherwise it
     * starts over and sets *out_offset to 0. out_offset may be NULL when no token is given.
     */
    sc_code (*open_writer)(sc_session *session, const char *path, const sc_write_options *options,
                           sc_writer **out, int64_t *out_offset, sc_error *err);

    /** REQUIRED. Append count bytes. On failure the writer stays open: the host calls abort(). */
    sc_code (*write)(sc_writer *writer, const void *buf, size_t count, sc_error *err);

    /**
     * REQUIRED. Complete the file and describe it through fn (called once on success), with the
     * hashes of want_hashes that the store knows or computed. The writer is released whether or not
     * finish succeeds; after a failure nothing is left at path that was not there before.
     * A declared size that was not met is SC_ERR_INVALID_ARGUMENT.
     */
    sc_code (*finish)(sc_writer *writer, sc_entry_fn fn, void *ctx, sc_error *err);

    /**
     * REQUIRED. Give up a write and release the writer: nothing is left at path that was not there
     * before, and no temporary object is left behind (a resumable upload's server-side state is
     * discarded too; a host that wants to resume later simply does not call abort on a crash).
     */
    void (*abort)(sc_writer *writer);

    /** Optional. Space figures. The host sets out->struct_size before the call. */
    sc_code (*about)(sc_session *session, sc_about *out, sc_error *err);

    /**
     * Optional. Compute or fetch the hash of one file (SC_CAP_HASH_ON_DEMAND stores read the file).
     * Writes the lowercase hex value into out_hex (capacity SC_HASH_VALUE_MAX). A kind the store
     * cannot produce is SC_ERR_UNSUPPORTED.
     */
    sc_code (*hash)(sc_session *session, const char *path, sc_hash_kind kind,
                    char out_hex[SC_HASH_VALUE_MAX], sc_error *err);

    /**
     * Optional. Start a cloud download of source (URL, magnet URI or .torrent URL) into folder dir.
     * Reports the new job once through fn.
     */
    sc_code (*job_add)(sc_session *session, const char *source, const char *dir, sc_job_fn fn,
                       void *ctx, sc_error *err);

    /** Optional (with job_add). Report the state of job id through fn (called once). */
    sc_code (*job_status)(sc_session *session, const char *id, sc_job_fn fn, void *ctx,
                          sc_error *err);

    /** Optional (with job_add). Report every job the account has, through fn. */
    sc_code (*job_list)(sc_session *session, sc_job_fn fn, void *ctx, sc_error *err);

    /** Optional (with job_add). Cancel or forget job id. */
    sc_code (*job_cancel)(sc_session *session, const char *id, sc_error *err);

    /**
     * Optional (with SC_CAP_RESUMABLE_UPLOAD). Release a writer but keep what its last resume token
     * needs, so that a later open_writer() with that token continues the upload (a graceful stop of
     * the host). NULL: the host calls abort() instead and the next run starts over.
     */
    void (*suspend)(sc_writer *writer);

    /* ---- since ABI 1.1 (present when struct_size covers it) ---- */

    /**
     * Optional. Interactive setup of an account's credentials, run by `sync-core account add` before
     * the account is saved: an OAuth authorization (open a URL, wait for the redirect, exchange the
     * code), or asking for a token the user already has. config_json holds the options given so far
     * (as for open). The connector talks to the user through host->tell_user and host->ask_user and
     * hands the options to store (a token, a refresh token, an expiry) to host->credentials_changed;
     * when the given options already suffice it changes nothing and returns SC_OK. No session is
     * open during the call. SC_ERR_AUTH when authorization was refused or could not complete.
     */
    sc_code (*authorize)(const sc_host *host, const char *config_json, sc_error *err);

    /**
     * Optional. Open a reader of the file the store knows by id (an sc_entry.id from a listing of
     * this session), with open_reader's contract otherwise. For stores whose names may repeat in a
     * folder (SC_NAME_DUPLICATES_ALLOWED), where a path does not name one file: the host reads each
     * of the same-named files by id and stores them under names of their own. A stale id is
     * SC_ERR_NOT_FOUND.
     */
    sc_code (*open_reader_id)(sc_session *session, const char *id, int64_t offset, int64_t length,
                              sc_reader **out, sc_error *err);

    /* ---- since ABI 1.2 (present when struct_size covers it) ---- */

    /**
     * Optional. What an open reader learned of its file when it opened it (a GET's response
     * headers, say), passed to fn once before the call returns: size, mtime, hashes, as stat would
     * report them. For stores whose listings lack something stat has (S3 keeps the mtime in
     * metadata no listing returns): the host asks the reader instead of paying a stat per file.
     * The entry's path is the one the reader was opened with (for a reader opened by id, any).
     * SC_ERR_UNSUPPORTED when this reader knows nothing beyond the listing. The reader stays open
     * and its position is unchanged.
     */
    sc_code (*reader_entry)(sc_reader *reader, sc_entry_fn fn, void *ctx, sc_error *err);

    /* ---- since ABI 1.4 (present when struct_size covers it) ---- */

    /**
     * Optional. Remove many files at once, for a store whose batch delete takes many in one request
     * (Dropbox delete_batch, S3 DeleteObjects): what a sync of thousands of deletions pays in
     * requests. paths[0..count) are files (the host passes at most 1000 per call); each one's
     * outcome is reported once through fn: SC_OK, SC_ERR_NOT_FOUND (already gone, which the host
     * counts as done), SC_ERR_IS_A_DIRECTORY (a folder is never removed here, as with remove()), or
     * another code with the store's words. Returns SC_OK once every outcome was reported, whatever
     * they were; any other code when the call failed as a whole, in which case some paths may be
     * gone and some not: the host calls again (a path already removed then reports NOT_FOUND).
     */
    sc_code (*remove_many)(sc_session *session, const char *const *paths, uint32_t count, sc_removed_fn fn,
                           void *ctx, sc_error *err);
} sc_ops;

/* ---------------------------------------------------------------------------------------------- */
/* Descriptor and entry point                                                                       */
/* ---------------------------------------------------------------------------------------------- */

/**
 * What a connector is and can do. Constant: it must stay valid and unchanged while the library is
 * loaded. All strings are UTF-8 and NUL-terminated.
 */
typedef struct sc_descriptor {
    uint32_t magic;               /* SC_MAGIC                                                   */
    uint16_t abi_major;           /* SC_ABI_MAJOR the connector was built for                   */
    uint16_t abi_minor;           /* SC_ABI_MINOR the connector was built for                   */
    uint32_t struct_size;         /* sizeof(sc_descriptor) as the connector was compiled        */
    uint32_t pointer_size;        /* sizeof(void *) — refuses a 32-bit plugin in a 64-bit host  */

    const char *name;             /* connector name used in remote specs: [a-z][a-z0-9_-]*      */
    const char *version;          /* the connector's own version, e.g. "1.2.0"                  */
    const char *description;      /* one line for `sync-core plugins`                          */

    uint64_t capabilities;        /* SC_CAP_* bits                                              */
    uint64_t hash_kinds;          /* SC_HASH_BIT(kind) for every kind the store can report      */
    int64_t mtime_precision_ns;   /* granularity of stored mtimes; 0 if mtimes are not kept    */

    /* Name rules of the store, applied by the host before it writes. */
    const char *forbidden_chars;  /* UTF-8 characters a name may not contain ("" for none)      */
    uint32_t max_name_bytes;      /* longest name in UTF-8 bytes; 0 for no limit                */
    uint32_t name_flags;          /* SC_NAME_* bits                                            */
    uint32_t max_path_bytes;      /* longest path in UTF-8 bytes; 0 for no limit                */
    uint32_t reserved;            /* zero                                                       */

    /**
     * Options schema: a JSON array of objects, one per account option:
     *   {"name": "token", "type": "string"|"int"|"bool"|"path", "required": true|false,
     *    "secret": true|false, "default": <value>, "help": "one line"}
     * The host validates configs against it before open(), and never echoes a secret option.
     */
    const char *options_schema_json;

    const sc_ops *ops;            /* the function table (never NULL)                            */
} sc_descriptor;

/**
 * The entry point every connector exports (name: SC_ENTRY_SYMBOL), with C linkage and default
 * visibility. The host calls it once after loading, with the newest ABI version it speaks.
 * The connector answers with a descriptor for an ABI version it shares with the host (same major,
 * minor at most host_minor where it can adapt, or its own minor: the host tolerates a newer minor
 * by ignoring what struct sizes it does not know), or NULL when it cannot serve that host.
 * Must not block, allocate per call, or call back into the host.
 */
typedef const sc_descriptor *(*sc_entry_point)(uint32_t host_abi_major, uint32_t host_abi_minor);

#if defined(_WIN32)
#define SC_EXPORT __declspec(dllexport)
#else
#define SC_EXPORT __attribute__((visibility("default")))
#endif

/** Declaration of the entry point, for connectors written in C. */
SC_EXPORT const sc_descriptor *sync_connector_entry(uint32_t host_abi_major, uint32_t host_abi_minor);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* SYNC_CONNECTOR_H */
