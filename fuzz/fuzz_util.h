/* fuzz_util.h - helpers shared by the fuzz harnesses: property checks that abort with a message, a
 * NUL-terminated copy of the input, and a UTF-8 validator written independently of the library's own. */
#ifndef MODELLIX_FUZZ_UTIL_H
#define MODELLIX_FUZZ_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The libFuzzer entry point, also called by standalone_main.c. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A violated property is a finding: report it and abort so that libFuzzer saves the input. */
#define FUZZ_CHECK(cond) ((cond) ? (void)0 : fuzz_check_failed(#cond, __FILE__, __LINE__))

static inline void fuzz_check_failed(const char *what, const char *file, int line)
{
    fprintf(stderr, "%s:%d: property violated: %s\n", file, line, what);
    fflush(stderr);
    abort();
}

/* [data, data+size) as a malloc'd C string (an embedded NUL simply ends it). Aborts when out of memory. */
static inline char *fuzz_cstr(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s)
        abort();
    if (size)
        memcpy(s, data, size);
    s[size] = '\0';
    return s;
}

/* Decode one well-formed UTF-8 sequence (Unicode table 3-7): its length, or 0. */
static inline size_t fuzz_utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
    unsigned char c = s[0];
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    size_t len;
    unsigned char lo = 0x80, hi = 0xBF; /* allowed range of the second byte */
    if (c >= 0xC2 && c <= 0xDF) {
        len = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        if (c == 0xE0)
            lo = 0xA0; /* no overlongs */
        if (c == 0xED)
            hi = 0x9F; /* no surrogates */
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        if (c == 0xF0)
            lo = 0x90;
        if (c == 0xF4)
            hi = 0x8F; /* at most U+10FFFF */
    } else {
        return 0;
    }
    if (n < len || s[1] < lo || s[1] > hi)
        return 0;
    uint32_t v = c & (len == 2 ? 0x1F : len == 3 ? 0x0F : 0x07);
    for (size_t i = 1; i < len; i++) {
        if (i > 1 && (s[i] & 0xC0) != 0x80)
            return 0;
        v = (v << 6) | (s[i] & 0x3F);
    }
    *cp = v;
    return len;
}

static inline int fuzz_utf8_valid(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        size_t l = fuzz_utf8_decode(p + i, n - i, &cp);
        if (!l)
            return 0;
        i += l;
    }
    return 1;
}

/* 1 if s has a byte below 0x20 or DEL. */
static inline int fuzz_has_ascii_control(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p < 0x20 || *p == 0x7F)
            return 1;
    return 0;
}

/* 1 for the code points the library treats as unsafe in text: C0/C1 controls and bidi controls. */
static inline int fuzz_unsafe_codepoint(uint32_t cp)
{
    return cp <= 0x1F || (cp >= 0x7F && cp <= 0x9F) || cp == 0x061C || cp == 0x200E || cp == 0x200F ||
           (cp >= 0x2028 && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069);
}

/* 1 if [s, s+n) is non-empty, well-formed UTF-8 and free of unsafe code points. */
static inline int fuzz_safe_text_n(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    if (!n)
        return 0;
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        size_t l = fuzz_utf8_decode(p + i, n - i, &cp);
        if (!l || fuzz_unsafe_codepoint(cp))
            return 0;
        i += l;
    }
    return 1;
}

static inline int fuzz_safe_text(const char *s)
{
    return fuzz_safe_text_n(s, strlen(s));
}

static inline int fuzz_is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* 1 if s has no leading or trailing ASCII white space. */
static inline int fuzz_trimmed(const char *s)
{
    size_t n = strlen(s);
    return !n || (!fuzz_is_space(s[0]) && !fuzz_is_space(s[n - 1]));
}

/* An error buffer filled with a marker byte, so that the checks can see it was terminated. */
/* 1 if s ends with the first k or more bytes of key (a key cut short). */
static inline int fuzz_ends_with_prefix_of(const char *s, const char *key, size_t k)
{
    size_t n = strlen(s), kl = strlen(key);
    for (size_t f = k; f <= kl && f <= n; f++)
        if (memcmp(s + n - f, key, f) == 0)
            return 1;
    return 0;
}

#define FUZZ_ERRCAP 256
static inline void fuzz_err_reset(char *err)
{
    memset(err, 0x5A, FUZZ_ERRCAP);
}
static inline int fuzz_err_terminated(const char *err)
{
    return memchr(err, '\0', FUZZ_ERRCAP) != NULL;
}

#endif
