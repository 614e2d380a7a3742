/* cmd_config.c - config path, config show, config clear, and quickstart (what runs without a
 * command). None of them sends a request or prints a key. */
#include "cli.h"

#include <string.h>

#define DOCS_URL "https://docs.modellix.ai/ways-to-use/cli"

static json_t *profile_names(const auth_sel *a)
{
    json_t *names = json_array();
    for (size_t i = 0; a->cfg_state == 0 && i < a->cfg.n; i++)
        json_array_append_new(names, json_string(a->cfg.names[i]));
    return names;
}

int cmd_config_path(cli *c, int argc, char **argv)
{
    int rc = parse_no_args(c, argc, argv);
    if (rc)
        return rc;
    char path[4096], err[1024];
    if (config_path(path, sizeof path, err, sizeof err) != 0)
        return cli_fail(c, EXIT_FAIL, "%s", err);
    if (cli_output_mode(c, "human") != OUT_JSON) {
        cli_out(c, path);
        return EXIT_OK;
    }
    auth_sel a;
    int arc = auth_resolve(c, &a, err, sizeof err);
    json_t *doc = json_object();
    json_object_set_new(doc, "configPath", json_string(path));
    if (a.cfg_state == 0)
        json_object_set_new(doc, "currentProfile", json_string(a.cfg.current));
    json_object_set_new(doc, "profile", json_string(a.profile[0] ? a.profile : "default"));
    json_object_set_new(doc, "profiles", profile_names(&a));
    json_object_set_new(doc, "profileSource", json_string(a.profile_source ? a.profile_source : "default"));
    if (arc != 0 || a.cfg_state < 0)
        json_object_set_new(doc, "warning", json_string(a.cfg_state < 0 ? a.cfg_error : err));
    cli_out_json(c, doc);
    json_decref(doc);
    auth_free(&a);
    return EXIT_OK;
}

int cmd_config_show(cli *c, int argc, char **argv)
{
    int rc = parse_no_args(c, argc, argv);
    if (rc)
        return rc;
    char path[4096], err[1024] = "";
    if (config_path(path, sizeof path, err, sizeof err) != 0)
        return cli_fail(c, EXIT_FAIL, "%s", err);
    auth_sel a;
    int arc = auth_resolve(c, &a, err, sizeof err);
    const char *warning = a.cfg_state < 0 ? a.cfg_error : arc != 0 ? err : NULL;
    int configured = arc == 0 && a.key != NULL;
    int ok = !warning || configured;
    const char *profile = a.profile[0] ? a.profile : "default";
    const char *source = a.profile_source ? a.profile_source : "default";
    enum out_mode mode = cli_output_mode(c, "human");
    if (mode == OUT_JSON) {
        json_t *doc = json_object();
        json_object_set_new(doc, "apiKeySource", json_string(configured ? a.key_source : "missing"));
        json_object_set_new(doc, "configPath", json_string(path));
        json_object_set_new(doc, "configured", json_boolean(configured));
        if (a.cfg_state == 0)
            json_object_set_new(doc, "currentProfile", json_string(a.cfg.current));
        json_object_set_new(doc, "ok", json_boolean(ok));
        json_object_set_new(doc, "profile", json_string(profile));
        json_object_set_new(doc, "profiles", profile_names(&a));
        json_object_set_new(doc, "profileSource", json_string(source));
        if (warning)
            json_object_set_new(doc, "warning", json_string(warning));
        cli_out_json(c, doc);
        json_decref(doc);
    } else if (mode == OUT_QUIET) {
        cli_out(c, profile);
    } else {
        cli_outf(c, "Configuration path: %s", path);
        cli_outf(c, "Selected profile: %s (%s)", profile, source);
        char names[2048] = "";
        for (size_t i = 0; a.cfg_state == 0 && i < a.cfg.n; i++) {
            if (i)
                strncat(names, ", ", sizeof names - strlen(names) - 1);
            strncat(names, a.cfg.names[i], sizeof names - strlen(names) - 1);
        }
        cli_outf(c, "Saved profiles: %s", *names ? names : "none");
        cli_outf(c, "Active API key source: %s", configured ? a.key_source : "missing");
        if (warning)
            cli_outf(c, "Configuration warning: %s", warning);
    }
    auth_free(&a);
    return ok ? EXIT_OK : EXIT_FAIL;
}

int cmd_config_clear(cli *c, int argc, char **argv)
{
    return profile_removal(c, argc, argv, 1);
}

int cmd_quickstart(cli *c, int argc, char **argv)
{
    int rc = parse_no_args(c, argc, argv);
    if (rc)
        return rc;
    static const char *const ready[] = {"modellix doctor", "modellix model list",
                                        "modellix model run <provider/model> --body '{\"prompt\":\"Hello\"}'",
                                        "modellix task get <task_id>"};
    static const char *const missing[] = {"Get an API key at https://www.modellix.ai/console/api-key", "modellix init",
                                          "modellix doctor"};
    auth_sel a;
    char err[1024] = "";
    int arc = auth_resolve(c, &a, err, sizeof err);
    int configured = arc == 0 && a.key != NULL;
    const char *const *steps = configured ? ready : missing;
    size_t n = configured ? 4 : 3;
    const char *profile = a.profile[0] ? a.profile : "default";
    const char *source = a.profile_source ? a.profile_source : "default";
    enum out_mode mode = cli_output_mode(c, "human");
    if (mode == OUT_JSON) {
        json_t *next = json_array();
        for (size_t i = 0; i < n; i++)
            json_array_append_new(next, json_string(steps[i]));
        json_t *doc = json_object();
        json_object_set_new(doc, "apiKeySource", json_string(configured ? a.key_source : "missing"));
        if (arc != 0)
            json_object_set_new(doc, "configurationWarning", json_string(err));
        json_object_set_new(doc, "configured", json_boolean(configured));
        json_object_set_new(doc, "docs", json_string(DOCS_URL));
        json_object_set_new(doc, "nextSteps", next);
        json_object_set_new(doc, "ok", json_true());
        json_object_set_new(doc, "profile", json_string(profile));
        json_object_set_new(doc, "profileSource", json_string(source));
        cli_out_json(c, doc);
        json_decref(doc);
    } else if (mode == OUT_QUIET) {
        cli_out(c, configured ? "configured" : "missing");
    } else {
        cli_out(c, "Welcome to Modellix CLI.");
        if (configured)
            cli_outf(c, "Authentication is configured for profile %s (%s).", profile, a.key_source);
        else
            cli_out(c, "No API key is configured yet.");
        if (arc != 0)
            cli_outf(c, "Configuration warning: %s", err);
        cli_out(c, "");
        cli_out(c, "Quickstart:");
        for (size_t i = 0; i < n; i++)
            cli_outf(c, "  %s", steps[i]);
        cli_out(c, "");
        cli_out(c, "Help: modellix --help");
        cli_outf(c, "Docs: %s", DOCS_URL);
    }
    auth_free(&a);
    return EXIT_OK;
}
