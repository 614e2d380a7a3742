/* util.h - small internal helpers: growable buffers, strings, clock, random numbers. */
#ifndef MODELLIX_UTIL_H
#define MODELLIX_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

/* A growable byte buffer that is always NUL-terminated when non-empty. */
typedef struct mx_buf {
    char *data;
    size_t len;
    size_t cap;
} mx_buf;

/* Append n bytes; returns 0 or -1 (out of memory). */
int mx_buf_append(mx_buf *b, const void *p, size_t n);
void mx_buf_reset(mx_buf *b);  /* len = 0, keeps the memory */
void mx_buf_free(mx_buf *b);
/* Hand the contents to the caller (malloc'd, NUL-terminated, never NULL on success). */
char *mx_buf_take(mx_buf *b);

char *mx_strdup(const char *s);
char *mx_strndup(const char *s, size_t n);
/* Copy [s, s+n) with leading and trailing ASCII white space removed. */
char *mx_strdup_trimmed(const char *s);
int mx_ascii_casecmp(const char *a, const char *b);
/* 1 if the n bytes at a and b are equal but for ASCII case (NUL bytes are compared like any other), else 0. */
int mx_ascii_ncaseeq(const char *a, const char *b, size_t n);
/* snprintf that always terminates and never fails for callers; returns the length written. */
size_t mx_fmt(char *dst, size_t cap, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
size_t mx_vfmt(char *dst, size_t cap, const char *fmt, va_list ap);

/* Monotonic milliseconds. */
int64_t mx_now_ms(void);
/* Saturating a + b for deadlines. */
int64_t mx_add_ms(int64_t a, int64_t b);

/* A small non-cryptographic generator (splitmix64) for jitter; seed 0 picks one from the clock. */
typedef struct mx_rng {
    uint64_t state;
} mx_rng;
void mx_rng_seed(mx_rng *r, uint64_t seed);
uint64_t mx_rng_next(mx_rng *r);
/* Uniform in [0, n], n >= 0. */
int64_t mx_rng_upto(mx_rng *r, int64_t n);

#endif
