/*
 * Compile-time pins of the v1 layout on LP64 targets. If one of these fails, the header changed in a
 * way that breaks every connector already built: append new fields at the end instead and bump
 * SC_ABI_MINOR. The Swift test AbiLayoutTests pins the same numbers field by field.
 */
#include <stddef.h>
#include "sync_connector.h"

_Static_assert(SC_MTIME_UNKNOWN == INT64_MIN, "SC_MTIME_UNKNOWN");
_Static_assert(SC_SIZE_UNKNOWN == -1, "SC_SIZE_UNKNOWN");

#if defined(__LP64__)
_Static_assert(sizeof(sc_error) == 16 + SC_ERROR_MESSAGE_SIZE, "sc_error size");
_Static_assert(offsetof(sc_error, message) == 16, "sc_error.message");
_Static_assert(sizeof(sc_hash) == 16, "sc_hash size");
_Static_assert(sizeof(sc_entry) == 56, "sc_entry size");
_Static_assert(offsetof(sc_entry, hash_count) == 48, "sc_entry.hash_count");
_Static_assert(sizeof(sc_host) == 64, "sc_host size");
_Static_assert(offsetof(sc_host, credentials_changed) == 40, "sc_host 1.0 part");
_Static_assert(sizeof(sc_write_options) == 72, "sc_write_options size");
_Static_assert(sizeof(sc_about) == 40, "sc_about size");
_Static_assert(sizeof(sc_job) == 64, "sc_job size");
_Static_assert(sizeof(sc_ops) == 8 + 28 * 8, "sc_ops size");
_Static_assert(offsetof(sc_ops, open_reader_id) == 8 + 25 * 8, "sc_ops 1.1 part");
_Static_assert(offsetof(sc_ops, suspend) == 8 + 23 * 8, "sc_ops 1.0 part");
_Static_assert(sizeof(sc_descriptor) == 104, "sc_descriptor size");
_Static_assert(offsetof(sc_descriptor, ops) == 96, "sc_descriptor.ops");
#endif

/* The host's ABI version, for C code that wants it at run time. */
const unsigned sc_abi_layout_major = SC_ABI_MAJOR;
