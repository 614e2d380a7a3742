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
    snprintf(detail, sizeof detail, "libmodellix %s", modellix_version_string());
    add_check(checks, "library", 1, 1, detail);

    /* the key and the profile, as every command selects them */
    auth_sel a;
    const char *source = "missing";
    char profile[80] = "default";
    const char *profile_source = "default";
    int key_ok = auth_resolve(c, &a, detail, sizeof detail) == 0;
    snprintf(profile, sizeof profile, "%s", a.profile[0] ? a.profile : "default");
    profile_source = a.profile_source ? a.profile_source : "default";
    if (!key_ok) {
        add_check(checks, "apiKey", 0, 1, detail);
    } else if (!a.key) {
        add_check(checks, "apiKey", 0, 1,
                  "Missing. Set MODELLIX_API_KEY, pass --api-key, or run modellix auth login.");
    } else {
        source = a.key_source;
        snprintf(detail, sizeof detail, "Present from %s (profile %s); format is verified by the API.", source,
                 profile);
        add_check(checks, "apiKey", 1, 1, detail);
    }
    auth_free(&a);

    /* the base URL: checked on its own, so a bad one is reported as such */
    const char *base = session_base_url(c);
    modellix_options *probe = NULL;
    int base_ok = 1;
    if (base && modellix_options_new(&probe) == MODELLIX_OK) {
        base_ok = modellix_options_set_base_url(probe, base) == MODELLIX_OK;
        modellix_options_free(probe);
    }
    if (!base_ok) {
        snprintf(detail, sizeof detail, "Invalid (from %s): %s", c->base_url ? "--base-url" : "MODELLIX_BASE_URL",
                 base_url_problem(base));
        add_check(checks, "baseUrl", 0, 1, detail);
    } else {
        snprintf(detail, sizeof detail, "%s%s", base ? base : "https://api.modellix.ai",
                 base ? (c->base_url ? " (from --base-url)" : " (from MODELLIX_BASE_URL)") : " (default)");
        add_check(checks, "baseUrl", 1, 1, detail);
    }

    session s = {0};
    if (strcmp(source, "missing") == 0 || !base_ok) {
        add_check(checks, "connectivity", 0, 1,
                  !base_ok ? "Skipped because the base URL is invalid." : "Skipped because no API key is available.");
    } else if (session_try_open(c, &s, NULL, detail, sizeof detail) != 0) {
        add_check(checks, "connectivity", 0, 1, detail);
    } else {
        cli_progress(c, "Contacting %s...", modellix_client_base_url(s.client));
        int32_t valid = 0;
        int vrc = modellix_client_validate_key(s.client, &valid);
        if (vrc != MODELLIX_OK && vrc != MODELLIX_EAUTH) {
            snprintf(detail, sizeof detail, "%s", *modellix_client_errmsg(s.client) ? modellix_client_errmsg(s.client)
                                                                                      : modellix_strerror(vrc));
            add_check(checks, "connectivity", 0, 1, detail);
        } else {
            snprintf(detail, sizeof detail, "Reached the API-key validation endpoint at %s.",
                     modellix_client_base_url(s.client));
            add_check(checks, "connectivity", 1, 1, detail);
            if (vrc == MODELLIX_EAUTH)
                snprintf(detail, sizeof detail, "Key rejected: the API answered HTTP %d. Check the key (modellix auth "
                                                "login) or the profile in use.",
                         (int)modellix_client_http_status(s.client));
            else if (!valid)
                snprintf(detail, sizeof detail, "Key rejected: the API reports it invalid or inactive.");
            else
                snprintf(detail, sizeof detail, "The API key is valid.");
            add_check(checks, "validation", vrc == MODELLIX_OK && valid, 1, detail);
            if (vrc == MODELLIX_OK && valid) {
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
                                profile, "profileSource", profile_source);
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
