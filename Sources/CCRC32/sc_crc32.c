/*
 * CRC-32 by carry-less multiplication. The CRC is a remainder modulo the polynomial P; instead of
 * dividing byte by byte (zlib's tables), the running remainder is kept in 128-bit lanes and moved
 * ("folded") forward over the next block by multiplying with x^d mod P, where d is the distance
 * folded, then reduced to 32 bits at the end by Barrett reduction. Everything is bit-reflected,
 * like the CRC itself. The method and its constants are from Gopal et al., "Fast CRC Computation
 * for Generic Polynomials Using PCLMULQDQ Instruction" (Intel, 2009).
 */
#include "sc_crc32.h"

#include <zlib.h>

uint32_t sc_crc32_portable(uint32_t crc, const void *buf, size_t len) {
    const unsigned char *p = buf;
    /* crc32_z takes a z_size_t; feed it slices so no platform's size type can truncate. */
    while (len > 0) {
        size_t n = len > ((size_t)1 << 30) ? ((size_t)1 << 30) : len;
        crc = (uint32_t)crc32_z(crc, p, (z_size_t)n);
        p += n;
        len -= n;
    }
    return crc;
}

#if defined(__x86_64__)
#include <immintrin.h>

/* Each pair: the multiplier for a lane's low 64 bits, then for its high 64 bits. */
static const uint64_t fold_512[2] __attribute__((aligned(16))) = {0x154442bd4, 0x1c6e41596};
static const uint64_t fold_128[2] __attribute__((aligned(16))) = {0x1751997d0, 0x0ccaa009e};
static const uint64_t fold_64[2] __attribute__((aligned(16))) = {0x163cd6124, 0};
/* P itself (33 bits, reflected) and the Barrett constant floor(x^64 / P), reflected. */
static const uint64_t barrett[2] __attribute__((aligned(16))) = {0x1db710641, 0x1f7011641};

#define CLMUL_TARGET __attribute__((target("pclmul,sse4.1")))

/* lane × (x^d mod P), moved d bits forward, then combined with the data found there. */
CLMUL_TARGET static inline __m128i fold(__m128i lane, __m128i k, __m128i data) {
    __m128i low = _mm_clmulepi64_si128(lane, k, 0x00);
    __m128i high = _mm_clmulepi64_si128(lane, k, 0x11);
    return _mm_xor_si128(_mm_xor_si128(low, high), data);
}

CLMUL_TARGET static inline __m128i load(const unsigned char *p) { return _mm_loadu_si128((const __m128i *)p); }

/* The CRC register (not inverted) after `len` bytes, len ≥ 64 and a multiple of 16. */
CLMUL_TARGET static uint32_t fold_blocks(uint32_t reg, const unsigned char *p, size_t len) {
    /* Four lanes, 64 bytes a step: four independent multiplications keep the unit busy. */
    __m128i a = _mm_xor_si128(load(p), _mm_cvtsi32_si128((int)reg));
    __m128i b = load(p + 16), c = load(p + 32), d = load(p + 48);
    p += 64;
    len -= 64;
    const __m128i k512 = _mm_load_si128((const __m128i *)fold_512);
    while (len >= 64) {
        a = fold(a, k512, load(p));
        b = fold(b, k512, load(p + 16));
        c = fold(c, k512, load(p + 32));
        d = fold(d, k512, load(p + 48));
        p += 64;
        len -= 64;
    }
    /* Four lanes into one, then the remaining 16-byte blocks. */
    const __m128i k128 = _mm_load_si128((const __m128i *)fold_128);
    __m128i x = fold(a, k128, b);
    x = fold(x, k128, c);
    x = fold(x, k128, d);
    for (; len >= 16; p += 16, len -= 16) x = fold(x, k128, load(p));

    /* 128 → 64 bits: the low half moved onto the high half. */
    const __m128i low32 = _mm_setr_epi32(-1, 0, -1, 0);
    x = _mm_xor_si128(_mm_srli_si128(x, 8), _mm_clmulepi64_si128(x, k128, 0x10));
    /* 64 → 32 (+32) bits. */
    const __m128i k64 = _mm_loadl_epi64((const __m128i *)fold_64);
    x = _mm_xor_si128(_mm_srli_si128(x, 4), _mm_clmulepi64_si128(_mm_and_si128(x, low32), k64, 0x00));
    /* Barrett: the remainder is x - floor(x·μ / x^64)·P, all carry-less. */
    const __m128i kb = _mm_load_si128((const __m128i *)barrett);
    __m128i q = _mm_and_si128(_mm_clmulepi64_si128(_mm_and_si128(x, low32), kb, 0x10), low32);
    x = _mm_xor_si128(x, _mm_clmulepi64_si128(q, kb, 0x00));
    return (uint32_t)_mm_extract_epi32(x, 1);
}

int sc_crc32_is_accelerated(void) {
    static int state = -1; /* -1 unknown; a race only computes the same answer twice */
    int known = __atomic_load_n(&state, __ATOMIC_RELAXED);
    if (known < 0) {
        __builtin_cpu_init();
        known = __builtin_cpu_supports("pclmul") && __builtin_cpu_supports("sse4.1");
        __atomic_store_n(&state, known, __ATOMIC_RELAXED);
    }
    return known;
}

uint32_t sc_crc32(uint32_t crc, const void *buf, size_t len) {
    const unsigned char *p = buf;
    if (len >= 64 && sc_crc32_is_accelerated()) {
        size_t bulk = len & ~(size_t)15;
        crc = ~fold_blocks(~crc, p, bulk);
        p += bulk;
        len -= bulk;
    }
    return len ? sc_crc32_portable(crc, p, len) : crc;
}

#else

int sc_crc32_is_accelerated(void) { return 0; }

uint32_t sc_crc32(uint32_t crc, const void *buf, size_t len) { return sc_crc32_portable(crc, buf, len); }

#endif
