/* cmd_auth.c - auth login, init, auth status (alias auth whoami), auth logout.
 *
 * The key comes from --api-key, MODELLIX_API_KEY, standard input (when it is not a terminal) or a
 * prompt without echo; it is validated with GET /api/v1/apikey/validate before anything is written,
 * and saved with a compare-and-swap on the profile (config.c). The key is never printed, not even
 * masked (as the official CLI). */
#define _DEFAULT_SOURCE /* explicit_bzero */
#include "cli.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define DOCS_URL "https://docs.modellix.ai/ways-to-use/cli"
#define API_KEY_URL "https://www.modellix.ai/console/api-key"

static void wipe_free(char *s)
{
    if (s) {
        explicit_bzero(s, strlen(s));
        free(s);
    }
}

/* Ask the service about a key. 0: answered (*valid set; a 401/403 counts as not valid); else the exit
 * code, with the message in err. */
static int check_key(cli *c, const char *key, int *valid, char *err, size_t err_size)
{
    session s;
    session_opts so = {0};
    so.api_key = key;
    *valid = 0;
    if (session_try_open(c, &s, &so, err, err_size) != 0)
        return EXIT_FAIL;
    cli_progress(c, "Validating the API key...");
    int32_t v = 0;
    int rc = modellix_client_validate_key(s.client, &v);
    cli_progress_clear(c);
    if (rc == MODELLIX_EAUTH) {
        rc = MODELLIX_OK;
        v = 0;
    }
    if (rc != MODELLIX_OK) {
        const char *m = modellix_client_errmsg(s.client);
        snprintf(err, err_size, "Unable to validate the API key: %s", m && *m ? m : modellix_strerror(rc));
        session_close(&s);
        return EXIT_FAIL;
    }
    *valid = v != 0;
    session_close(&s);
    return 0;
}

/* stdin is a pipe or a file: a key may have been given there */
static int stdin_has_input(void)
{
    struct stat st;
    return !isatty(STDIN_FILENO) && fstat(STDIN_FILENO, &st) == 0 && (S_ISFIFO(st.st_mode) || S_ISREG(st.st_mode));
}

enum { MODE_LOGIN, MODE_INIT };

typedef struct setup_flags {
    int check, force, yes;
} setup_flags;

typedef struct setup_result {
    const char *key_source; /* flag, environment, stdin, config, prompt */
    char profile[80];
    char path[4096];
    int saved;
} setup_result;

