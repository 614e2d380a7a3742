/* main.c - the modellix command-line tool: global flags (accepted anywhere before "--"), command
 * dispatch, help, version and unknown commands (exit 127 with a suggestion that is never run).
 *
 * Commands, flags, JSON shapes and exit codes follow the official Node CLI 0.0.7 (modellix-cli). */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

typedef int (*cmd_fn)(cli *c, int argc, char **argv);

typedef struct command {
    const char *topic, *name; /* name NULL: a top-level command */
    cmd_fn fn;
    const char *usage;
} command;

static const command commands[] = {
    {"model", "run", cmd_model_run,
     "modellix model run <provider/model> (--body JSON | --body-file FILE|-) [--wait] [--timeout DUR] [--interval DUR]\n"
     "                   [--output human|json|quiet|task-id]\n"
     "  Submit a paid task (one POST, never re-sent). Prints the API's JSON answer, or the terminal task JSON\n"
     "  with --wait (exit 124 when --timeout, default 5m, passes first; resume with: modellix task wait <id>).\n"
     "  Alias: model invoke. --model-slug SLUG may replace the positional slug."},
    {"model", "invoke", cmd_model_run, NULL},
    {"model", "batch", cmd_model_batch,
     "modellix model batch <file|-> (--max-tasks N | --yes) [--concurrency 1-10] [--wait] [--timeout DUR]\n"
     "                     [--interval DUR] [--continue-on-unknown]\n"
     "  Submit one task per JSONL line {\"modelSlug\":\"provider/model\",\"body\":{...}}. Every line is validated\n"
     "  before the first submission. --concurrency (default 3) bounds the tasks running at once.\n"
     "  After an unknown outcome the rest are skipped unless --continue-on-unknown."},
    {"model", "list", cmd_model_list,
     "modellix model list [--type T] [--provider P] [--search S] [--limit N] [--output human|json|quiet|slugs]"},
    {"model", "describe", cmd_model_describe,
     "modellix model describe <provider/model>\n  One catalogue entry (exit 2 when not found)."},
    {"task", "get", cmd_task_get, "modellix task get <task-id>\n  Query a task once; prints the API's JSON answer."},
    {"task", "wait", cmd_task_wait,
     "modellix task wait (<task-id>... | --pending) [--timeout DUR] [--interval DUR]\n"
     "  Wait for 1 to 1000 tasks. Exit 1 if any failed, 124 on timeout (partial results are printed).\n"
     "  --pending: every unfinished task of the task journal (this base URL and profile)."},
    {"task", "download", cmd_task_download,
     "modellix task download <task-id> [--output-dir DIR] [--overwrite] [--timeout DUR]\n"
     "                       [--allow-insecure-http] [--allow-private-network] [--max-resources N]\n"
     "  Download the result files of a successful task (HTTPS, public addresses, atomic install)."},
    {"task", "history", cmd_task_history,
     "modellix task history [--limit N] [--profile NAME] [--clear --yes]\n"
     "  The local task journal, newest first: every paid submission with its task id and last known status\n"
     "  (outcome-unknown: sent, but no task id was recorded; a task may exist). --clear empties it."},
    {"doctor", NULL, cmd_doctor,
     "modellix doctor\n  Check the library, the API key, connectivity, the key's validity and the team balance."},
    {"auth", "login", cmd_auth_login,
     "modellix auth login [--profile NAME] [--check] [--force] [--yes]\n"
     "  Validate an API key and save it for the profile (which becomes the current one). The key comes from\n"
     "  MODELLIX_API_KEY, else piped standard input (printf %s \"$KEY\" | modellix auth login), else the\n"
     "  profile's saved key, else a prompt that does not echo. --check validates without writing; replacing\n"
     "  a saved key needs --yes or --force. The key is never printed."},
    {"auth", "status", cmd_auth_status,
     "modellix auth status [--profile NAME]\n  The selected profile, where the key comes from, its validity and the "
     "team balance\n  (exit 1 if not valid). Alias: auth whoami."},
    {"auth", "whoami", cmd_auth_status, NULL},
    {"auth", "logout", cmd_auth_logout,
     "modellix auth logout [--profile NAME] [--yes]\n  Remove one saved profile (--yes when not on a terminal)."},
    {"config", "path", cmd_config_path, "modellix config path\n  The configuration file's path."},
    {"config", "show", cmd_config_show,
     "modellix config show [--profile NAME]\n  The saved profiles and the active key source (never the key)."},
    {"config", "clear", cmd_config_clear,
     "modellix config clear [--profile NAME] [--yes]\n  Remove the selected saved profile (or an unreadable config)."},
    {"init", NULL, cmd_init,
     "modellix init [--check] [--force] [--yes]\n  Find or ask for an API key, validate it and save it (--check: "
     "validate only)."},
    {"quickstart", NULL, cmd_quickstart, "modellix quickstart\n  The local setup guide (also what runs without a command)."},
};
#define N_COMMANDS (sizeof commands / sizeof commands[0])

