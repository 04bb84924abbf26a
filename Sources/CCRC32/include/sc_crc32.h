/*
 * sc_crc32: CRC-32 (IEEE 802.3, the one zlib and Put.io compute), with zlib's calling convention:
 * start from 0, pass the previous result to continue.
 *
 * On x86-64 CPUs with carry-less multiplication (PCLMULQDQ, every x86-64 CPU since 2010) it folds
 * 64 bytes per step, several times faster than zlib's table-driven crc32; elsewhere, and for short
 * inputs, it is zlib's crc32_z. Both give the same value for the same bytes.
 */
#ifndef SC_CRC32_H
#define SC_CRC32_H

#include <stddef.h>
#include <stdint.h>

/* Continues `crc` (0 to start) over `len` bytes at `buf`; returns the new value. `buf` may be NULL
 * only when `len` is 0. Thread-safe; no state besides a CPU feature check made once. */
uint32_t sc_crc32(uint32_t crc, const void *buf, size_t len);

/* Whether sc_crc32 uses the carry-less multiplication path on this CPU (for tests and benchmarks). */
int sc_crc32_is_accelerated(void);

/* The table-driven path alone (zlib's crc32_z), for tests that compare the two. */
uint32_t sc_crc32_portable(uint32_t crc, const void *buf, size_t len);

#endif
