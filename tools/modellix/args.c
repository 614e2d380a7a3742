/* args.c - the flags of one command: --name VALUE, --name=VALUE, -x VALUE, booleans with --no-name,
 * positional arguments, and "--" ending the flags. */
#include "cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int parse_int_flag(const char *text, long long lo, long long hi, long long *out)
{
    char *end = NULL;
    errno = 0;
    long long v = strtoll(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

static int find_long(const opt_spec *specs, size_t n, const char *name, size_t len)
{
    for (size_t i = 0; i < n; i++)
        if (strlen(specs[i].name) == len && strncmp(specs[i].name, name, len) == 0)
            return (int)i;
    return -1;
}

int parse_command_args(cli *c, int argc, char **argv, const opt_spec *specs, size_t n_specs, opt_result *out)
{
    memset(out, 0, sizeof *out);
    out->pos = calloc((size_t)argc + 1, sizeof *out->pos);
    if (!out->pos)
        return cli_fail(c, EXIT_FAIL, "Out of memory.");
    int flags_done = 0;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (flags_done || a[0] != '-' || a[1] == '\0') {
            out->pos[out->n_pos++] = a;
            continue;
        }
        if (strcmp(a, "--") == 0) {
            flags_done = 1;
            continue;
        }
        int idx = -1, negated = 0;
        const char *inline_value = NULL;
        if (a[1] == '-') {
            const char *name = a + 2, *eq = strchr(name, '=');
            size_t len = eq ? (size_t)(eq - name) : strlen(name);
            idx = find_long(specs, n_specs, name, len);
            if (idx < 0 && len > 3 && strncmp(name, "no-", 3) == 0) {
                idx = find_long(specs, n_specs, name + 3, len - 3);
                if (idx >= 0 && specs[idx].takes_arg)
                    idx = -1;
                negated = idx >= 0;
            }
            if (eq)
                inline_value = eq + 1;
        } else if (a[2] == '\0') {
            for (size_t k = 0; k < n_specs; k++)
                if (specs[k].short_name && specs[k].short_name == a[1])
                    idx = (int)k;
        }
        if (idx < 0) {
            opt_result_free(out);
            return cli_fail(c, EXIT_USAGE, "Nonexistent flag: %.200s", a);
        }
        if (specs[idx].takes_arg) {
            const char *v = inline_value;
            if (!v) {
                if (i + 1 >= argc) {
                    opt_result_free(out);
                    return cli_fail(c, EXIT_USAGE, "Flag --%s expects a value", specs[idx].name);
                }
                v = argv[++i];
            }
            out->value[idx] = v;
        } else {
            if (inline_value) {
                opt_result_free(out);
                return cli_fail(c, EXIT_USAGE, "Flag --%s does not take a value", specs[idx].name);
            }
            out->value[idx] = negated ? NULL : "1";
        }
        out->given[idx] = 1;
    }
    return 0;
}

int parse_flags_only(cli *c, int argc, char **argv, const opt_spec *specs, size_t n_specs, opt_result *out)
{
    static const char *const outputs[] = {"human", "json", "quiet", NULL};
    int rc = parse_command_args(c, argc, argv, specs, n_specs, out);
    if (rc)
        return rc;
    if (out->n_pos > 0)
        rc = cli_fail(c, EXIT_USAGE, "Unexpected argument: %.200s", out->pos[0]);
    else
        rc = cli_check_output(c, "human", outputs);
    if (rc)
        opt_result_free(out);
    return rc;
}

int parse_no_args(cli *c, int argc, char **argv)
{
    opt_result r;
    int rc = parse_flags_only(c, argc, argv, NULL, 0, &r);
    if (rc)
        return rc;
    opt_result_free(&r);
    return 0;
}

void opt_result_free(opt_result *r)
{
    free(r->pos);
    r->pos = NULL;
    r->n_pos = 0;
}