static const char global_help[] =
    "Global flags (anywhere before --):\n"
    "  --json                 machine-readable JSON (failures as {\"error\":{...},\"ok\":false})\n"
    "  --output MODE          human, json or quiet (some commands add modes)\n"
    "  -q, --quiet            print only the primary value\n"
    "  --api-key KEY          API key (default: MODELLIX_API_KEY, then the saved profile)\n"
    "  --profile NAME         saved profile (default: MODELLIX_PROFILE, then the current profile)\n"
    "  --base-url URL         API origin (default: MODELLIX_BASE_URL, else https://api.modellix.ai)\n"
    "  --no-progress          no progress line on stderr\n"
    "  -v, --verbose, --debug library diagnostics on stderr (never keys or bodies)\n"
    "  --help, --version\n"
    "Durations: 500ms, 30s, 5m, 2h (a bare number is seconds).\n"
    "model run/batch --wait keep the learned poll statistics in $XDG_STATE_HOME/modellix/poll-stats.json\n"
    "(default ~/.local/state/modellix/); MODELLIX_NO_POLL_STATS=1 turns that off.\n"
    "Exit codes: 0 ok, 1 failure, 2 usage error (unknown flag, missing or extra argument, bad flag value) or\n"
    "safety guard, 124 wait timeout, 127 unknown command, 130/143 interrupted by SIGINT/SIGTERM (the accepted\n"
    "task ids and the command that resumes them are printed).\n";

static void print_help(cli *c, const char *topic, const char *name)
{
    (void)c;
    int shown = 0;
    for (size_t i = 0; i < N_COMMANDS; i++) {
        if (!commands[i].usage)
            continue;
        if (topic && strcmp(commands[i].topic, topic) != 0)
            continue;
        if (name && (!commands[i].name || strcmp(commands[i].name, name) != 0))
            continue;
        printf("%s\n\n", commands[i].usage);
        shown = 1;
    }
    if (!shown || !topic)
        printf("Usage: modellix <command> [flags]\n\n");
    fputs(global_help, stdout);
}

/* ---- suggestions (edit distance, as the official CLI's command-not-found hook) ---- */

static size_t edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 64 || lb > 64)
        return 1000;
    size_t prev[65], cur[65];
    for (size_t j = 0; j <= lb; j++)
        prev[j] = j;
    for (size_t i = 1; i <= la; i++) {
        cur[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t sub = prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
            size_t del = prev[j] + 1, ins = cur[j - 1] + 1;
            cur[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
        }
        memcpy(prev, cur, (lb + 1) * sizeof prev[0]);
    }
    return prev[lb];
}

static int unknown_command(cli *c, const char *id)
{
    const char *best = NULL;
    size_t best_d = (size_t)-1;
    char ids[N_COMMANDS][40];
    for (size_t i = 0; i < N_COMMANDS; i++) {
        snprintf(ids[i], sizeof ids[i], "%s%s%s", commands[i].topic, commands[i].name ? " " : "",
                 commands[i].name ? commands[i].name : "");
        size_t d = edit_distance(id, ids[i]);
        if (d < best_d) {
            best_d = d;
            best = ids[i];
        }
    }
    size_t max_useful = strlen(id) * 2 / 5;
    if (max_useful < 2)
        max_useful = 2;
    cli_warn(c, "%.200s is not a modellix command.", id);
    if (best && best_d <= max_useful)
        cli_warn(c, "Did you mean %s?", best);
    return cli_fail(c, EXIT_UNKNOWN_COMMAND, "Run modellix help for a list of available commands.");
}

/* ---- global flags ---- */

/* Command flags that take a value: their values are never read as global flags. */
static int command_value_flag(const char *a)
{
    static const char *const names[] = {"--body",      "--body-file",       "--model-slug", "--timeout",
                                        "--interval",  "--max-body-bytes",  "--max-tasks",  "--concurrency",
                                        "--max-input-bytes", "--type",      "--provider",   "--search",
                                        "--limit",     "--output-dir",      "--max-resources"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(a, names[i]) == 0)
            return 1;
    return 0;
}

/* Take a global flag's value: "--name=value" or "--name value". Returns the index consumed, -1 if missing. */
static int take_value(int argc, char **argv, int i, const char *name, const char **out)
{
    size_t len = strlen(name);
    if (argv[i][len] == '=') {
        *out = argv[i] + len + 1;
        return i;
    }
    if (i + 1 >= argc)
        return -1;
    *out = argv[i + 1];
    return i + 1;
}

static int is_flag(const char *a, const char *name)
{
    size_t len = strlen(name);
    return strncmp(a, name, len) == 0 && (a[len] == '\0' || a[len] == '=');
}

