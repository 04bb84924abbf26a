/*
 * cdir — a directory-backed connector written in plain C.
 *
 * It exists to prove the ABI needs nothing but a C compiler, and to be the example a C author reads
 * first: every required operation, the optional ones a plain directory can offer (move, about, hash),
 * atomic writes through a hidden temporary file, and CRC-32 computed while writing.
 *
 * Differences from the Swift `local` connector, on purpose: symbolic links are never followed (they
 * are not listed and cannot be opened), and the only hash is CRC-32.
 */
#include "cdir.h"

/* The connector's name; overridable so the same source can be built out of tree as another connector. */
#ifndef CDIR_CONNECTOR_NAME
#define CDIR_CONNECTOR_NAME "cdir"
#endif

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

/* ----------------------------------------------------------------------------------------------- */
/* Errors                                                                                          */
/* ----------------------------------------------------------------------------------------------- */

static sc_code fail(sc_error *err, sc_code code, const char *fmt, ...) {
    if (err) {
        err->code = code;
        err->http_status = 0;
        err->retry_after_ms = 0;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->message, sizeof err->message, fmt, ap);
        va_end(ap);
    }
    return code;
}

static sc_code code_of_errno(int e) {
    switch (e) {
    case ENOENT: return SC_ERR_NOT_FOUND;
    case EEXIST: return SC_ERR_EXISTS;
    case ENOTEMPTY: return SC_ERR_NOT_EMPTY;
    case ENOTDIR: return SC_ERR_NOT_A_DIRECTORY;
    case EISDIR: return SC_ERR_IS_A_DIRECTORY;
    case EACCES: case EPERM: case EROFS: return SC_ERR_PERMISSION;
    case ENOSPC: case EDQUOT: case EFBIG: return SC_ERR_QUOTA;
    case ENAMETOOLONG: case EINVAL: case ELOOP: return SC_ERR_INVALID_ARGUMENT;
    case EINTR: case EAGAIN: case EIO: case EBUSY: return SC_ERR_TRANSIENT;
    default: return SC_ERR_INTERNAL;
    }
}

static sc_code fail_errno(sc_error *err, int e, const char *op, const char *path) {
    return fail(err, code_of_errno(e), "%s '%s': %s", op, *path ? path : "/", strerror(e));
}

/* ----------------------------------------------------------------------------------------------- */
/* Sessions and paths                                                                              */
/* ----------------------------------------------------------------------------------------------- */

struct sc_session {
    const sc_host *host;
    char *root; /* absolute, no trailing slash (except "/") */
};

/* Extracts the string value of "key" from a flat JSON object the host produced. Handles the escapes
   JSON allows; enough for this connector's one option. Returns a malloc'd string or NULL. */
static char *json_string_option(const char *json, const char *key) {
    char pattern[128];
    snprintf(pattern, sizeof pattern, "\"%s\"", key);
    const char *p = strstr(json, pattern);
    if (!p) return NULL;
    p += strlen(pattern);
    while (*p == ' ' || *p == ':') p++;
    if (*p != '"') return NULL;
    p++;
    char *out = malloc(strlen(p) + 1), *o = out;
    if (!out) return NULL;
    while (*p && *p != '"') {
        if (*p == '\\' && p[1]) {
            p++;
            switch (*p) {
            case 'n': *o++ = '\n'; break;
            case 't': *o++ = '\t'; break;
            case 'r': *o++ = '\r'; break;
            case 'b': *o++ = '\b'; break;
            case 'f': *o++ = '\f'; break;
            case 'u': free(out); return NULL; /* \u escapes: not needed for paths we accept */
            default: *o++ = *p; break;        /* \" \\ \/ */
            }
            p++;
        } else {
            *o++ = *p++;
        }
    }
    *o = 0;
    return out;
}

/* Refuses any path that could leave the root: "", ".", "..", empty segments, leading '/'. */
static int path_is_safe(const char *path) {
    if (*path == 0) return 1; /* the root */
    const char *seg = path;
    for (;;) {
        const char *end = strchr(seg, '/');
        size_t len = end ? (size_t)(end - seg) : strlen(seg);
        if (len == 0) return 0;
        if (len == 1 && seg[0] == '.') return 0;
        if (len == 2 && seg[0] == '.' && seg[1] == '.') return 0;
        if (!end) return 1;
        seg = end + 1;
    }
}

