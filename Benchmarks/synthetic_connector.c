/*
 * "synthetic": a read-only connector that serves a made-up tree, for measuring planning memory on
 * huge listings without creating millions of files. Options: files (total), folders (how many
 * folders the files are spread over; 1 puts them all in one folder). Names are d<i>/f<j>, every
 * file 4096 bytes with one fixed modification time. Built by scripts/bench.sh with cc.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sync_connector.h"

struct sc_session { long files, folders; };

static sc_code fail(sc_error *err, sc_code code, const char *message) {
    if (err) {
        err->code = code;
        snprintf(err->message, sizeof err->message, "%s", message);
    }
    return code;
}

static long option(const char *json, const char *key, long fallback) {
    char pattern[64];
    snprintf(pattern, sizeof pattern, "\"%s\":", key);
    const char *p = strstr(json, pattern);
    return p ? strtol(p + strlen(pattern), NULL, 10) : fallback;
}

static sc_code s_open(const sc_host *host, const char *config, sc_session **out, sc_error *err) {
    (void)host;
    sc_session *s = calloc(1, sizeof *s);
    if (!s) return fail(err, SC_ERR_INTERNAL, "out of memory");
    s->files = option(config, "files", 1000);
    s->folders = option(config, "folders", 1);
    if (s->folders < 1) s->folders = 1;
    *out = s;
    return SC_OK;
}

static void s_close(sc_session *s) { free(s); }

static sc_code emit(sc_entry_fn fn, void *ctx, const char *path, int dir) {
    sc_entry e;
    memset(&e, 0, sizeof e);
    e.struct_size = sizeof e;
    e.kind = dir ? SC_ENTRY_DIR : SC_ENTRY_FILE;
    e.path = path;
    e.size = dir ? 0 : 4096;
    e.mtime_ns = 1700000000000000000LL;
    return fn(ctx, &e);
}

static sc_code s_list(sc_session *s, const char *dir, sc_entry_fn fn, void *ctx, sc_error *err) {
    char path[64];
    if (*dir == 0) {
        for (long i = 0; i < s->folders; i++) {
            snprintf(path, sizeof path, "d%ld", i);
            if (emit(fn, ctx, path, 1) != SC_OK) return fail(err, SC_ERR_CANCELLED, "stopped");
        }
        return SC_OK;
    }
    long folder;
    if (sscanf(dir, "d%ld", &folder) != 1 || folder < 0 || folder >= s->folders) return fail(err, SC_ERR_NOT_FOUND, "no such folder");
    long per = s->files / s->folders + (folder < s->files % s->folders ? 1 : 0);
    for (long j = 0; j < per; j++) {
        snprintf(path, sizeof path, "d%ld/f%ld", folder, j);
        if (emit(fn, ctx, path, 0) != SC_OK) return fail(err, SC_ERR_CANCELLED, "stopped");
    }
    return SC_OK;
}

static sc_code s_stat(sc_session *s, const char *path, sc_entry_fn fn, void *ctx, sc_error *err) {
    long folder, file;
    if (*path == 0) return emit(fn, ctx, "", 1), SC_OK;
    if (sscanf(path, "d%ld/f%ld", &folder, &file) == 2) return emit(fn, ctx, path, 0), SC_OK;
    if (sscanf(path, "d%ld", &folder) == 1 && folder < s->folders) return emit(fn, ctx, path, 1), SC_OK;
    return fail(err, SC_ERR_NOT_FOUND, "no such path");
}

static sc_code s_ro(sc_session *s, const char *p, sc_error *err) { (void)s; (void)p; return fail(err, SC_ERR_UNSUPPORTED, "read-only"); }
static sc_code s_reader(sc_session *s, const char *p, int64_t o, int64_t l, sc_reader **r, sc_error *err) { (void)s; (void)p; (void)o; (void)l; (void)r; return fail(err, SC_ERR_UNSUPPORTED, "no contents"); }
static sc_code s_read(sc_reader *r, void *b, size_t c, size_t *n, sc_error *err) { (void)r; (void)b; (void)c; (void)n; return fail(err, SC_ERR_UNSUPPORTED, "no contents"); }
static void s_close_reader(sc_reader *r) { (void)r; }
static sc_code s_writer(sc_session *s, const char *p, const sc_write_options *o, sc_writer **w, int64_t *off, sc_error *err) { (void)s; (void)p; (void)o; (void)w; (void)off; return fail(err, SC_ERR_UNSUPPORTED, "read-only"); }
static sc_code s_write(sc_writer *w, const void *b, size_t c, sc_error *err) { (void)w; (void)b; (void)c; return fail(err, SC_ERR_UNSUPPORTED, "read-only"); }
static sc_code s_finish(sc_writer *w, sc_entry_fn f, void *x, sc_error *err) { (void)w; (void)f; (void)x; return fail(err, SC_ERR_UNSUPPORTED, "read-only"); }
static void s_abort(sc_writer *w) { (void)w; }

static const sc_ops ops = {
    .struct_size = sizeof(sc_ops), .open = s_open, .close = s_close, .list = s_list, .stat = s_stat,
    .mkdir = s_ro, .remove = s_ro, .rmdir = s_ro, .open_reader = s_reader, .read = s_read,
    .close_reader = s_close_reader, .open_writer = s_writer, .write = s_write, .finish = s_finish, .abort = s_abort,
};

static const sc_descriptor descriptor = {
    .magic = SC_MAGIC, .abi_major = SC_ABI_MAJOR, .abi_minor = SC_ABI_MINOR, .struct_size = sizeof(sc_descriptor),
    .pointer_size = sizeof(void *), .name = "synthetic", .version = "1.0.0",
    .description = "Made-up read-only tree for benchmarks", .mtime_precision_ns = 1,
    .options_schema_json = "[{\"name\":\"files\",\"type\":\"int\",\"default\":1000,\"help\":\"Files in the tree\"},"
                           "{\"name\":\"folders\",\"type\":\"int\",\"default\":1,\"help\":\"Folders they are spread over\"}]",
    .ops = &ops,
};

SC_EXPORT const sc_descriptor *sync_connector_entry(uint32_t major, uint32_t minor) {
    (void)minor;
    return major == SC_ABI_MAJOR ? &descriptor : NULL;
}
