/*
 * A connector that only declares options (one of them secret) and opens sessions; used by the
 * CLI tests of `account add` and `account show`. Every data operation answers UNSUPPORTED.
 */
#include <stdlib.h>
#include "sync_connector.h"

static sc_code no(sc_error *err) {
    if (err) err->code = SC_ERR_UNSUPPORTED;
    return SC_ERR_UNSUPPORTED;
}
static int dummy;
static sc_code v_open(const sc_host *h, const char *c, sc_session **o, sc_error *e) { (void)h; (void)c; (void)e; *o = (sc_session *)&dummy; return SC_OK; }
static void v_close(sc_session *s) { (void)s; }
static sc_code v_list(sc_session *s, const char *d, sc_entry_fn f, void *x, sc_error *e) { (void)s; (void)d; (void)f; (void)x; return no(e); }
static sc_code v_path(sc_session *s, const char *p, sc_error *e) { (void)s; (void)p; return no(e); }
static sc_code v_reader(sc_session *s, const char *p, int64_t o, int64_t l, sc_reader **r, sc_error *e) { (void)s; (void)p; (void)o; (void)l; (void)r; return no(e); }
static sc_code v_read(sc_reader *r, void *b, size_t c, size_t *n, sc_error *e) { (void)r; (void)b; (void)c; (void)n; return no(e); }
static void v_close_reader(sc_reader *r) { (void)r; }
static sc_code v_writer(sc_session *s, const char *p, const sc_write_options *o, sc_writer **w, int64_t *off, sc_error *e) { (void)s; (void)p; (void)o; (void)w; (void)off; return no(e); }
static sc_code v_write(sc_writer *w, const void *b, size_t c, sc_error *e) { (void)w; (void)b; (void)c; return no(e); }
static sc_code v_finish(sc_writer *w, sc_entry_fn f, void *x, sc_error *e) { (void)w; (void)f; (void)x; return no(e); }
static void v_abort(sc_writer *w) { (void)w; }

static const sc_ops ops = {
    .struct_size = sizeof(sc_ops),
    .open = v_open, .close = v_close, .list = v_list, .stat = v_list, .mkdir = v_path, .remove = v_path,
    .rmdir = v_path, .open_reader = v_reader, .read = v_read, .close_reader = v_close_reader,
    .open_writer = v_writer, .write = v_write, .finish = v_finish, .abort = v_abort,
};

static const sc_descriptor descriptor = {
    .magic = SC_MAGIC, .abi_major = SC_ABI_MAJOR, .abi_minor = SC_ABI_MINOR,
    .struct_size = sizeof(sc_descriptor), .pointer_size = sizeof(void *),
    .name = "vault", .version = "0.0.1", .description = "test connector with a secret option",
    .options_schema_json =
        "[{\"name\":\"token\",\"type\":\"string\",\"required\":true,\"secret\":true,\"help\":\"API token\"},"
        "{\"name\":\"region\",\"type\":\"string\",\"required\":false,\"secret\":false,\"default\":\"eu\",\"help\":\"Region\"},"
        "{\"name\":\"retries\",\"type\":\"int\",\"required\":false,\"secret\":false,\"default\":3,\"help\":\"Retries\"}]",
    .ops = &ops,
};

SC_EXPORT const sc_descriptor *sync_connector_entry(uint32_t major, uint32_t minor) {
    (void)minor;
    return major == SC_ABI_MAJOR ? &descriptor : NULL;
}
