/* json_tame.c - see json_tame.h. A lexer for number tokens only: it tracks strings (and their
 * escapes) so that digits inside strings are never touched, and decides range by counting digits,
 * never by calling strtod (which depends on the locale). */
#include "json_tame.h"

#include <stdint.h>
#include <string.h>

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* 1 if the integer token [p, p+n) (optional '-', digits) is outside int64. */
static int int_out_of_range(const char *p, size_t n)
{
    int neg = n && p[0] == '-';
    size_t i = neg ? 1 : 0;
    while (i < n - 1 && p[i] == '0')
        i++; /* leading zeros (not valid JSON, but harmless to skip) */
    size_t digits = n - i;
    static const char max_pos[] = "9223372036854775807", max_neg[] = "9223372036854775808";
    const char *lim = neg ? max_neg : max_pos;
    size_t ll = sizeof max_pos - 1;
    if (digits != ll)
        return digits > ll;
    return memcmp(p + i, lim, ll) > 0;
}

/* 1 if the real token [p, p+n) has a magnitude of 1e308 or more (double overflows at about 1.8e308;
   the few representable values above 1e308 read as 0 as well: no field the library reads is that large). */
static int real_out_of_range(const char *p, size_t n)
{
    size_t i = p[0] == '-' ? 1 : 0;
    /* position of the first non-zero digit relative to the decimal point */
    int64_t lead = 0; /* digits before the point, after leading zeros */
    int seen_nonzero = 0;
    int64_t frac_zeros = 0; /* zeros after the point before the first non-zero digit */
    for (; i < n && is_digit(p[i]); i++) {
        if (p[i] != '0')
            seen_nonzero = 1;
        if (seen_nonzero)
            lead++;
    }
    if (i < n && p[i] == '.') {
        for (i++; i < n && is_digit(p[i]); i++) {
            if (!seen_nonzero && p[i] == '0')
                frac_zeros++;
            else
                seen_nonzero = 1;
        }
    }
    if (!seen_nonzero)
        return 0; /* zero, whatever its exponent */
    int64_t exp = 0;
    if (i < n && (p[i] == 'e' || p[i] == 'E')) {
        i++;
        int eneg = 0;
        if (i < n && (p[i] == '+' || p[i] == '-'))
            eneg = p[i++] == '-';
        for (; i < n && is_digit(p[i]); i++)
            if (exp < 100000)
                exp = exp * 10 + (p[i] - '0');
        if (eneg)
            exp = -exp;
    }
    /* the value is d.ddd x 10^m with m = lead - 1 + exp (or -(frac_zeros + 1) + exp) */
    int64_t m = lead ? lead - 1 + exp : exp - frac_zeros - 1;
    return m >= 308;
}

size_t mx_json_tame_numbers(char *s, size_t n)
{
    size_t i = 0, count = 0;
    while (i < n) {
        char c = s[i];
        if (c == '"') {
            for (i++; i < n && s[i] != '"'; i++)
                if (s[i] == '\\')
                    i++;
            i++;
            continue;
        }
        if (c != '-' && !is_digit(c)) {
            i++;
            continue;
        }
        size_t start = i, j = i + (c == '-');
        int real = 0;
        while (j < n && (is_digit(s[j]) || s[j] == '.' || s[j] == 'e' || s[j] == 'E' || s[j] == '+' ||
                         s[j] == '-')) {
            if (!is_digit(s[j]))
                real = 1;
            j++;
        }
        size_t len = j - start;
        if (len > (size_t)(c == '-') && (real ? real_out_of_range(s + start, len) : int_out_of_range(s + start, len))) {
            s[start] = '0';
            memset(s + start + 1, ' ', len - 1);
            count++;
        }
        i = j;
    }
    return count;
}