/* Builds root + "/" + path into a malloc'd string, or fails with INVALID_ARGUMENT. */
static sc_code absolute(const sc_session *s, const char *path, char **out, sc_error *err) {
    if (!path_is_safe(path)) return fail(err, SC_ERR_INVALID_ARGUMENT, "path '%s' is not allowed", path);
    size_t n = strlen(s->root) + strlen(path) + 2;
    char *abs = malloc(n);
    if (!abs) return fail(err, SC_ERR_INTERNAL, "out of memory");
    if (*path == 0) snprintf(abs, n, "%s", s->root);
    else if (strcmp(s->root, "/") == 0) snprintf(abs, n, "/%s", path);
    else snprintf(abs, n, "%s/%s", s->root, path);
    *out = abs;
    return SC_OK;
}

/* Temporary files of unfinished writes are hidden from listings. */
#define PARTIAL_MARKER ".cdir-partial-"
static int is_partial(const char *name) { return name[0] == '.' && strstr(name, PARTIAL_MARKER) != NULL; }

static sc_code cdir_open(const sc_host *host, const char *config_json, sc_session **out, sc_error *err) {
    char *root = json_string_option(config_json ? config_json : "", "root");
    if (!root || root[0] != '/') {
        free(root);
        return fail(err, SC_ERR_INVALID_ARGUMENT, "option 'root' must be an absolute path");
    }
    size_t len = strlen(root);
    while (len > 1 && root[len - 1] == '/') root[--len] = 0;
    struct stat st;
    if (stat(root, &st) != 0) {
        sc_code c = fail_errno(err, errno, "open root", root);
        free(root);
        return c;
    }
    if (!S_ISDIR(st.st_mode)) {
        free(root);
        return fail(err, SC_ERR_NOT_A_DIRECTORY, "root is not a folder");
    }
    sc_session *s = calloc(1, sizeof *s);
    if (!s) {
        free(root);
        return fail(err, SC_ERR_INTERNAL, "out of memory");
    }
    s->host = host;
    s->root = root;
    *out = s;
    return SC_OK;
}

static void cdir_close(sc_session *s) {
    if (!s) return;
    free(s->root);
    free(s);
}

/* ----------------------------------------------------------------------------------------------- */
/* Entries                                                                                         */
/* ----------------------------------------------------------------------------------------------- */

static sc_code emit(const char *path, const struct stat *st, const sc_hash *hashes, uint32_t nhash,
                    sc_entry_fn fn, void *ctx) {
    sc_entry e;
    memset(&e, 0, sizeof e);
    e.struct_size = sizeof e;
    e.kind = S_ISDIR(st->st_mode) ? SC_ENTRY_DIR : SC_ENTRY_FILE;
    e.path = path;
    e.size = S_ISDIR(st->st_mode) ? 0 : (int64_t)st->st_size;
    e.mtime_ns = (int64_t)st->st_mtim.tv_sec * 1000000000LL + st->st_mtim.tv_nsec;
    e.id = NULL;
    e.hashes = hashes;
    e.hash_count = nhash;
    return fn ? fn(ctx, &e) : SC_OK;
}

static sc_code cdir_list(sc_session *s, const char *dir, sc_entry_fn fn, void *ctx, sc_error *err) {
    char *abs;
    sc_code c = absolute(s, dir, &abs, err);
    if (c != SC_OK) return c;
    int fd = open(abs, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
        int e = errno;
        free(abs);
        /* O_NOFOLLOW on a symlink gives ELOOP; O_DIRECTORY on a file gives ENOTDIR. */
        return fail_errno(err, e == ELOOP ? ENOENT : e, "list", dir);
    }
    free(abs);
    DIR *d = fdopendir(fd);
    if (!d) {
        int e = errno;
        close(fd);
        return fail_errno(err, e, "list", dir);
    }
    size_t prefix = strlen(dir);
    char *path = NULL;
    size_t cap = 0;
    sc_code result = SC_OK;
    for (;;) {
        errno = 0;
        struct dirent *item = readdir(d);
        if (!item) {
            if (errno) result = fail_errno(err, errno, "list", dir);
            break;
        }
        const char *name = item->d_name;
        if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0 || is_partial(name)) continue;
        struct stat st;
        if (fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) continue; /* vanished meanwhile */
        if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) continue;     /* links, fifos, devices */
        size_t need = prefix + strlen(name) + 2;
        if (need > cap) {
            char *grown = realloc(path, need);
            if (!grown) {
                result = fail(err, SC_ERR_INTERNAL, "out of memory");
                break;
            }
            path = grown;
            cap = need;
        }
        if (prefix) snprintf(path, cap, "%s/%s", dir, name);
        else snprintf(path, cap, "%s", name);
        if (emit(path, &st, NULL, 0, fn, ctx) != SC_OK) {
            result = fail(err, SC_ERR_CANCELLED, "listing stopped by the host");
            break;
        }
    }
    free(path);
    closedir(d);
    return result;
}

