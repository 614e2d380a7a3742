/* poll_stats.c - the library's poll statistics kept between runs of the tool.
 *
 * The library learns, per model, how long its tasks take (modellix_client_poll_stats_export()) and,
 * after 5 finished tasks of a model, polls that model's tasks on a schedule fitted to them: about one
 * request per task instead of one every 2 s. The commands that submit and then poll (model run --wait,
 * model batch --wait) give the client what earlier runs learned when they create it, and save what it
 * knows once they are done, in
 *
 *   <XDG_STATE_HOME or ~/.local/state>/modellix/poll-stats.json   (directory 0700, file 0600)
 *   {"version":1,"services":[{"baseUrl":"https://api.modellix.ai","stats":{<the library's export>}}, ...]}
 *
 * - Keyed by the client's base URL (the normalised origin): what a mock or a staging server taught
 *   never steers the polls of another service. Not by profile: durations belong to the service's
 *   models, not to an account. At most 8 services, the one written last first.
 * - Statistics only: model slugs and durations in milliseconds; no key, task id, body or time of day.
 * - Written only when the statistics changed (or the file was unusable), as a whole, atomically
 *   (a temporary file renamed over it). Concurrent runs never leave a torn file; the last one to
 *   finish wins (what another run learned meanwhile may be lost: the next runs learn it again).
 * - Never in the way: an unreadable, damaged or unwritable file costs at most one warning on
 *   stderr per run, and the command goes on with the default schedule; a damaged file is replaced.
 *   Nothing here blocks: no lock is taken.
 * - MODELLIX_NO_POLL_STATS set to anything but "" or "0": neither read nor written. */
#include "cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define STATS_FILE "poll-stats.json"
#define STATS_FILE_VERSION 1
#define STATS_FILE_MAX ((size_t)4 * 1024 * 1024) /* 8 services of at most 256 KiB each, pretty-printed */
#define STATS_SERVICES 8

static int disabled(void)
{
    const char *v = getenv("MODELLIX_NO_POLL_STATS");
    return v && *v && strcmp(v, "0") != 0;
}