/* login and init: select the profile and the key, confirm a replacement, validate, save (CAS). */
static int setup_key(cli *c, int mode, const setup_flags *f, setup_result *out, char *err, size_t err_size)
{
    auth_sel a;
    char *key = NULL;
    int rc = EXIT_FAIL;
    memset(out, 0, sizeof *out);
    if (config_path(out->path, sizeof out->path, err, err_size) != 0)
        return EXIT_FAIL;
    if (auth_resolve(c, &a, err, err_size) != 0 && !(a.cfg_state < 0 && profile_name_valid(a.profile, err, err_size)))
        goto out;
    snprintf(out->profile, sizeof out->profile, "%s", a.profile);
    int interactive = auth_interactive(c);
    const char *existing = a.cfg_state == 0 ? config_key(&a.cfg, a.profile) : NULL;
    int should_save = !f->check;

    if (c->api_key && *c->api_key) {
        key = strdup(c->api_key);
        out->key_source = "flag";
    } else if (a.key && strcmp(a.key_source, "environment") == 0) {
        key = strdup(a.key);
        out->key_source = "environment";
    } else if (stdin_has_input() && (key = auth_read_stdin_key()) != NULL) {
        out->key_source = "stdin";
    } else if (existing && !f->force) {
        key = strdup(existing);
        out->key_source = "config";
        if (mode == MODE_INIT)
            should_save = 0; /* init keeps a saved key as it is */
    } else if (interactive) {
        char prompt[200];
        if (mode == MODE_INIT)
            snprintf(prompt, sizeof prompt, "Enter your Modellix API key (%s): ", API_KEY_URL);
        else
            snprintf(prompt, sizeof prompt, "Enter the Modellix API key for profile %s: ", a.profile);
        key = auth_prompt_secret(prompt);
        out->key_source = "prompt";
        if (!key) {
            snprintf(err, err_size, "API key must not be empty (1 to 16384 printable ASCII characters).");
            goto out;
        }
    } else {
        if (mode == MODE_INIT && existing && f->force)
            snprintf(err, err_size, "Pass --api-key with --force in a non-interactive session.");
        else
            snprintf(err, err_size,
                     "No API key is available for profile %s. Pipe it to standard input, set MODELLIX_API_KEY, or run "
                     "this command in a terminal to be prompted.",
                     a.profile);
        goto out;
    }
    if (!key) {
        snprintf(err, err_size, "Out of memory.");
        goto out;
    }
    char *normal = api_key_normalize(key);
    if (!normal) {
        snprintf(err, err_size, "The API key from %s is not valid: it must be 1 to 16384 printable ASCII characters.",
                 out->key_source);
        goto out;
    }
    wipe_free(key);
    key = normal;

    if (should_save && a.cfg_state < 0 && !f->force) {
        snprintf(err, err_size, "%s Pass --force to replace it.", a.cfg_error);
        goto out;
    }
    if (should_save && existing && strcmp(existing, key) != 0 && !f->force && !f->yes) {
        char q[200];
        snprintf(q, sizeof q, "Replace the saved API key for profile %s?", a.profile);
        if (!interactive) {
            snprintf(err, err_size, "Profile %s already exists. Pass --force to replace it.", a.profile);
            goto out;
        }
        if (!auth_confirm(q)) {
            snprintf(err, err_size, "Authentication configuration was not changed.");
            goto out;
        }
    }
    int valid = 0;
    if ((rc = check_key(c, key, &valid, err, err_size)) != 0)
        goto out;
    rc = EXIT_FAIL;
    if (!valid) {
        snprintf(err, err_size, "The Modellix API key is invalid or inactive. No configuration was written.");
        goto out;
    }
    const char *current = a.cfg_state == 0 ? a.cfg.current : NULL;
    if (should_save && (!existing || strcmp(existing, key) != 0 || !current || strcmp(current, a.profile) != 0)) {
        config_change ch = {CONFIG_SET, a.profile, key, 1, existing, f->force};
        config_result res;
        if (config_update(&ch, &res, err, err_size) != 0)
            goto out;
        config_result_free(&res);
        out->saved = 1;
    }
    rc = 0;
out:
    wipe_free(key);
    auth_free(&a);
    return rc;
}

static int parse_setup(cli *c, int argc, char **argv, setup_flags *f)
{
    static const opt_spec specs[] = {{"check", 0, 0}, {"force", 0, 0}, {"yes", 'y', 0}};
    opt_result r;
    int rc = parse_flags_only(c, argc, argv, specs, 3, &r);
    if (rc)
        return rc;
    f->check = r.value[0] != NULL;
    f->force = r.value[1] != NULL;
    f->yes = r.value[2] != NULL;
    opt_result_free(&r);
    return 0;
}

/* The common start of login and init: parse the flags, then select, validate and save the key. */
static int run_setup(cli *c, int argc, char **argv, int mode, setup_result *res)
{
    setup_flags f;
    int rc = parse_setup(c, argc, argv, &f);
    if (rc)
        return rc;
    char err[1024];
    if (setup_key(c, mode, &f, res, err, sizeof err) != 0)
        return cli_fail(c, EXIT_FAIL, "%s", err);
    return EXIT_OK;
}

int cmd_auth_login(cli *c, int argc, char **argv)
{
    setup_result res;
    int rc = run_setup(c, argc, argv, MODE_LOGIN, &res);
    if (rc)
        return rc;
    enum out_mode mode = cli_output_mode(c, "human");
    if (mode == OUT_JSON) {
        json_t *doc = json_pack("{s:s,s:s,s:b,s:s,s:b,s:b}", "apiKeySource", res.key_source, "configPath", res.path,
                                "ok", 1, "profile", res.profile, "saved", res.saved, "valid", 1);
        cli_out_json(c, doc);
        json_decref(doc);
    } else if (mode == OUT_QUIET) {
        cli_out(c, res.profile);
    } else {
        cli_outf(c, "Authentication succeeded for profile %s.", res.profile);
        if (res.saved)
            cli_outf(c, "Profile saved to %s.", res.path);
        else
            cli_out(c, "Saved configuration was not changed.");
    }
    return EXIT_OK;
}