static sc_code cdir_stat(sc_session *s, const char *path, sc_entry_fn fn, void *ctx, sc_error *err) {
    char *abs;
    sc_code c = absolute(s, path, &abs, err);
    if (c != SC_OK) return c;
    struct stat st;
    int rc = lstat(abs, &st);
    int e = errno;
    free(abs);
    if (rc != 0) return fail_errno(err, e, "stat", path);
    if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) return fail(err, SC_ERR_NOT_FOUND, "stat '%s': not a file or folder", path);
    emit(path, &st, NULL, 0, fn, ctx);
    return SC_OK;
}

/* ----------------------------------------------------------------------------------------------- */
/* Folders and changes                                                                             */
/* ----------------------------------------------------------------------------------------------- */

/* mkdir -p on an absolute path; `shown` is the account-relative path for messages. */
static sc_code make_dirs(char *abs, const char *shown, sc_error *err) {
    struct stat st;
    if (lstat(abs, &st) == 0) {
        if (S_ISDIR(st.st_mode)) return SC_OK;
        return fail(err, SC_ERR_EXISTS, "mkdir '%s': a file is in the way", shown);
    }
    char *slash = strrchr(abs, '/');
    if (slash && slash != abs) {
        *slash = 0;
        sc_code c = make_dirs(abs, shown, err);
        *slash = '/';
        if (c != SC_OK) return c;
    }
    if (mkdir(abs, 0777) != 0 && errno != EEXIST) return fail_errno(err, errno, "mkdir", shown);
    return SC_OK;
}

static sc_code cdir_mkdir(sc_session *s, const char *path, sc_error *err) {
    char *abs;
    sc_code c = absolute(s, path, &abs, err);
    if (c != SC_OK) return c;
    c = make_dirs(abs, path, err);
    free(abs);
    return c;
}

static sc_code cdir_remove(sc_session *s, const char *path, sc_error *err) {
    char *abs;
    sc_code c = absolute(s, path, &abs, err);
    if (c != SC_OK) return c;
    struct stat st;
    if (lstat(abs, &st) != 0) c = fail_errno(err, errno, "remove", path);
    else if (S_ISDIR(st.st_mode)) c = fail(err, SC_ERR_IS_A_DIRECTORY, "remove '%s': is a folder", path);
    else if (unlink(abs) != 0) c = fail_errno(err, errno, "remove", path);
    free(abs);
    return c;
}

static sc_code cdir_rmdir(sc_session *s, const char *path, sc_error *err) {
    if (*path == 0) return fail(err, SC_ERR_INVALID_ARGUMENT, "rmdir: refusing to remove the root");
    char *abs;
    sc_code c = absolute(s, path, &abs, err);
    if (c != SC_OK) return c;
    if (rmdir(abs) != 0) c = fail_errno(err, errno == EEXIST ? ENOTEMPTY : errno, "rmdir", path);
    free(abs);
    return c;
}

static sc_code cdir_move(sc_session *s, const char *from, const char *to, sc_error *err) {
    char *src = NULL, *dst = NULL;
    sc_code c = absolute(s, from, &src, err);
    if (c == SC_OK) c = absolute(s, to, &dst, err);
    struct stat st;
    if (c == SC_OK && lstat(src, &st) != 0) c = fail_errno(err, errno, "move", from);
    if (c == SC_OK && lstat(dst, &st) == 0) c = fail(err, SC_ERR_EXISTS, "move: '%s' already exists", to);
    if (c == SC_OK) {
        char *slash = strrchr(dst, '/');
        if (slash && slash != dst) {
            *slash = 0;
            c = make_dirs(dst, to, err);
            *slash = '/';
        }
    }
    if (c == SC_OK && rename(src, dst) != 0) c = fail_errno(err, errno, "move", from);
    free(src);
    free(dst);
    return c;
}