static int run_cli(int argc, char **argv)
{
    cli c;
    memset(&c, 0, sizeof c);
    int version = 0;
    char **rest = calloc((size_t)argc + 1, sizeof *rest);
    if (!rest)
        return EXIT_FAIL;
    int n = 0, after_dd = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (after_dd) {
            rest[n++] = argv[i];
            continue;
        }
        if (strcmp(a, "--") == 0) {
            after_dd = 1;
            rest[n++] = argv[i];
            continue;
        }
        int j = i;
        if (strcmp(a, "--json") == 0)
            c.json = 1;
        else if (strcmp(a, "-q") == 0 || strcmp(a, "--quiet") == 0)
            c.quiet = 1;
        else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0)
            c.help = 1;
        else if (strcmp(a, "--version") == 0)
            version = 1;
        else if (strcmp(a, "--no-progress") == 0)
            c.no_progress = 1;
        else if (strcmp(a, "--no-color") == 0)
            ;
        else if (strcmp(a, "-v") == 0 || strcmp(a, "--verbose") == 0)
            c.verbose = c.verbose > 1 ? c.verbose : 1;
        else if (strcmp(a, "--debug") == 0)
            c.verbose = 2;
        else if (is_flag(a, "--output"))
            j = take_value(argc, argv, i, "--output", &c.output);
        else if (is_flag(a, "--base-url"))
            j = take_value(argc, argv, i, "--base-url", &c.base_url);
        else if (is_flag(a, "--api-key"))
            j = take_value(argc, argv, i, "--api-key", &c.api_key);
        else if (is_flag(a, "--profile"))
            j = take_value(argc, argv, i, "--profile", &c.profile);
        else {
            rest[n++] = argv[i];
            if (command_value_flag(a) && i + 1 < argc)
                rest[n++] = argv[++i];
            continue;
        }
        if (j < 0) {
            free(rest);
            return cli_fail(&c, EXIT_USAGE, "Flag %s expects a value", a);
        }
        i = j;
    }
    if (c.output && strcmp(c.output, "human") != 0 && strcmp(c.output, "json") != 0 &&
        strcmp(c.output, "quiet") != 0 && strcmp(c.output, "task-id") != 0 && strcmp(c.output, "slugs") != 0) {
        free(rest);
        return cli_fail(&c, EXIT_USAGE, "Expected --output=%.64s to be one of: human, json, quiet", c.output);
    }

    if (version) {
        printf("modellix/%s libmodellix/%s\n", modellix_version_string(), modellix_version_string());
        free(rest);
        return EXIT_OK;
    }
    /* split "model:run" into two words */
    char *words[2] = {NULL, NULL};
    int first_arg = 0;
    char topic_buf[64];
    if (n > 0 && rest[0][0] != '-') {
        const char *colon = strchr(rest[0], ':');
        if (colon && (size_t)(colon - rest[0]) < sizeof topic_buf) {
            memcpy(topic_buf, rest[0], (size_t)(colon - rest[0]));
            topic_buf[colon - rest[0]] = '\0';
            words[0] = topic_buf;
            words[1] = (char *)(colon + 1);
            first_arg = 1;
        } else {
            words[0] = rest[0];
            first_arg = 1;
            if (n > 1 && rest[1][0] != '-' &&
                (strcmp(words[0], "model") == 0 || strcmp(words[0], "task") == 0 || strcmp(words[0], "auth") == 0 ||
                 strcmp(words[0], "config") == 0 || strcmp(words[0], "help") == 0)) {
                words[1] = rest[1];
                first_arg = 2;
            }
        }
    }
    if (!words[0]) {
        int rc;
        if (n > 0)
            rc = cli_fail(&c, EXIT_USAGE, "Nonexistent flag: %.200s", rest[0]);
        else if (c.help) {
            print_help(&c, NULL, NULL);
            rc = EXIT_OK;
        } else {
            rc = cmd_quickstart(&c, 0, rest); /* no command: the official CLI's quickstart */
        }
        free(rest);
        return rc;
    }
    if (strcmp(words[0], "help") == 0) {
        const char *t = words[1];
        const char *sub = first_arg < n ? rest[first_arg] : NULL;
        print_help(&c, t, t ? sub : NULL);
        free(rest);
        return EXIT_OK;
    }
    int rc = -1;
    int topic_known = 0;
    for (size_t i = 0; i < N_COMMANDS && rc < 0; i++) {
        if (strcmp(commands[i].topic, words[0]) != 0)
            continue;
        topic_known = 1;
        if (commands[i].name == NULL || (words[1] && strcmp(commands[i].name, words[1]) == 0)) {
            if (commands[i].name == NULL && words[1]) {
                first_arg = 1; /* a top-level command: the next word is an argument */
            }
            if (c.help) {
                print_help(&c, commands[i].topic, commands[i].name);
                rc = EXIT_OK;
            } else {
                rc = commands[i].fn(&c, n - first_arg, rest + first_arg);
            }
        }
    }
    if (rc < 0) {
        if (topic_known && !words[1]) {
            print_help(&c, words[0], NULL);
            rc = EXIT_OK;
        } else {
            char id[160];
            if (!topic_known && !words[1] && n > 1 && rest[1][0] != '-')
                words[1] = rest[1]; /* "modle run": suggest "model run" */
            snprintf(id, sizeof id, "%.70s%s%.70s", words[0], words[1] ? " " : "", words[1] ? words[1] : "");
            rc = unknown_command(&c, id);
        }
    }
    free(rest);
    return rc;
}

int main(int argc, char **argv)
{
    int init = modellix_global_init();
    int rc = run_cli(argc, argv);
    fflush(stdout);
    if (init > 0)
        modellix_global_cleanup();
    return rc;
}
