/*
 * "faulty": the cdir connector with faults for the engine tests, switched on by the environment of
 * the process that loads it:
 *   FAULTY_FLIP_WRITES=N  the first N non-empty writes have one byte flipped before the store keeps
 *                         and hashes them, so finish() reports a CRC-32 that differs from the bytes
 *                         the host sent (data corrupted between host and store);
 *   FAULTY_HOSTILE=1      every listing also reports a file named ".." and one whose name is not
 *                         valid UTF-8, as a broken or malicious connector might;
 *   FAULTY_NO_READS=1     opening a reader or hashing a file fails: proves a run read no contents;
 *   FAULTY_FORBIDDEN=...  characters its names may not contain (the descriptor's name rules; the
 *   FAULTY_NAME_FLAGS=n   files still land in a plain folder, so tests can see what was written),
 *   FAULTY_MAX_NAME=n     SC_NAME_* flags and the longest name in bytes;
 *   FAULTY_FAIL_WRITERS=N the first N open_writer calls fail with code FAULTY_FAIL_CODE (default
 *                         TRANSIENT) and retry-after FAULTY_RETRY_AFTER_MS (default 0);
 *   FAULTY_AUTH=first     writers of the first session opened fail with AUTH (an expired token:
 *                         a re-opened session works); FAULTY_AUTH=always: every session's do;
 *   FAULTY_NO_MTIME=1     the store declares no modification times (like many clouds), so only a
 *                         shared hash or the host's state can tell an unchanged file;
 *   FAULTY_SLOW_OPEN_MS=n each open_writer takes n ms more, so transfers overlap;
 *   FAULTY_WRITERS_LOG=f  the most writers ever open at once is written to file f;
 *   FAULTY_FAIL_REMOVES=N the first N removes fail with FAULTY_FAIL_CODE (default TRANSIENT); with
 *                         FAULTY_REMOVE_LANDS=1 they remove the file first (a reply lost on the way).
 * Built by the tests with the system compiler: cc -I<header dir> -I Plugins/CDir/include ... -lz
 */
#define sync_connector_entry cdir_inner_entry
#define CDIR_CONNECTOR_NAME "faulty"
#include "../../../Plugins/CDir/cdir.c"
#undef sync_connector_entry

static int flips_left;
static int writer_failures_left;
static int remove_failures_left;
static sc_session *first_session;