static sc_code cdir_about(sc_session *s, sc_about *out, sc_error *err) {
    struct statvfs v;
    if (statvfs(s->root, &v) != 0) return fail_errno(err, errno, "statvfs", "");
    if (out->struct_size >= sizeof(sc_about)) {
        int64_t block = (int64_t)v.f_frsize;
        out->total_bytes = (int64_t)v.f_blocks * block;
        out->free_bytes = (int64_t)v.f_bavail * block;
        out->used_bytes = out->total_bytes - (int64_t)v.f_bfree * block;
        out->trashed_bytes = -1;
    }
    return SC_OK;
}

/* ----------------------------------------------------------------------------------------------- */
/* Readers                                                                                         */
/* ----------------------------------------------------------------------------------------------- */

struct sc_reader {
    int fd;
    int64_t position;
    int64_t remaining; /* -1: to the end */
};

static sc_code cdir_open_reader(sc_session *s, const char *path, int64_t offset, int64_t length,
                                sc_reader **out, sc_error *err) {
    if (offset < 0) return fail(err, SC_ERR_INVALID_ARGUMENT, "negative read offset");
    char *abs;
    sc_code c = absolute(s, path, &abs, err);
    if (c != SC_OK) return c;
    int fd = open(abs, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    int e = errno;
    free(abs);
    if (fd < 0) return fail_errno(err, e == ELOOP ? ENOENT : e, "open", path);
    struct stat st;
    if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
        close(fd);
        return fail(err, SC_ERR_IS_A_DIRECTORY, "read '%s': is a folder", path);
    }
    sc_reader *r = calloc(1, sizeof *r);
    if (!r) {
        close(fd);
        return fail(err, SC_ERR_INTERNAL, "out of memory");
    }
    r->fd = fd;
    r->position = offset;
    r->remaining = length;
    *out = r;
    return SC_OK;
}

static sc_code cdir_read(sc_reader *r, void *buf, size_t capacity, size_t *out_read, sc_error *err) {
    size_t want = capacity;
    if (r->remaining >= 0 && (int64_t)want > r->remaining) want = (size_t)r->remaining;
    if (want == 0) {
        *out_read = 0;
        return SC_OK;
    }
    ssize_t n;
    do {
        n = pread(r->fd, buf, want, (off_t)r->position);
    } while (n < 0 && errno == EINTR);
    if (n < 0) return fail_errno(err, errno, "read", "");
    r->position += n;
    if (r->remaining >= 0) r->remaining -= n;
    *out_read = (size_t)n;
    return SC_OK;
}

static void cdir_close_reader(sc_reader *r) {
    if (!r) return;
    close(r->fd);
    free(r);
}

/* ----------------------------------------------------------------------------------------------- */
/* Writers                                                                                         */
/* ----------------------------------------------------------------------------------------------- */

struct sc_writer {
    int fd;
    char *target;   /* absolute final path */
    char *partial;  /* absolute hidden temporary path */
    char *shown;    /* account-relative path, for messages and the final entry */
    int64_t size;   /* declared, or -1 */
    int64_t mtime_ns;
    int replace;
    int64_t written;
    int want_crc;
    uLong crc;
};

static void writer_free(sc_writer *w) {
    free(w->target);
    free(w->partial);
    free(w->shown);
    free(w);
}

