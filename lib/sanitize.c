/* sanitize.c - redact, then clean, then bound: see sanitize.h. */
#include "sanitize.h"

#include "util.h"
#include "validate.h"

#include <stdlib.h>
#include <string.h>

static const char MARK[] = "[REDACTED]";

static int redacting(const char *key, size_t *kl)
{
    *kl = key ? strlen(key) : 0;
    return *kl >= MX_REDACT_MIN_KEY;
}

/* The longest run of s[0, n) that equals a piece of the key starting at some key position, and
   whether it starts at the key's beginning; 0 if none. */
static size_t key_piece_at(const char *key, size_t kl, const char *s, size_t n, int *from_start)
{
    size_t best = 0;
    *from_start = 0;
    for (const char *k = memchr(key, s[0], kl); k; k = memchr(k + 1, s[0], kl - (size_t)(k + 1 - key))) {
        size_t off = (size_t)(k - key), l = 0;
        while (off + l < kl && l < n && s[l] == key[off + l])
            l++;
        if (l > best) {
            best = l;
            *from_start = off == 0;
        }
        if (off + 1 >= kl)
            break;
    }
    return best;
}

/* Copy [s, s+n) into b with the key redacted: every run that is the whole key, or a piece of it that
   gives part of it away (its first MX_REDACT_MIN_PREFIX bytes or more, or MX_REDACT_MIN_PIECE bytes
   or more from anywhere in it: a server may echo a key cut short, or a middle part), becomes the
   mark. */
static int redact_into(mx_buf *b, const char *key, const char *s, size_t n)
{
    size_t kl;
    if (!redacting(key, &kl))
        return mx_buf_append(b, s, n);
    size_t i = 0, copied = 0;
    while (i < n) {
        int from_start;
        size_t l = key_piece_at(key, kl, s + i, n - i, &from_start);
        if (l == kl || (from_start && l >= MX_REDACT_MIN_PREFIX) || l >= MX_REDACT_MIN_PIECE) {
            if (mx_buf_append(b, s + copied, i - copied) || mx_buf_append(b, MARK, sizeof MARK - 1))
                return -1;
            i += l;
            copied = i;
        } else {
            i++;
        }
    }
    return mx_buf_append(b, s + copied, n - copied);
}

/* The length of [s, s+n) without a trailing fragment that begins the key (a key cut short). */
static size_t drop_key_fragment(const char *key, const char *s, size_t n)
{
    size_t kl;
    if (!redacting(key, &kl))
        return n;
    size_t longest = kl - 1 < n ? kl - 1 : n;
    for (size_t f = longest; f >= MX_REDACT_MIN_FRAGMENT; f--)
        if (memcmp(s + n - f, key, f) == 0)
            return n - f;
    return n;
}

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* Clean and bound the redacted text in `in` into `out` (max bytes, whole characters). */
static int clean_into(mx_buf *out, const char *s, size_t n, size_t max, int mode)
{
    if (mode == MX_SAN_RAW) {
        size_t take = n;
        if (take > max) {
            take = max;
            while (take && ((unsigned char)s[take] & 0xC0) == 0x80)
                take--; /* never split a character */
        }
        return mx_buf_append(out, s, take);
    }
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < n && is_space(s[i]))
        i++;
    while (n > i && is_space(s[n - 1]))
        n--;
    while (i < n) {
        uint32_t cp;
        size_t l = mx_utf8_next(p + i, n - i, &cp);
        int bad = !l || mx_unsafe_codepoint(cp);
        size_t w = bad ? 1 : l;
        if (out->len + w > max)
            break;
        if (mx_buf_append(out, bad ? " " : (const char *)p + i, w))
            return -1;
        i += l ? l : 1;
    }
    while (out->len && is_space(out->data[out->len - 1]))
        out->data[--out->len] = '\0';
    return 0;
}

static char *sanitize_buf(const char *key, const char *s, size_t n, size_t max, int mode)
{
    if (!s)
        return NULL;
    mx_buf red = {0}, out = {0};
    n = drop_key_fragment(key, s, n); /* what arrived cut may end with the start of the key */
    if (redact_into(&red, key, s, n) || clean_into(&out, red.data ? red.data : "", red.len, max, mode)) {
        mx_buf_free(&red);
        mx_buf_free(&out);
        return NULL;
    }
    mx_buf_free(&red);
    /* the cut, and the white space cleaning drops at the end, may have made a new end that begins
       the key ("... sk-fuz" + a control character): drop it too, until the end is clean */
    for (;;) {
        size_t l = drop_key_fragment(key, out.data ? out.data : "", out.len);
        if (mode == MX_SAN_TEXT)
            while (l && is_space(out.data[l - 1]))
                l--;
        if (l == out.len)
            break;
        out.len = l;
        out.data[l] = '\0';
    }
    if (!out.len) {
        mx_buf_free(&out);
        return NULL;
    }
    return mx_buf_take(&out);
}

char *mx_sanitize(const char *key, const char *s, size_t n, size_t max, int mode)
{
    return sanitize_buf(key, s, n, max, mode);
}

size_t mx_sanitize_into(const char *key, const char *s, size_t n, char *out, size_t cap, int mode)
{
    if (!cap)
        return 0;
    char *c = sanitize_buf(key, s, n, cap - 1, mode);
    size_t l = c ? strlen(c) : 0;
    if (c)
        memcpy(out, c, l);
    out[l] = '\0';
    free(c);
    return l;
}

void mx_sanitize_inplace(const char *key, char *buf, size_t cap)
{
    size_t n = strnlen(buf, cap);
    char *c = sanitize_buf(key, buf, n, cap ? cap - 1 : 0, MX_SAN_TEXT);
    size_t l = c ? strlen(c) : 0;
    if (cap) {
        if (c)
            memcpy(buf, c, l);
        buf[l] = '\0';
    }
    free(c);
}
