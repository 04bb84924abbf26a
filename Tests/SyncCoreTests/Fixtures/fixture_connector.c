/*
 * A minimal connector used by the plugin-host tests. Compiled once per failure mode, each macro
 * breaking one rule of the ABI:
 *   FIXTURE_NAME            connector name (default "fixture")
 *   FIXTURE_NO_ENTRY        export a differently named function instead of the entry point
 *   FIXTURE_RETURN_NULL     the entry point answers NULL
 *   FIXTURE_ABI_MAJOR       abi_major in the descriptor
 *   FIXTURE_STRUCT_SIZE     descriptor struct_size
 *   FIXTURE_OPS_SIZE        function table struct_size
 *   FIXTURE_MAGIC           magic number
 *   FIXTURE_POINTER_SIZE    pointer_size
 *   FIXTURE_NO_READ         leave the required read slot NULL
 *   FIXTURE_BAD_SCHEMA      an options schema that is not JSON
 * The operations themselves answer UNSUPPORTED: these tests are about loading, not behaviour.
 */
#include <stddef.h>
#include "sync_connector.h"

#ifndef FIXTURE_NAME
#define FIXTURE_NAME "fixture"
#endif
#ifndef FIXTURE_ABI_MAJOR
#define FIXTURE_ABI_MAJOR SC_ABI_MAJOR
#endif
#ifndef FIXTURE_STRUCT_SIZE
#define FIXTURE_STRUCT_SIZE sizeof(sc_descriptor)
#endif
#ifndef FIXTURE_OPS_SIZE
#define FIXTURE_OPS_SIZE sizeof(sc_ops)
#endif
#ifndef FIXTURE_MAGIC
#define FIXTURE_MAGIC SC_MAGIC
#endif
#ifndef FIXTURE_POINTER_SIZE
#define FIXTURE_POINTER_SIZE sizeof(void *)
#endif

static sc_code no(sc_error *err) {
    if (err) err->code = SC_ERR_UNSUPPORTED;
    return SC_ERR_UNSUPPORTED;
}
static sc_code f_open(const sc_host *h, const char *c, sc_session **o, sc_error *e) { (void)h; (void)c; (void)o; return no(e); }
static void f_close(sc_session *s) { (void)s; }
static sc_code f_list(sc_session *s, const char *d, sc_entry_fn f, void *x, sc_error *e) { (void)s; (void)d; (void)f; (void)x; return no(e); }
static sc_code f_path(sc_session *s, const char *p, sc_error *e) { (void)s; (void)p; return no(e); }
static sc_code f_reader(sc_session *s, const char *p, int64_t o, int64_t l, sc_reader **r, sc_error *e) { (void)s; (void)p; (void)o; (void)l; (void)r; return no(e); }
static sc_code f_read(sc_reader *r, void *b, size_t c, size_t *n, sc_error *e) { (void)r; (void)b; (void)c; (void)n; return no(e); }
static void f_close_reader(sc_reader *r) { (void)r; }
static sc_code f_writer(sc_session *s, const char *p, const sc_write_options *o, sc_writer **w, int64_t *off, sc_error *e) { (void)s; (void)p; (void)o; (void)w; (void)off; return no(e); }
static sc_code f_write(sc_writer *w, const void *b, size_t c, sc_error *e) { (void)w; (void)b; (void)c; return no(e); }
static sc_code f_finish(sc_writer *w, sc_entry_fn f, void *x, sc_error *e) { (void)w; (void)f; (void)x; return no(e); }
static void f_abort(sc_writer *w) { (void)w; }

static const sc_ops ops = {
    .struct_size = FIXTURE_OPS_SIZE,
    .open = f_open, .close = f_close, .list = f_list, .stat = f_list,
    .mkdir = f_path, .remove = f_path, .rmdir = f_path,
    .open_reader = f_reader,
#ifndef FIXTURE_NO_READ
    .read = f_read,
#endif
    .close_reader = f_close_reader, .open_writer = f_writer, .write = f_write, .finish = f_finish, .abort = f_abort,
};

static const sc_descriptor descriptor = {
    .magic = FIXTURE_MAGIC,
    .abi_major = FIXTURE_ABI_MAJOR,
    .abi_minor = 0,
    .struct_size = FIXTURE_STRUCT_SIZE,
    .pointer_size = FIXTURE_POINTER_SIZE,
    .name = FIXTURE_NAME,
    .version = "0.0.1",
    .description = "test fixture",
#ifdef FIXTURE_BAD_SCHEMA
    .options_schema_json = "[{not json",
#else
    .options_schema_json = "[]",
#endif
    .ops = &ops,
};

#ifdef FIXTURE_NO_ENTRY
SC_EXPORT const sc_descriptor *some_other_function(uint32_t major, uint32_t minor) {
    (void)major; (void)minor;
    return &descriptor;
}
#else
SC_EXPORT const sc_descriptor *sync_connector_entry(uint32_t major, uint32_t minor) {
    (void)major; (void)minor;
#ifdef FIXTURE_RETURN_NULL
    return NULL;
#else
    return &descriptor;
#endif
}
#endif