int cmd_init(cli *c, int argc, char **argv)
{
    static const char *const steps[] = {"modellix doctor", "modellix model list",
                                        "modellix model run <provider/model> --body '{\"prompt\":\"A cute cat\"}'",
                                        "modellix task get <task_id>"};
    setup_result res;
    int rc = run_setup(c, argc, argv, MODE_INIT, &res);
    if (rc)
        return rc;
    enum out_mode mode = cli_output_mode(c, "human");
    if (mode == OUT_JSON) {
        json_t *next = json_array();
        for (size_t i = 0; i < 4; i++)
            json_array_append_new(next, json_string(steps[i]));
        json_t *doc = json_pack("{s:s,s:s,s:s,s:o,s:b,s:s,s:b,s:b}", "apiKeySource", res.key_source, "configPath",
                                res.path, "docs", DOCS_URL, "nextSteps", next, "ok", 1, "profile", res.profile,
                                "saved", res.saved, "valid", 1);
        cli_out_json(c, doc);
        json_decref(doc);
    } else if (mode == OUT_QUIET) {
        cli_out(c, res.saved ? res.path : "valid");
    } else {
        cli_out(c, "Welcome to Modellix CLI setup.");
        cli_out(c, "API key validation succeeded.");
        if (res.saved)
            cli_outf(c, "Configuration saved to %s.", res.path);
        else
            cli_out(c, "Configuration was not changed.");
        cli_out(c, "Next steps:");
        for (size_t i = 0; i < 4; i++)
            cli_outf(c, "  %s", steps[i]);
        cli_outf(c, "Docs: %s", DOCS_URL);
    }
    return EXIT_OK;
}

/* ------------------------------------------------------------------------------------------------ */

int cmd_auth_status(cli *c, int argc, char **argv)
{
    int rc = parse_no_args(c, argc, argv);
    if (rc)
        return rc;

    char path[4096] = "", err[1024] = "", warning[1200] = "";
    if (config_path(path, sizeof path, err, sizeof err) != 0)
        snprintf(warning, sizeof warning, "%s", err);
    auth_sel a;
    int authenticated = 0, valid = 0, have_balance = 0, ok = 0;
    double balance = 0;
    if (auth_resolve(c, &a, err, sizeof err) != 0) {
        snprintf(warning, sizeof warning, "%s", err);
    } else if (a.key) {
        authenticated = 1;
        session s;
        session_opts so = {0};
        so.api_key = a.key;
        if (session_try_open(c, &s, &so, err, sizeof err) != 0) {
            snprintf(warning, sizeof warning, "%s", err);
        } else {
            int32_t v = 0;
            int vrc = modellix_client_validate_key(s.client, &v);
            if (vrc == MODELLIX_OK || vrc == MODELLIX_EAUTH) {
                valid = vrc == MODELLIX_OK && v;
                ok = valid;
                if (valid) {
                    int brc = modellix_client_balance(s.client, &balance);
                    have_balance = brc == MODELLIX_OK;
                    if (!have_balance)
                        snprintf(warning, sizeof warning, "Unable to read team balance. %s",
                                 *modellix_client_errmsg(s.client) ? modellix_client_errmsg(s.client)
                                                                   : modellix_strerror(brc));
                }
            } else {
                snprintf(warning, sizeof warning, "%s",
                         *modellix_client_errmsg(s.client) ? modellix_client_errmsg(s.client) : modellix_strerror(vrc));
            }
            session_close(&s);
        }
    }
    const char *key_source = a.key_source ? a.key_source : "missing";
    const char *profile_source = a.profile_source ? a.profile_source : "default";
    enum out_mode mode = cli_output_mode(c, "human");
    if (mode == OUT_JSON) {
        json_t *doc = json_object();
        json_object_set_new(doc, "apiKeySource", json_string(key_source));
        json_object_set_new(doc, "authenticated", json_boolean(authenticated));
        if (have_balance)
            json_object_set_new(doc, "balance", json_real(balance));
        json_object_set_new(doc, "configPath", json_string(path));
        json_object_set_new(doc, "ok", json_boolean(ok));
        json_object_set_new(doc, "profile", json_string(a.profile[0] ? a.profile : "default"));
        json_object_set_new(doc, "profileSource", json_string(profile_source));
        json_object_set_new(doc, "valid", json_boolean(valid));
        if (*warning)
            json_object_set_new(doc, "warning", json_string(warning));
        cli_out_json(c, doc);
        json_decref(doc);
    } else if (mode == OUT_QUIET) {
        if (ok)
            cli_out(c, a.profile);
    } else {
        cli_outf(c, "Profile: %s (%s)", a.profile[0] ? a.profile : "default", profile_source);
        cli_outf(c, "API key source: %s", key_source);
        cli_outf(c, "Validation: %s", valid ? "valid" : "not authenticated");
        if (have_balance)
            cli_outf(c, "Team balance: $%.4f USD", balance);
        if (*warning)
            cli_outf(c, "Warning: %s", warning);
    }
    auth_free(&a);
    return ok ? EXIT_OK : EXIT_FAIL;
}