static sc_code cdir_open_writer(sc_session *s, const char *path, const sc_write_options *options,
                                sc_writer **out, int64_t *out_offset, sc_error *err) {
    if (!options || options->struct_size < sizeof(sc_write_options))
        return fail(err, SC_ERR_INVALID_ARGUMENT, "write options missing or too small");
    if (*path == 0) return fail(err, SC_ERR_IS_A_DIRECTORY, "write: the root is a folder");
    if (out_offset) *out_offset = 0; /* no resumable uploads here */
    char *abs;
    sc_code c = absolute(s, path, &abs, err);
    if (c != SC_OK) return c;
    char *slash = strrchr(abs, '/');
    *slash = 0;
    c = make_dirs(abs, path, err);
    *slash = '/';
    if (c != SC_OK) {
        free(abs);
        return c;
    }
    struct stat st;
    if (lstat(abs, &st) == 0) {
        if (S_ISDIR(st.st_mode)) c = fail(err, SC_ERR_IS_A_DIRECTORY, "write '%s': a folder is in the way", path);
        else if (!(options->flags & SC_WRITE_REPLACE)) c = fail(err, SC_ERR_EXISTS, "write '%s': already exists", path);
        if (c != SC_OK) {
            free(abs);
            return c;
        }
    }
    sc_writer *w = calloc(1, sizeof *w);
    size_t plen = strlen(abs) + sizeof(PARTIAL_MARKER) + 24;
    char *partial = malloc(plen);
    char *shown = strdup(path);
    if (!w || !partial || !shown) {
        free(w);
        free(partial);
        free(shown);
        free(abs);
        return fail(err, SC_ERR_INTERNAL, "out of memory");
    }
    int fd = -1;
    for (int attempt = 0; attempt < 8 && fd < 0; attempt++) {
        /* Unique across processes (pid), runs (time) and threads (counter). */
        static unsigned long counter;
        unsigned long tag = ((unsigned long)getpid() << 32) ^ ((unsigned long)time(NULL) << 12) ^
                            __atomic_fetch_add(&counter, 1, __ATOMIC_RELAXED);
        *slash = 0;
        snprintf(partial, plen, "%s/.%s%s%lx", abs, slash + 1, PARTIAL_MARKER, tag);
        *slash = '/';
        fd = open(partial, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd < 0 && errno != EEXIST) break;
    }
    if (fd < 0) {
        c = fail_errno(err, errno, "create", path);
        free(partial);
        free(shown);
        free(abs);
        free(w);
        return c;
    }
    w->fd = fd;
    w->target = abs;
    w->partial = partial;
    w->shown = shown;
    w->size = options->size;
    w->mtime_ns = options->mtime_ns;
    w->replace = (options->flags & SC_WRITE_REPLACE) != 0;
    w->want_crc = (options->want_hashes & SC_HASH_BIT(SC_HASH_CRC32)) != 0;
    w->crc = crc32(0L, Z_NULL, 0);
    *out = w;
    return SC_OK;
}

static sc_code cdir_write(sc_writer *w, const void *buf, size_t count, sc_error *err) {
    if (w->size >= 0 && w->written + (int64_t)count > w->size)
        return fail(err, SC_ERR_INVALID_ARGUMENT, "write '%s': more than the declared %lld bytes", w->shown,
                    (long long)w->size);
    const unsigned char *p = buf;
    size_t left = count;
    while (left > 0) {
        ssize_t n = write(w->fd, p, left);
        if (n < 0) {
            if (errno == EINTR) continue;
            return fail_errno(err, errno, "write", w->shown);
        }
        if (w->want_crc) w->crc = crc32(w->crc, p, (uInt)n);
        p += n;
        left -= (size_t)n;
    }
    w->written += (int64_t)count;
    return SC_OK;
}

static void cdir_abort(sc_writer *w) {
    if (!w) return;
    close(w->fd);
    unlink(w->partial);
    writer_free(w);
}

static sc_code cdir_finish(sc_writer *w, sc_entry_fn fn, void *ctx, sc_error *err) {
    sc_code c = SC_OK;
    struct stat st;
    if (w->size >= 0 && w->written != w->size)
        c = fail(err, SC_ERR_INVALID_ARGUMENT, "write '%s': got %lld of the declared %lld bytes", w->shown,
                 (long long)w->written, (long long)w->size);
    if (c == SC_OK && w->mtime_ns != SC_MTIME_UNKNOWN) {
        struct timespec times[2];
        times[0].tv_sec = 0;
        times[0].tv_nsec = UTIME_OMIT;
        int64_t sec = w->mtime_ns / 1000000000LL, nsec = w->mtime_ns % 1000000000LL;
        if (nsec < 0) {
            nsec += 1000000000LL;
            sec -= 1;
        }
        times[1].tv_sec = (time_t)sec;
        times[1].tv_nsec = (long)nsec;
        if (futimens(w->fd, times) != 0) c = fail_errno(err, errno, "set mtime", w->shown);
    }
    if (c == SC_OK && !w->replace && lstat(w->target, &st) == 0)
        c = fail(err, SC_ERR_EXISTS, "write '%s': appeared while writing", w->shown);
    if (c == SC_OK && rename(w->partial, w->target) != 0) c = fail_errno(err, errno, "rename into place", w->shown);
    if (c == SC_OK && fstat(w->fd, &st) != 0) c = fail_errno(err, errno, "stat", w->shown);
    if (c != SC_OK) {
        cdir_abort(w);
        return c;
    }
    char hex[9];
    sc_hash h = {SC_HASH_CRC32, 0, hex};
    snprintf(hex, sizeof hex, "%08lx", (unsigned long)(w->crc & 0xffffffffUL));
    emit(w->shown, &st, w->want_crc ? &h : NULL, w->want_crc ? 1 : 0, fn, ctx);
    close(w->fd);
    writer_free(w);
    return SC_OK;
}