static sc_code faulty_session_open(const sc_host *host, const char *config, sc_session **out, sc_error *err) {
    sc_code c = cdir_open(host, config, out, err);
    sc_session *none = NULL;
    if (c == SC_OK) __atomic_compare_exchange_n(&first_session, &none, *out, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
    return c;
}

/* The first session is never freed, so that no later session can reuse its address. */
static void faulty_session_close(sc_session *s) {
    if (s != __atomic_load_n(&first_session, __ATOMIC_SEQ_CST)) cdir_close(s);
}

static int auth_refused(sc_session *s) {
    const char *auth = getenv("FAULTY_AUTH");
    if (!auth) return 0;
    return strcmp(auth, "always") == 0 || (strcmp(auth, "first") == 0 && s == __atomic_load_n(&first_session, __ATOMIC_SEQ_CST));
}

static int open_writers, most_writers;

/* Counts writers in and out; the most at once goes to FAULTY_WRITERS_LOG. */
static void count_writers(int delta) {
    int now = __atomic_add_fetch(&open_writers, delta, __ATOMIC_SEQ_CST);
    int most = __atomic_load_n(&most_writers, __ATOMIC_SEQ_CST);
    while (now > most && !__atomic_compare_exchange_n(&most_writers, &most, now, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) {
    }
    const char *log = getenv("FAULTY_WRITERS_LOG");
    if (log && delta > 0 && now > most) {
        FILE *f = fopen(log, "w");
        if (f) {
            fprintf(f, "%d\n", now);
            fclose(f);
        }
    }
}

static sc_code faulty_finish(sc_writer *w, sc_entry_fn fn, void *ctx, sc_error *err) {
    sc_code c = cdir_finish(w, fn, ctx, err);
    count_writers(-1);
    return c;
}

static void faulty_abort(sc_writer *w) {
    cdir_abort(w);
    count_writers(-1);
}

static sc_code faulty_open_writer(sc_session *s, const char *path, const sc_write_options *options, sc_writer **out,
                                  int64_t *offset, sc_error *err) {
    /* A writer counts from the moment its open starts: the slow open is where transfers overlap,
     * so a test sees the run's width even when the writes themselves are too quick to meet. */
    count_writers(1);
    if (getenv("FAULTY_SLOW_OPEN_MS")) {
        struct timespec pause = {0, atol(getenv("FAULTY_SLOW_OPEN_MS")) * 1000000L};
        nanosleep(&pause, NULL);
    }
    if (auth_refused(s)) {
        fail(err, SC_ERR_AUTH, "access token expired");
        err->http_status = 401;
        count_writers(-1);
        return SC_ERR_AUTH;
    }
    if (__atomic_fetch_sub(&writer_failures_left, 1, __ATOMIC_RELAXED) > 0) {
        sc_code code = getenv("FAULTY_FAIL_CODE") ? atoi(getenv("FAULTY_FAIL_CODE")) : SC_ERR_TRANSIENT;
        fail(err, code, "injected failure opening '%s'", path);
        err->http_status = code == SC_ERR_RATE_LIMITED ? 429 : 503;
        err->retry_after_ms = getenv("FAULTY_RETRY_AFTER_MS") ? atoll(getenv("FAULTY_RETRY_AFTER_MS")) : 0;
        count_writers(-1);
        return code;
    }
    sc_code c = cdir_open_writer(s, path, options, out, offset, err);
    if (c != SC_OK) count_writers(-1);
    return c;
}

static sc_code faulty_write(sc_writer *w, const void *buf, size_t count, sc_error *err) {
    if (count > 0 && __atomic_fetch_sub(&flips_left, 1, __ATOMIC_RELAXED) > 0) {
        unsigned char *copy = malloc(count);
        if (!copy) return fail(err, SC_ERR_INTERNAL, "out of memory");
        memcpy(copy, buf, count);
        copy[count / 2] ^= 0x5a;
        sc_code c = cdir_write(w, copy, count, err);
        free(copy);
        return c;
    }
    return cdir_write(w, buf, count, err);
}

static sc_code faulty_list(sc_session *s, const char *dir, sc_entry_fn fn, void *ctx, sc_error *err) {
    sc_code c = cdir_list(s, dir, fn, ctx, err);
    if (c != SC_OK || !getenv("FAULTY_HOSTILE")) return c;
    static const char *names[] = {"..", "bad\xff\xfe" "name.txt"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char path[1024];
        if (*dir) snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        else snprintf(path, sizeof path, "%s", names[i]);
        sc_entry e;
        memset(&e, 0, sizeof e);
        e.struct_size = sizeof e;
        e.kind = SC_ENTRY_FILE;
        e.path = path;
        e.size = 1;
        e.mtime_ns = SC_MTIME_UNKNOWN;
        if (fn(ctx, &e) != SC_OK) return fail(err, SC_ERR_CANCELLED, "listing stopped by the host");
    }
    return SC_OK;
}

static sc_code faulty_open_reader(sc_session *s, const char *path, int64_t offset, int64_t length, sc_reader **out,
                                  sc_error *err) {
    if (getenv("FAULTY_NO_READS")) return fail(err, SC_ERR_INTERNAL, "read of '%s' attempted", path);
    return cdir_open_reader(s, path, offset, length, out, err);
}

static sc_code faulty_hash(sc_session *s, const char *path, sc_hash_kind kind, char out[SC_HASH_VALUE_MAX],
                           sc_error *err) {
    if (getenv("FAULTY_NO_READS")) return fail(err, SC_ERR_INTERNAL, "hash of '%s' attempted", path);
    return cdir_hash(s, path, kind, out, err);
}

static sc_code faulty_remove(sc_session *s, const char *path, sc_error *err) {
    if (__atomic_fetch_sub(&remove_failures_left, 1, __ATOMIC_RELAXED) > 0) {
        if (getenv("FAULTY_REMOVE_LANDS")) cdir_remove(s, path, err);
        sc_code code = getenv("FAULTY_FAIL_CODE") ? atoi(getenv("FAULTY_FAIL_CODE")) : SC_ERR_TRANSIENT;
        return fail(err, code, "injected failure removing '%s'", path);
    }
    return cdir_remove(s, path, err);
}

static sc_ops faulty_ops;
static sc_descriptor faulty_descriptor;

SC_EXPORT const sc_descriptor *sync_connector_entry(uint32_t major, uint32_t minor) {
    const sc_descriptor *inner = cdir_inner_entry(major, minor);
    if (!inner) return NULL;
    const char *flips = getenv("FAULTY_FLIP_WRITES");
    flips_left = flips ? atoi(flips) : 0;
    const char *failures = getenv("FAULTY_FAIL_WRITERS");
    writer_failures_left = failures ? atoi(failures) : 0;
    const char *removes = getenv("FAULTY_FAIL_REMOVES");
    remove_failures_left = removes ? atoi(removes) : 0;
    faulty_ops = *inner->ops;
    faulty_ops.write = faulty_write;
    faulty_ops.list = faulty_list;
    faulty_ops.open_reader = faulty_open_reader;
    faulty_ops.hash = faulty_hash;
    faulty_ops.open_writer = faulty_open_writer;
    faulty_ops.remove = faulty_remove;
    faulty_ops.finish = faulty_finish;
    faulty_ops.abort = faulty_abort;
    faulty_ops.open = faulty_session_open;
    faulty_ops.close = faulty_session_close;
    faulty_descriptor = *inner;
    faulty_descriptor.ops = &faulty_ops;
    if (getenv("FAULTY_NO_MTIME")) {
        faulty_descriptor.mtime_precision_ns = 0;
        faulty_descriptor.capabilities &= ~SC_CAP_SET_MTIME;
    }
    /* A descriptor that lies: a capability bit without the call behind it (conformance must fail). */
    if (getenv("FAULTY_CLAIM_COPY")) faulty_descriptor.capabilities |= SC_CAP_SERVER_COPY;
    if (getenv("FAULTY_FORBIDDEN")) faulty_descriptor.forbidden_chars = getenv("FAULTY_FORBIDDEN");
    if (getenv("FAULTY_NAME_FLAGS")) faulty_descriptor.name_flags = (uint32_t)atoi(getenv("FAULTY_NAME_FLAGS"));
    if (getenv("FAULTY_MAX_NAME")) faulty_descriptor.max_name_bytes = (uint32_t)atoi(getenv("FAULTY_MAX_NAME"));
    return &faulty_descriptor;
}