/* ------------------------------------------------------------------------------------------------ */

/* auth logout and config clear: remove the selected profile (clear also recovers an unreadable file). */
int profile_removal(cli *c, int argc, char **argv, int is_clear)
{
    static const opt_spec specs[] = {{"yes", 'y', 0}};
    static const char *const outputs[] = {"human", "json", "quiet", NULL};
    opt_result r;
    int rc = parse_command_args(c, argc, argv, specs, 1, &r);
    if (rc)
        return rc;
    int yes = r.value[0] != NULL;
    if (r.n_pos > 0)
        rc = cli_fail(c, EXIT_USAGE, "Unexpected argument: %.200s", r.pos[0]);
    else
        rc = cli_check_output(c, "human", outputs);
    opt_result_free(&r);
    if (rc)
        return rc;
    char path[4096], err[1024];
    if (config_path(path, sizeof path, err, sizeof err) != 0)
        return cli_fail(c, EXIT_FAIL, "%s", err);
    auth_sel a;
    int unreadable = 0;
    if (auth_resolve(c, &a, err, sizeof err) != 0 || a.cfg_state < 0) {
        if (!profile_name_valid(a.profile, err, sizeof err) || !is_clear || (c->profile && *c->profile)) {
            if (a.cfg_state < 0)
                snprintf(err, sizeof err, "%s", a.cfg_error);
            auth_free(&a);
            return cli_fail(c, EXIT_FAIL, "%s", err);
        }
        unreadable = 1; /* config clear removes a config it cannot read */
        snprintf(a.profile, sizeof a.profile, "default");
    }
    char profile[80];
    snprintf(profile, sizeof profile, "%s", a.profile);
    auth_free(&a);
    if (!yes) {
        char q[200];
        snprintf(q, sizeof q, "Remove the saved Modellix profile %s?", profile);
        if (!auth_interactive(c))
            return cli_fail(c, EXIT_FAIL,
                            is_clear ? "Pass --yes to remove the saved configuration in a non-interactive session."
                                     : "Pass --yes to log out in a non-interactive session.");
        if (!auth_confirm(q))
            return cli_fail(c, EXIT_FAIL,
                            is_clear ? "Configuration was not changed." : "Authentication configuration was not changed.");
    }
    config_change ch = {unreadable ? CONFIG_REMOVE_FILE : CONFIG_REMOVE_PROFILE, profile, NULL, 0, NULL, 0};
    config_result res;
    if (config_update(&ch, &res, err, sizeof err) != 0)
        return cli_fail(c, EXIT_FAIL, "%s", err);
    auth_sel after;
    const char *active = "missing";
    if (auth_resolve(c, &after, err, sizeof err) == 0 && after.key)
        active = after.key_source;
    enum out_mode mode = cli_output_mode(c, "human");
    if (mode == OUT_JSON) {
        json_t *names = json_array();
        for (size_t i = 0; i < res.n_profiles; i++)
            json_array_append_new(names, json_string(res.profiles[i]));
        json_t *doc = json_object();
        json_object_set_new(doc, "activeApiKeySource", json_string(active));
        json_object_set_new(doc, "configPath", json_string(path));
        if (res.current)
            json_object_set_new(doc, "currentProfile", json_string(res.current));
        json_object_set_new(doc, "ok", json_true());
        json_object_set_new(doc, "profile", json_string(profile));
        json_object_set_new(doc, "profiles", names);
        json_object_set_new(doc, "removed", json_boolean(res.changed));
        cli_out_json(c, doc);
        json_decref(doc);
    } else if (mode == OUT_QUIET) {
        if (res.changed)
            cli_out(c, profile);
    } else {
        if (!res.changed)
            cli_outf(c, "No saved profile named %s exists.", profile);
        else if (is_clear)
            cli_outf(c, "Removed profile %s from %s.", profile, path);
        else
            cli_outf(c, "Logged out of saved profile %s.", profile);
        if (strcmp(active, "environment") == 0)
            cli_out(c, "MODELLIX_API_KEY remains active in the current environment.");
    }
    auth_free(&after);
    config_result_free(&res);
    return EXIT_OK;
}

int cmd_auth_logout(cli *c, int argc, char **argv)
{
    return profile_removal(c, argc, argv, 0);
}