static void warn_once(session *s, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

static void warn_once(session *s, const char *fmt, ...)
{
    if (s->stats_warned)
        return;
    s->stats_warned = 1;
    char buf[4600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    cli_warn(s->cli, "%s", buf);
}

/* The file's "services" array: 0 with *out set; 1 when there is no file; -1 when it cannot be read or
   is not what this tool writes (why: a reason, never the file's content). */
static int read_services(const char *path, json_t **out, char *why, size_t why_size)
{
    *out = NULL;
    char *text = NULL;
    size_t len = 0;
    int rc = privfile_read(path, STATS_FILE_MAX, &text, &len);
    if (rc == 1)
        return 1;
    if (rc != 0) {
        snprintf(why, why_size, "cannot be read (%s)",
                 errno == ELOOP  ? "a symbolic link or not a regular file"
                 : errno == EFBIG ? "too large"
                                  : strerror(errno));
        return -1;
    }
    json_error_t jerr;
    json_t *doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    free(text);
    const json_t *version = json_object_get(doc, "version");
    json_t *services = json_object_get(doc, "services");
    int ok = json_is_object(doc) && json_object_size(doc) == 2 && json_is_integer(version) &&
             json_integer_value(version) == STATS_FILE_VERSION && json_is_array(services) &&
             json_array_size(services) <= STATS_SERVICES;
    for (size_t i = 0; ok && i < json_array_size(services); i++) {
        const json_t *e = json_array_get(services, i), *base = json_object_get(e, "baseUrl");
        ok = json_is_object(e) && json_object_size(e) == 2 && json_is_string(base) &&
             json_is_object(json_object_get(e, "stats"));
        for (size_t k = 0; ok && k < i; k++)
            ok = strcmp(json_string_value(base), json_string_value(json_object_get(json_array_get(services, k),
                                                                                  "baseUrl"))) != 0;
    }
    if (!ok) {
        json_decref(doc);
        snprintf(why, why_size, "%s", doc ? "are not in this tool's format" : "are not valid JSON");
        return -1;
    }
    *out = json_incref(services);
    json_decref(doc);
    return 0;
}

static json_t *find_service(const json_t *services, const char *base)
{
    for (size_t i = 0; i < json_array_size(services); i++) {
        json_t *e = json_array_get(services, i);
        if (strcmp(json_string_value(json_object_get(e, "baseUrl")), base) == 0)
            return e;
    }
    return NULL;
}

void poll_stats_load(session *s)
{
    if (!s->client || disabled())
        return;
    char path[4096], err[256], why[256];
    if (state_file_path(STATS_FILE, path, sizeof path, err, sizeof err) != 0)
        return; /* nowhere to keep them: the default schedule, as in a first run */
    s->stats_on = 1;
    json_t *services = NULL;
    if (read_services(path, &services, why, sizeof why) < 0) {
        warn_once(s, "The poll statistics at %s %s: they are ignored and will be replaced.", path, why);
        s->stats_replace = 1;
    }
    const json_t *mine = find_service(services, modellix_client_base_url(s->client));
    if (mine) {
        char *text = json_dumps(json_object_get(mine, "stats"), JSON_COMPACT | JSON_PRESERVE_ORDER);
        int rc = text ? modellix_client_poll_stats_import(s->client, text) : MODELLIX_ENOMEM;
        if (rc != MODELLIX_OK) {
            warn_once(s, "The poll statistics at %s are not valid (%s): they are ignored and will be replaced.",
                      path, rc == MODELLIX_ENOMEM ? "out of memory" : modellix_client_errmsg(s->client));
            s->stats_replace = 1;
        }
        free(text);
    }
    json_decref(services);
    /* what the client starts from: saved again only if it changes */
    if (modellix_client_poll_stats_export(&s->stats_start, s->client) != MODELLIX_OK)
        s->stats_start = NULL;
}

void poll_stats_save(session *s)
{
    char *now = NULL;
    if (!s->stats_on || !s->client || modellix_client_poll_stats_export(&now, s->client) != MODELLIX_OK)
        goto out;
    if (s->stats_start && strcmp(now, s->stats_start) == 0 && !s->stats_replace)
        goto out; /* nothing learned: the file stays as it is */
    char path[4096], err[256], why[256];
    if (state_file_path(STATS_FILE, path, sizeof path, err, sizeof err) != 0)
        goto out;
    if (privfile_make_dir(path) != 0) {
        warn_once(s, "The poll statistics cannot be saved at %s: %s.", path, strerror(errno));
        goto out;
    }
    json_error_t jerr;
    json_t *stats = json_loads(now, JSON_REJECT_DUPLICATES, &jerr), *old = NULL, *list = json_array();
    const char *base = modellix_client_base_url(s->client);
    (void)read_services(path, &old, why, sizeof why); /* afresh: another run may have written since */
    if (stats && json_array_size(json_object_get(stats, "models")) > 0)
        json_array_append_new(list, json_pack("{s:s,s:O}", "baseUrl", base, "stats", stats));
    for (size_t i = 0; i < json_array_size(old) && json_array_size(list) < STATS_SERVICES; i++) {
        json_t *e = json_array_get(old, i);
        if (strcmp(json_string_value(json_object_get(e, "baseUrl")), base) != 0)
            json_array_append(list, e);
    }
    json_t *doc = json_pack("{s:i,s:O}", "version", STATS_FILE_VERSION, "services", list);
    char *text = doc && stats ? cli_json_dump(doc, 2) : NULL;
    json_decref(doc);
    json_decref(list);
    json_decref(old);
    json_decref(stats);
    if (!text) {
        warn_once(s, "The poll statistics cannot be saved at %s: out of memory.", path);
        goto out;
    }
    size_t len = strlen(text);
    text[len] = '\n'; /* the NUL becomes the final newline: len + 1 bytes are written */
    if (privfile_replace(path, text, len + 1, 0) != 0)
        warn_once(s, "The poll statistics cannot be saved at %s: %s.", path, strerror(errno));
    free(text);
out:
    modellix_free(now);
    modellix_free(s->stats_start);
    s->stats_start = NULL;
    s->stats_on = 0;
}
