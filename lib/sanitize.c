/* sanitize.c - redact, then clean, then bound: see sanitize.h. */
#include "sanitize.h"

#include "util.h"
#include "validate.h"

#include <stdlib.h>
#include <string.h>

static const char MARK[] = "[REDACTED]";

/* redact_into skips stretches shorter than MX_REDACT_MIN_PREFIX: that must be the shortest run it
   ever redacts */
_Static_assert(MX_REDACT_MIN_PREFIX <= MX_REDACT_MIN_PIECE && MX_REDACT_MIN_PREFIX <= MX_REDACT_MIN_KEY,
               "redact_into's stretch filter needs MX_REDACT_MIN_PREFIX to be the shortest redacted run");

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

/* The pairs of adjacent bytes of the key, as a set of hashed pairs (one bit each: a few false
   positives, never a false negative). */
typedef struct pair_set {
    unsigned char bits[512];
} pair_set;

static unsigned pair_hash(char a, char b)
{
    return (((unsigned)(unsigned char)a << 4) ^ (unsigned char)b) & 4095u;
}

static void pair_set_init(pair_set *ps, const char *key, size_t kl)
{
    memset(ps, 0, sizeof *ps);
    for (size_t i = 0; i + 1 < kl; i++) {
        unsigned h = pair_hash(key[i], key[i + 1]);
        ps->bits[h >> 3] |= (unsigned char)(1u << (h & 7));
    }
}

static int pair_in(const pair_set *ps, char a, char b)
{
    unsigned h = pair_hash(a, b);
    return (ps->bits[h >> 3] >> (h & 7)) & 1;
}

/* Redact [s, s+n) into b. Every run that is the whole key, or a piece of it that gives part of it
   away (its first MX_REDACT_MIN_PREFIX bytes or more, or MX_REDACT_MIN_PIECE bytes or more from
   anywhere in it: a server may echo a key cut short, or a middle part), becomes the mark; runs are
   taken greedily from the left. Every such run is at least MX_REDACT_MIN_PREFIX long (the smallest of
   the three lengths, since a redacted key is at least MX_REDACT_MIN_KEY = MX_REDACT_MIN_PREFIX long)
   and each of its adjacent byte pairs is a pair of the key, so only stretches of key pairs that long
   are searched: other text is skipped at one table look-up a byte. Returns 1 when
   something was redacted (b holds the result), 0 when nothing was (b is untouched: the text is
   clean as it is), -1 when memory ran out. */
static int redact_into(mx_buf *b, const char *key, size_t kl, const char *s, size_t n)
{
    pair_set ps;
    pair_set_init(&ps, key, kl);
    size_t copied = 0, i = 0;
    int redacted = 0;
    while (i + 1 < n) {
        if (!pair_in(&ps, s[i], s[i + 1])) {
            i++;
            continue;
        }
        size_t end = i + 2; /* [i, end): each adjacent pair in it is a pair of the key */
        while (end < n && pair_in(&ps, s[end - 1], s[end]))
            end++;
        if (end - i < MX_REDACT_MIN_PREFIX) {
            i = end;
            continue;
        }
        while (i < end) {
            int from_start;
            size_t l = key_piece_at(key, kl, s + i, end - i, &from_start);
            if (l == kl || (from_start && l >= MX_REDACT_MIN_PREFIX) || l >= MX_REDACT_MIN_PIECE) {
                if (mx_buf_append(b, s + copied, i - copied) || mx_buf_append(b, MARK, sizeof MARK - 1))
                    return -1;
                redacted = 1;
                i += l;
                copied = i;
            } else {
                i++;
            }
        }
    }
    if (redacted && mx_buf_append(b, s + copied, n - copied))
        return -1;
    return redacted;
}

/* The length of [s, s+n) without a trailing fragment that begins the key (a key cut short): the
   longest one, of at least MX_REDACT_MIN_FRAGMENT and at most kl - 1 bytes. */
static size_t drop_key_fragment(const char *key, size_t kl, const char *s, size_t n)
{
    if (n < MX_REDACT_MIN_FRAGMENT)
        return n;
    size_t from = n - (kl - 1 < n ? kl - 1 : n), last = n - MX_REDACT_MIN_FRAGMENT;
    for (const char *p = memchr(s + from, key[0], last - from + 1); p;
         p = (size_t)(p - s) < last ? memchr(p + 1, key[0], last - (size_t)(p - s)) : NULL)
        if (memcmp(p, key, n - (size_t)(p - s)) == 0)
            return (size_t)(p - s);
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
    size_t run = i, kept = 0; /* [run, i): good characters not yet appended; kept: bytes so far */
    while (i < n) {
        uint32_t cp;
        size_t l = mx_utf8_next(p + i, n - i, &cp);
        int bad = !l || mx_unsafe_codepoint(cp);
        size_t w = bad ? 1 : l;
        if (kept + w > max)
            break;
        kept += w;
        if (bad) { /* flush the good run, then a space for the bad byte or character */
            if (mx_buf_append(out, p + run, i - run) || mx_buf_append(out, " ", 1))
                return -1;
            run = i + (l ? l : 1);
        }
        i += l ? l : 1;
    }
    if (mx_buf_append(out, p + run, i - run))
        return -1;
    while (out->len && is_space(out->data[out->len - 1]))
        out->data[--out->len] = '\0';
    return 0;
}

static char *sanitize_buf(const char *key, const char *s, size_t n, size_t max, int mode)
{
    if (!s)
        return NULL;
    size_t kl;
    if (!redacting(key, &kl))
        key = NULL;
    mx_buf red = {0}, out = {0};
    if (key)
        n = drop_key_fragment(key, kl, s, n); /* what arrived cut may end with the start of the key */
    int r = key ? redact_into(&red, key, kl, s, n) : 0;
    const char *text = r > 0 ? red.data : s;
    size_t len = r > 0 ? red.len : n;
    if (r < 0 || clean_into(&out, text, len, max, mode)) {
        mx_buf_free(&red);
        mx_buf_free(&out);
        return NULL;
    }
    mx_buf_free(&red);
    /* the cut, and the white space cleaning drops at the end, may have made a new end that begins
       the key ("... sk-fuz" + a control character): drop it too, until the end is clean */
    while (key) {
        size_t l = drop_key_fragment(key, kl, out.data ? out.data : "", out.len);
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
