/* cmd_doctor.c - doctor: the library, the API key, connectivity, the key's validity and the balance.
 * Required checks decide the exit code; the balance is only a warning. The key is never printed. */
#include "cli.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

static void add_check(json_t *checks, const char *name, int ok, int required, const char *detail)
{
    json_array_append_new(checks, json_pack("{s:s,s:s,s:b,s:b}", "detail", detail, "name", name, "ok", ok,
                                            "required", required));
}

static int present(const char *s)
{
    if (!s)
        return 0;
    for (; *s; s++)
        if (!isspace((unsigned char)*s))
            return 1;
    return 0;
}

int cmd_doctor(cli *c, int argc, char **argv)
{
    opt_result r;
    int rc = parse_command_args(c, argc, argv, NULL, 0, &r);
    if (rc)
        return rc;
    static const char *const outputs[] = {"human", "json", "quiet", NULL};
    if (r.n_pos > 0 || (rc = cli_check_output(c, "human", outputs)) != 0) {
        if (!rc)
            rc = cli_fail(c, EXIT_USAGE, "Unexpected argument: %.200s", r.pos[0]);
        opt_result_free(&r);
        return rc;
    }
    opt_result_free(&r);

    json_t *checks = json_array();
    char detail[1024];
    const char *source = present(c->api_key) ? "flag" : present(getenv("MODELLIX_API_KEY")) ? "environment" : "missing";
    snprintf(detail, sizeof detail, "libmodellix %s", modellix_version_string());
    add_check(checks, "library", 1, 1, detail);

    session s = {0};
    if (strcmp(source, "missing") == 0) {
        add_check(checks, "apiKey", 0, 1, "Missing. Set MODELLIX_API_KEY or pass --api-key.");
        add_check(checks, "connectivity", 0, 1, "Skipped because no API key is available.");
    } else if (session_try_open(c, &s, NULL, detail, sizeof detail) != 0) {
        add_check(checks, "apiKey", 0, 1, detail);
    } else {
        snprintf(detail, sizeof detail, "Present from %s; format is verified by the API.", source);
        add_check(checks, "apiKey", 1, 1, detail);
        cli_progress(c, "Contacting %s...", modellix_client_base_url(s.client));
        int32_t valid = 0;
        int vrc = modellix_client_validate_key(s.client, &valid);
        if (vrc != MODELLIX_OK) {
            snprintf(detail, sizeof detail, "%s", *modellix_client_errmsg(s.client) ? modellix_client_errmsg(s.client)
                                                                                      : modellix_strerror(vrc));
            add_check(checks, "connectivity", 0, 1, detail);
        } else {
            snprintf(detail, sizeof detail, "Reached the API-key validation endpoint at %s.",
                     modellix_client_base_url(s.client));
            add_check(checks, "connectivity", 1, 1, detail);
            add_check(checks, "validation", valid != 0, 1,
                      valid ? "The API key is valid." : "The API key is invalid or inactive.");
            if (valid) {
                double balance = 0;
                int brc = modellix_client_balance(s.client, &balance);
                if (brc == MODELLIX_OK)
                    snprintf(detail, sizeof detail, "$%.4f USD", balance);
                else
                    snprintf(detail, sizeof detail, "%s", *modellix_client_errmsg(s.client)
                                                              ? modellix_client_errmsg(s.client)
                                                              : modellix_strerror(brc));
                add_check(checks, "balance", brc == MODELLIX_OK, 0, detail);
            }
        }
        cli_progress_clear(c);
    }
    session_close(&s);

    int ok = 1;
    for (size_t i = 0; i < json_array_size(checks); i++) {
        json_t *ck = json_array_get(checks, i);
        if (json_is_true(json_object_get(ck, "required")) && !json_is_true(json_object_get(ck, "ok")))
            ok = 0;
    }
    enum out_mode mode = cli_output_mode(c, "human");
    if (mode == OUT_JSON) {
        json_t *doc = json_pack("{s:s,s:O,s:b,s:s,s:s}", "apiKeySource", source, "checks", checks, "ok", ok, "profile",
                                "default", "profileSource", "default");
        cli_out_json(c, doc);
        json_decref(doc);
    } else if (mode == OUT_QUIET) {
        cli_out(c, ok ? "ok" : "failed");
    } else {
        cli_out(c, "Modellix CLI doctor");
        for (size_t i = 0; i < json_array_size(checks); i++) {
            json_t *ck = json_array_get(checks, i);
            int cok = json_is_true(json_object_get(ck, "ok")), req = json_is_true(json_object_get(ck, "required"));
            cli_outf(c, "[%s] %s: %s", cok ? "PASS" : req ? "FAIL" : "WARN",
                     json_string_value(json_object_get(ck, "name")), json_string_value(json_object_get(ck, "detail")));
        }
        cli_out(c, ok ? "All required checks passed." : "One or more required checks failed.");
    }
    json_decref(checks);
    return ok ? EXIT_OK : EXIT_FAIL;
}
