/* util.c - growable buffers, strings, clock and random numbers. */
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int mx_buf_append(mx_buf *b, const void *p, size_t n)
{
    if (n > SIZE_MAX - b->len - 1)
        return -1;
    size_t need = b->len + n + 1;
    if (need > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < need)
            cap = cap > SIZE_MAX / 2 ? need : cap * 2;
        char *d = realloc(b->data, cap);
        if (!d)
            return -1;
        b->data = d;
        b->cap = cap;
    }
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

void mx_buf_reset(mx_buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

void mx_buf_free(mx_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

char *mx_buf_take(mx_buf *b)
{
    if (!b->data && mx_buf_append(b, "", 0) != 0)
        return NULL;
    char *d = b->data;
    if (b->cap - b->len - 1 >= 256) {
        /* what the caller keeps (task JSON, paths: held for the task's life) does not waste much */
        char *fit = realloc(d, b->len + 1);
        if (fit)
            d = fit;
    }
    b->data = NULL;
    b->len = b->cap = 0;
    return d;
}

char *mx_strndup(const char *s, size_t n)
{
    char *d = malloc(n + 1);
    if (!d)
        return NULL;
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

char *mx_strdup(const char *s)
{
    return s ? mx_strndup(s, strlen(s)) : NULL;
}

static int is_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

char *mx_strdup_trimmed(const char *s)
{
    size_t n = strlen(s);
    while (n && is_ws(*s)) {
        s++;
        n--;
    }
    while (n && is_ws(s[n - 1]))
        n--;
    return mx_strndup(s, n);
}

int mx_ascii_casecmp(const char *a, const char *b)
{
    for (;; a++, b++) {
        int ca = (unsigned char)*a, cb = (unsigned char)*b;
        if (ca >= 'A' && ca <= 'Z')
            ca += 'a' - 'A';
        if (cb >= 'A' && cb <= 'Z')
            cb += 'a' - 'A';
        if (ca != cb || !ca)
            return ca - cb;
    }
}

int mx_ascii_ncaseeq(const char *a, const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        int ca = (unsigned char)a[i], cb = (unsigned char)b[i];
        if (ca >= 'A' && ca <= 'Z')
            ca += 'a' - 'A';
        if (cb >= 'A' && cb <= 'Z')
            cb += 'a' - 'A';
        if (ca != cb)
            return 0;
    }
    return 1;
}

size_t mx_vfmt(char *dst, size_t cap, const char *fmt, va_list ap)
{
    if (!cap)
        return 0;
    int n = vsnprintf(dst, cap, fmt, ap);
    if (n < 0) {
        dst[0] = '\0';
        return 0;
    }
    return (size_t)n >= cap ? cap - 1 : (size_t)n;
}

size_t mx_fmt(char *dst, size_t cap, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    size_t n = mx_vfmt(dst, cap, fmt, ap);
    va_end(ap);
    return n;
}

int64_t mx_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t mx_add_ms(int64_t a, int64_t b)
{
    if (b > 0 && a > INT64_MAX - b)
        return INT64_MAX;
    return a + b;
}

void mx_rng_seed(mx_rng *r, uint64_t seed)
{
    if (!seed) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        seed = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 20) ^ (uint64_t)(uintptr_t)r;
    }
    r->state = seed;
}

uint64_t mx_rng_next(mx_rng *r)
{
    uint64_t z = (r->state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

int64_t mx_rng_upto(mx_rng *r, int64_t n)
{
    if (n <= 0)
        return 0;
    return (int64_t)(mx_rng_next(r) % ((uint64_t)n + 1));
}
