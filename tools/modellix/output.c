/* output.c - output modes, JSON printing in the official CLI's format, terminal-safe text, errors
 * and the progress line. */
#include "cli.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ------------------------------------------------------------------------------------------------ */
/* A growable string                                                                                 */

typedef struct sbuf {
    char *p;
    size_t len, cap;
    int oom;
} sbuf;

static void sb_add(sbuf *b, const char *s, size_t n)
{
    if (b->oom)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (b->len + n + 1 > cap)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) {
            b->oom = 1;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void sb_str(sbuf *b, const char *s) { sb_add(b, s, strlen(s)); }

/* ------------------------------------------------------------------------------------------------ */
/* Unsafe characters: C0, DEL and C1 controls, U+061C, U+200E/F, U+2028-202E, U+2066-2069            */

static int unsafe_cp(uint32_t cp)
{
    return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp == 0x61c || cp == 0x200e || cp == 0x200f ||
           (cp >= 0x2028 && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

/* Decode one UTF-8 sequence at s; returns its length (1 for a stray byte, cp = the byte). */
static size_t utf8_next(const unsigned char *s, uint32_t *cp)
{
    if (s[0] < 0x80) {
        *cp = s[0];
        return 1;
    }
    if ((s[0] & 0xe0) == 0xc0 && (s[1] & 0xc0) == 0x80) {
        *cp = ((uint32_t)(s[0] & 0x1f) << 6) | (s[1] & 0x3fu);
        return 2;
    }
    if ((s[0] & 0xf0) == 0xe0 && (s[1] & 0xc0) == 0x80 && (s[2] & 0xc0) == 0x80) {
        *cp = ((uint32_t)(s[0] & 0x0f) << 12) | ((uint32_t)(s[1] & 0x3f) << 6) | (s[2] & 0x3fu);
        return 3;
    }
    if ((s[0] & 0xf8) == 0xf0 && (s[1] & 0xc0) == 0x80 && (s[2] & 0xc0) == 0x80 && (s[3] & 0xc0) == 0x80) {
        *cp = ((uint32_t)(s[0] & 0x07) << 18) | ((uint32_t)(s[1] & 0x3f) << 12) | ((uint32_t)(s[2] & 0x3f) << 6) |
              (s[3] & 0x3fu);
        return 4;
    }
    *cp = s[0];
    return 1;
}

int is_safe_text(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    int nonblank = 0;
    while (*p) {
        uint32_t cp;
        size_t n = utf8_next(p, &cp);
        if (unsafe_cp(cp))
            return 0;
        if (cp != ' ')
            nonblank = 1;
        p += n;
    }
    return nonblank;
}

/* Write text with unsafe characters (except \n and \t) escaped as \uXXXX. */
static void write_safe(FILE *f, const char *text)
{
    const unsigned char *p = (const unsigned char *)text;
    while (*p) {
        uint32_t cp;
        size_t n = utf8_next(p, &cp);
        if (unsafe_cp(cp) && cp != '\n' && cp != '\t')
            fprintf(f, "\\u%04x", (unsigned)cp);
        else
            fwrite(p, 1, n, f);
        p += n;
    }
}

/* ------------------------------------------------------------------------------------------------ */
/* Output modes                                                                                      */

const char *cli_output_value(const cli *c, const char *def)
{
    if (c->quiet || (c->output && strcmp(c->output, "quiet") == 0))
        return "quiet";
    if (c->json || (c->output && strcmp(c->output, "json") == 0))
        return "json";
    return c->output ? c->output : def;
}

enum out_mode cli_output_mode(const cli *c, const char *def)
{
    const char *v = cli_output_value(c, def);
    if (strcmp(v, "quiet") == 0)
        return OUT_QUIET;
    if (strcmp(v, "json") == 0)
        return OUT_JSON;
    if (strcmp(v, "human") == 0)
        return OUT_HUMAN;
    return OUT_OTHER;
}

int cli_check_output(cli *c, const char *def, const char *const *allowed)
{
    const char *v = cli_output_value(c, def);
    char list[128] = "";
    for (size_t i = 0; allowed[i]; i++) {
        if (strcmp(v, allowed[i]) == 0)
            return 0;
        strcat(list, i ? ", " : "");
        strcat(list, allowed[i]);
    }
    return cli_fail(c, EXIT_USAGE, "Expected --output=%.64s to be one of: %s", v, list);
}

int cli_json_errors(const cli *c)
{
    if (c->quiet || (c->output && strcmp(c->output, "quiet") == 0))
        return 0;
    return c->json || (c->output && strcmp(c->output, "json") == 0);
}

void cli_out(cli *c, const char *text)
{
    cli_progress_clear(c);
    write_safe(stdout, text);
    fputc('\n', stdout);
    c->stdout_written = 1;
}

void cli_outf(cli *c, const char *fmt, ...)
{
    char buf[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    cli_out(c, buf);
}

void cli_warn(cli *c, const char *fmt, ...)
{
    char buf[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    cli_progress_clear(c);
    fputs("Warning: ", stderr);
    write_safe(stderr, buf);
    fputc('\n', stderr);
}

int cli_fail(cli *c, int code, const char *fmt, ...)
{
    char buf[8192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    cli_progress_clear(c);
    if (cli_json_errors(c)) {
        if (!c->stdout_written) {
            json_t *err = json_pack("{s:i,s:s}", "exitCode", code, "message", buf);
            json_t *env = json_pack("{s:o,s:b}", "error", err, "ok", 0);
            if (env)
                cli_out_json(c, env);
            json_decref(env);
        }
    } else {
        fputs("Error: ", stderr);
        write_safe(stderr, buf);
        fputc('\n', stderr);
    }
    return code;
}

/* ------------------------------------------------------------------------------------------------ */
/* JSON in the format of JSON.stringify(value, null, 2)                                              */

static void put_string(sbuf *b, const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s, *end = p + len;
    sb_add(b, "\"", 1);
    while (p < end) {
        uint32_t cp;
        size_t n = utf8_next(p, &cp);
        if (p + n > end)
            n = 1;
        char esc[8];
        switch (cp) {
        case '"': sb_add(b, "\\\"", 2); break;
        case '\\': sb_add(b, "\\\\", 2); break;
        case '\b': sb_add(b, "\\b", 2); break;
        case '\f': sb_add(b, "\\f", 2); break;
        case '\n': sb_add(b, "\\n", 2); break;
        case '\r': sb_add(b, "\\r", 2); break;
        case '\t': sb_add(b, "\\t", 2); break;
        default:
            if (unsafe_cp(cp)) {
                snprintf(esc, sizeof esc, "\\u%04x", (unsigned)cp);
                sb_str(b, esc);
            } else {
                sb_add(b, (const char *)p, n);
            }
        }
        p += n;
    }
    sb_add(b, "\"", 1);
}

/* The shortest text that reads back as the same double, in JavaScript's number format. */
static void put_real(sbuf *b, double v)
{
    char buf[64];
    if (v != v || v - v != 0) { /* NaN or infinity: JSON.stringify gives null */
        sb_str(b, "null");
        return;
    }
    int prec = 1;
    for (; prec <= 17; prec++) {
        snprintf(buf, sizeof buf, "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            break;
    }
    char *e = strchr(buf, 'e');
    if (e) {
        int exp10 = atoi(e + 1);
        if (exp10 >= -6 && exp10 < 21) {
            /* JavaScript writes fixed notation in this range */
            int digits = 0;
            for (char *q = buf; q < e; q++)
                if (*q >= '0' && *q <= '9')
                    digits++;
            int decimals = digits - 1 - exp10;
            snprintf(buf, sizeof buf, "%.*f", decimals > 0 ? decimals : 0, v);
        } else {
            /* JavaScript: 1e+21, 1.5e-7 (no leading zeros in the exponent) */
            char mant[40], out[64];
            size_t ml = (size_t)(e - buf);
            memcpy(mant, buf, ml);
            mant[ml] = '\0';
            snprintf(out, sizeof out, "%se%s%d", mant, exp10 < 0 ? "-" : "+", exp10 < 0 ? -exp10 : exp10);
            memcpy(buf, out, strlen(out) + 1);
        }
    }
    if (strcmp(buf, "-0") == 0)
        memcpy(buf, "0", 2);
    sb_str(b, buf);
}

static void put_indent(sbuf *b, int indent, int level)
{
    if (indent < 0)
        return;
    sb_add(b, "\n", 1);
    for (int i = 0; i < indent * level; i++)
        sb_add(b, " ", 1);
}

static void put_value(sbuf *b, const json_t *v, int indent, int level)
{
    char num[32];
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        if (json_object_size(v) == 0) {
            sb_str(b, "{}");
            break;
        }
        sb_add(b, "{", 1);
        const char *key;
        json_t *item;
        int first = 1;
        void *it = json_object_iter((json_t *)v);
        for (; it; it = json_object_iter_next((json_t *)v, it)) {
            key = json_object_iter_key(it);
            item = json_object_iter_value(it);
            if (!first)
                sb_add(b, ",", 1);
            first = 0;
            put_indent(b, indent, level + 1);
            put_string(b, key, strlen(key));
            sb_str(b, indent < 0 ? ":" : ": ");
            put_value(b, item, indent, level + 1);
        }
        put_indent(b, indent, level);
        sb_add(b, "}", 1);
        break;
    }
    case JSON_ARRAY: {
        if (json_array_size(v) == 0) {
            sb_str(b, "[]");
            break;
        }
        sb_add(b, "[", 1);
        for (size_t i = 0; i < json_array_size(v); i++) {
            if (i)
                sb_add(b, ",", 1);
            put_indent(b, indent, level + 1);
            put_value(b, json_array_get(v, i), indent, level + 1);
        }
        put_indent(b, indent, level);
        sb_add(b, "]", 1);
        break;
    }
    case JSON_STRING:
        put_string(b, json_string_value(v), json_string_length(v));
        break;
    case JSON_INTEGER:
        snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        sb_str(b, num);
        break;
    case JSON_REAL:
        put_real(b, json_real_value(v));
        break;
    case JSON_TRUE:
        sb_str(b, "true");
        break;
    case JSON_FALSE:
        sb_str(b, "false");
        break;
    case JSON_NULL:
        sb_str(b, "null");
        break;
    }
}

char *cli_json_dump(const json_t *v, int indent)
{
    sbuf b = {0};
    put_value(&b, v, indent, 0);
    if (b.oom) {
        free(b.p);
        return NULL;
    }
    return b.p;
}

void cli_out_json(cli *c, const json_t *v)
{
    char *s = cli_json_dump(v, 2);
    if (!s) {
        fputs("Error: out of memory\n", stderr);
        return;
    }
    cli_progress_clear(c);
    fputs(s, stdout); /* already escaped */
    fputc('\n', stdout);
    c->stdout_written = 1;
    free(s);
}

json_t *cli_parse_json(const char *raw)
{
    if (!raw)
        return NULL;
    json_error_t e;
    return json_loads(raw, JSON_DECODE_ANY, &e);
}

void cli_out_raw_json(cli *c, const char *raw)
{
    json_t *v = cli_parse_json(raw);
    if (v)
        cli_out_json(c, v);
    else if (raw)
        cli_out(c, raw);
    json_decref(v);
}

/* ------------------------------------------------------------------------------------------------ */
/* Progress                                                                                          */

int cli_progress_enabled(const cli *c)
{
    if (c->no_progress || c->quiet || c->json || (c->output && strcmp(c->output, "human") != 0))
        return 0;
    const char *ci = getenv("CI");
    if (ci && *ci)
        return 0;
    return isatty(STDERR_FILENO);
}

void cli_progress(cli *c, const char *fmt, ...)
{
    if (!cli_progress_enabled(c))
        return;
    char buf[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    fputs("\r\033[K", stderr);
    write_safe(stderr, buf);
    fflush(stderr);
    c->progress_shown = 1;
}

void cli_progress_clear(cli *c)
{
    if (c->progress_shown) {
        fputs("\r\033[K", stderr);
        fflush(stderr);
        c->progress_shown = 0;
    }
}

const char *cli_lower(const char *s, char *buf, size_t size)
{
    size_t i = 0;
    if (!s)
        s = "";
    for (; s[i] && i + 1 < size; i++)
        buf[i] = (s[i] >= 'A' && s[i] <= 'Z') ? (char)(s[i] - 'A' + 'a') : s[i];
    buf[i] = '\0';
    return buf;
}
