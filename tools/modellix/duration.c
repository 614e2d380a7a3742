/* duration.c - duration strings as the official CLI reads them: ^\d+(ms|s|m|h)?$ (case-insensitive),
 * a bare number meaning seconds, greater than zero, within a per-flag maximum. */
#include "cli.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

void format_duration(int64_t ms, char *buf, size_t size)
{
    if (ms % 3600000 == 0)
        snprintf(buf, size, "%lldh", (long long)(ms / 3600000));
    else if (ms % 60000 == 0)
        snprintf(buf, size, "%lldm", (long long)(ms / 60000));
    else if (ms % 1000 == 0)
        snprintf(buf, size, "%llds", (long long)(ms / 1000));
    else
        snprintf(buf, size, "%lldms", (long long)ms);
}

int parse_duration_ms(const char *text, const char *label, int64_t max_ms, int64_t *out, char *err,
                      size_t err_size)
{
    const char *p = text, *end = text + strlen(text);
    while (p < end && isspace((unsigned char)*p))
        p++;
    while (end > p && isspace((unsigned char)end[-1]))
        end--;
    const char *d = p;
    /* 2^53 - 1, JavaScript's safe-integer limit, caps the digits the CLI can represent */
    const uint64_t safe = 9007199254740991ull;
    uint64_t amount = 0;
    int overflow = 0;
    while (d < end && *d >= '0' && *d <= '9') {
        if (amount > safe / 10)
            overflow = 1;
        else
            amount = amount * 10 + (uint64_t)(*d - '0');
        d++;
    }
    uint64_t unit = 1000;
    size_t rest = (size_t)(end - d);
    int ok = d > p;
    if (ok && rest > 0) {
        char u[3] = {0};
        if (rest > 2)
            ok = 0;
        else {
            for (size_t i = 0; i < rest; i++)
                u[i] = (char)tolower((unsigned char)d[i]);
            if (strcmp(u, "ms") == 0)
                unit = 1;
            else if (strcmp(u, "s") == 0)
                unit = 1000;
            else if (strcmp(u, "m") == 0)
                unit = 60000;
            else if (strcmp(u, "h") == 0)
                unit = 3600000;
            else
                ok = 0;
        }
    }
    if (!ok) {
        snprintf(err, err_size, "Invalid %s \"%s\". Use seconds or a duration such as 500ms, 30s, 5m, or 2h.", label,
                 text);
        return -1;
    }
    if (overflow || amount == 0 || amount > safe / unit) {
        snprintf(err, err_size, "%s must be greater than zero and within the supported range.", label);
        return -1;
    }
    uint64_t ms = amount * unit;
    if (max_ms > 0 && ms > (uint64_t)max_ms) {
        char lim[32];
        format_duration(max_ms, lim, sizeof lim);
        snprintf(err, err_size, "%s must not exceed %s.", label, lim);
        return -1;
    }
    *out = (int64_t)ms;
    return 0;
}