/* ----------------------------------------------------------------------------------------------- */
/* Hashes                                                                                          */
/* ----------------------------------------------------------------------------------------------- */

static sc_code cdir_hash(sc_session *s, const char *path, sc_hash_kind kind, char out_hex[SC_HASH_VALUE_MAX],
                         sc_error *err) {
    if (kind != SC_HASH_CRC32) return fail(err, SC_ERR_UNSUPPORTED, "cdir computes only crc32 hashes");
    sc_reader *r;
    sc_code c = cdir_open_reader(s, path, 0, -1, &r, err);
    if (c != SC_OK) return c;
    enum { BUF = 1 << 20 };
    unsigned char *buf = malloc(BUF);
    if (!buf) {
        cdir_close_reader(r);
        return fail(err, SC_ERR_INTERNAL, "out of memory");
    }
    uLong crc = crc32(0L, Z_NULL, 0);
    for (;;) {
        if (s->host && s->host->is_cancelled && s->host->is_cancelled(s->host->ctx)) {
            c = fail(err, SC_ERR_CANCELLED, "cancelled by the host");
            break;
        }
        size_t n = 0;
        c = cdir_read(r, buf, BUF, &n, err);
        if (c != SC_OK || n == 0) break;
        crc = crc32(crc, buf, (uInt)n);
    }
    free(buf);
    cdir_close_reader(r);
    if (c == SC_OK) snprintf(out_hex, SC_HASH_VALUE_MAX, "%08lx", (unsigned long)(crc & 0xffffffffUL));
    return c;
}

/* ----------------------------------------------------------------------------------------------- */
/* Descriptor                                                                                      */
/* ----------------------------------------------------------------------------------------------- */

static const sc_ops cdir_ops = {
    .struct_size = sizeof(sc_ops),
    .open = cdir_open,
    .close = cdir_close,
    .list = cdir_list,
    .list_recursive = NULL, /* the host walks folder by folder */
    .stat = cdir_stat,
    .mkdir = cdir_mkdir,
    .remove = cdir_remove,
    .rmdir = cdir_rmdir,
    .move = cdir_move,
    .copy = NULL, /* the host streams a copy through a reader and a writer */
    .open_reader = cdir_open_reader,
    .read = cdir_read,
    .close_reader = cdir_close_reader,
    .open_writer = cdir_open_writer,
    .write = cdir_write,
    .finish = cdir_finish,
    .abort = cdir_abort,
    .about = cdir_about,
    .hash = cdir_hash,
};

static const sc_descriptor cdir_descriptor = {
    .magic = SC_MAGIC,
    .abi_major = SC_ABI_MAJOR,
    .abi_minor = SC_ABI_MINOR,
    .struct_size = sizeof(sc_descriptor),
    .pointer_size = sizeof(void *),
    .name = CDIR_CONNECTOR_NAME,
    .version = "1.0.0",
    .description = "Directory-backed store written in plain C (reference C connector)",
    .capabilities = SC_CAP_RANGED_READ | SC_CAP_SET_MTIME | SC_CAP_UNKNOWN_SIZE | SC_CAP_ATOMIC_WRITE |
                    SC_CAP_EMPTY_DIRS | SC_CAP_SERVER_MOVE | SC_CAP_HASH_ON_DEMAND,
    .hash_kinds = SC_HASH_BIT(SC_HASH_CRC32),
    .mtime_precision_ns = 1,
    .forbidden_chars = "/",
    .max_name_bytes = 255,
    .name_flags = 0,
    .max_path_bytes = 4095,
    .options_schema_json =
        "[{\"name\":\"root\",\"type\":\"path\",\"required\":true,\"secret\":false,"
        "\"help\":\"Folder that is the root of this account (absolute path)\"}]",
    .ops = &cdir_ops,
};

SC_EXPORT const sc_descriptor *sync_connector_entry(uint32_t host_abi_major, uint32_t host_abi_minor) {
    (void)host_abi_minor; /* a v1.0 descriptor serves every 1.x host */
    return host_abi_major == SC_ABI_MAJOR ? &cdir_descriptor : NULL;
}
