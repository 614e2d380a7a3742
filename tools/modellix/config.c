/* config.c - the saved profiles, in the official CLI's file:
 * <XDG_CONFIG_HOME or ~/.config>/modellix/config.json = {"currentProfile":"default","profiles":{"default":{"apiKey":"..."}}}
 * (the legacy {"apiKey":"..."} is read as profile "default" and upgraded on the next write).
 *
 * - The directory is 0700 (an existing one loses group and other access) and the file 0600 (chmodded
 *   on every read); symlinks and non-regular files are refused; at most 1 MiB and 100 profiles
 *   (privfile.c reads and replaces it).
 * - Every change runs under the official CLI's cross-process lock (a "config.json.lock" directory,
 *   as proper-lockfile makes it: waited for up to 5 s, stale after 30 s), re-reads the file, checks
 *   the caller's expectation (compare-and-swap: the profile still holds the key the caller saw), and
 *   replaces the file atomically (temporary file, fsync, rename, fsync of the directory).
 * - Keys are wiped from memory when freed and never appear in a message. */
#define _DEFAULT_SOURCE /* explicit_bzero, mkdtemp */
#include "cli.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONFIG_BYTES (1024 * 1024)
#define MAX_PROFILES 100
#define MAX_KEY_LEN 16384
#define LOCK_WAIT_MS 5000
#define LOCK_STALE_S 30

static void wipe_free(char *s)
{
    if (s) {
        explicit_bzero(s, strlen(s));
        free(s);
    }
}

void config_free(config *cfg)
{
    for (size_t i = 0; i < cfg->n; i++) {
        free(cfg->names[i]);
        wipe_free(cfg->keys[i]);
    }
    free(cfg->current);
    memset(cfg, 0, sizeof *cfg);
}

const char *config_key(const config *cfg, const char *profile)
{
    for (size_t i = 0; i < cfg->n; i++)
        if (strcmp(cfg->names[i], profile) == 0)
            return cfg->keys[i];
    return NULL;
}

int profile_name_valid(const char *name, char *err, size_t err_size)
{
    size_t len = strlen(name);
    if (len == 0 || len > 64) {
        snprintf(err, err_size, "Invalid profile name. Maximum length is 64 characters.");
        return 0;
    }
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)name[i];
        if (!(isalnum(ch) || ch == '_' || ch == '.' || ch == '-')) {
            snprintf(err, err_size, "Invalid profile name. Use only letters, numbers, underscores, dots, and hyphens.");
            return 0;
        }
    }
    if (strcasecmp(name, "__proto__") == 0 || strcasecmp(name, "constructor") == 0 ||
        strcasecmp(name, "prototype") == 0) {
        snprintf(err, err_size, "Invalid profile name: %s is reserved.", name);
        return 0;
    }
    return 1;
}

/* The key rules of the official CLI: trimmed, 1 to 16384 characters of printable ASCII 0x21-0x7E. */
char *api_key_normalize(const char *raw)
{
    const char *b = raw, *e = raw + strlen(raw);
    while (b < e && isspace((unsigned char)*b))
        b++;
    while (e > b && isspace((unsigned char)e[-1]))
        e--;
    size_t len = (size_t)(e - b);
    if (len == 0 || len > MAX_KEY_LEN)
        return NULL;
    for (const char *p = b; p < e; p++)
        if ((unsigned char)*p < 0x21 || (unsigned char)*p > 0x7e)
            return NULL;
    char *k = malloc(len + 1);
    if (k) {
        memcpy(k, b, len);
        k[len] = '\0';
    }
    return k;
}

int config_path(char *out, size_t size, char *err, size_t err_size)
{
    const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
    while (xdg && isspace((unsigned char)*xdg))
        xdg++;
    if (xdg && *xdg) {
        if (xdg[0] != '/') {
            snprintf(err, err_size, "Modellix config home must be an absolute path.");
            return -1;
        }
        snprintf(out, size, "%s/modellix/config.json", xdg);
        return 0;
    }
    if (!home || home[0] != '/') {
        snprintf(err, err_size, "User home directory must be an absolute path.");
        return -1;
    }
    snprintf(out, size, "%s/.config/modellix/config.json", home);
    return 0;
}

static void invalid(char *err, size_t err_size, const char *path)
{
    snprintf(err, err_size, "Invalid Modellix config at %s: expected a non-empty apiKey or profiles map.", path);
}

/* Parse the file's text into cfg. 0 or -1 (message in err, never with file content). */
static int parse_config(const char *text, const char *path, config *cfg, char *err, size_t err_size)
{
    json_error_t je;
    json_t *doc = json_loads(text, 0, &je);
    memset(cfg, 0, sizeof *cfg);
    if (!doc) {
        snprintf(err, err_size, "Invalid JSON in Modellix config at %s.", path);
        return -1;
    }
    int rc = -1;
    char perr[256];
    json_t *profiles = json_object_get(doc, "profiles");
    if (!json_is_object(doc)) {
        invalid(err, err_size, path);
    } else if (json_is_object(profiles)) {
        size_t n = json_object_size(profiles);
        if (n == 0 || n > MAX_PROFILES) {
            invalid(err, err_size, path);
            goto done;
        }
        const char *name;
        json_t *p;
        json_object_foreach(profiles, name, p)
        {
            json_t *k = json_object_get(p, "apiKey");
            char *key = json_is_string(k) ? api_key_normalize(json_string_value(k)) : NULL;
            if (!profile_name_valid(name, perr, sizeof perr) || !key) {
                wipe_free(key);
                config_free(cfg);
                invalid(err, err_size, path);
                goto done;
            }
            cfg->names[cfg->n] = strdup(name);
            cfg->keys[cfg->n++] = key;
        }
        json_t *cur = json_object_get(doc, "currentProfile");
        cfg->current = strdup(json_is_string(cur) ? json_string_value(cur) : "default");
        if (!config_key(cfg, cfg->current)) {
            config_free(cfg);
            snprintf(err, err_size, "Invalid Modellix config at %s: currentProfile does not exist in profiles.", path);
            goto done;
        }
        rc = 0;
    } else {
        json_t *k = json_object_get(doc, "apiKey"); /* the legacy form */
        char *key = json_is_string(k) ? api_key_normalize(json_string_value(k)) : NULL;
        if (!key) {
            invalid(err, err_size, path);
            goto done;
        }
        cfg->names[0] = strdup("default");
        cfg->keys[0] = key;
        cfg->n = 1;
        cfg->current = strdup("default");
        rc = 0;
    }
done:
    json_decref(doc); /* jansson does not wipe; the parsed copy is short-lived */
    return rc;
}

int config_read_at(const char *path, config *cfg, char *err, size_t err_size)
{
    memset(cfg, 0, sizeof *cfg);
    char *text = NULL;
    size_t got = 0;
    int rc = privfile_read(path, MAX_CONFIG_BYTES, &text, &got);
    if (rc == 1)
        return 1;
    if (rc != 0) {
        if (errno == ELOOP)
            snprintf(err, err_size, "Modellix config must be a regular file, not a symbolic link.");
        else if (errno == EFBIG)
            snprintf(err, err_size, "Modellix config exceeds the %d-byte limit.", MAX_CONFIG_BYTES);
        else if (errno == ENOMEM)
            snprintf(err, err_size, "Out of memory.");
        else
            snprintf(err, err_size, "Unable to read Modellix config at %s: %s.", path, strerror(errno));
        return -1;
    }
    rc = parse_config(text, path, cfg, err, err_size);
    explicit_bzero(text, got);
    free(text);
    return rc;
}

int config_read(config *cfg, char *err, size_t err_size)
{
    char path[4096];
    memset(cfg, 0, sizeof *cfg);
    if (config_path(path, sizeof path, err, err_size) != 0)
        return -1;
    return config_read_at(path, cfg, err, err_size);
}

/* ---- the lock: a "<config>.lock" directory, as the official CLI's proper-lockfile makes it ---- */

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int lock_config(const char *lock, char *err, size_t err_size)
{
    int64_t end = mono_ms() + LOCK_WAIT_MS;
    unsigned delay = 25;
    for (;;) {
        if (mkdir(lock, 0700) == 0)
            return 0;
        if (errno != EEXIST) {
            snprintf(err, err_size, "Unable to lock the Modellix config (%s): %s.", lock, strerror(errno));
            return -1;
        }
        struct stat st;
        if (stat(lock, &st) == 0 && time(NULL) - st.st_mtime > LOCK_STALE_S) {
            rmdir(lock); /* left by a process that died */
            continue;
        }
        if (mono_ms() >= end) {
            snprintf(err, err_size, "The Modellix config is locked by another process (%s). Retry later.", lock);
            return -1;
        }
        struct timespec ts = {0, (long)delay * 1000000L};
        nanosleep(&ts, NULL);
        delay = delay * 2 > 250 ? 250 : delay * 2;
    }
}

/* Write cfg to path: temporary file (0600, O_EXCL), fsync, rename, fsync of the directory. */
static int write_config(const char *path, const config *cfg, char *err, size_t err_size)
{
    json_t *profiles = json_object();
    for (size_t i = 0; i < cfg->n; i++)
        json_object_set_new(profiles, cfg->names[i], json_pack("{s:s}", "apiKey", cfg->keys[i]));
    json_t *doc = json_pack("{s:s,s:o}", "currentProfile", cfg->current, "profiles", profiles);
    char *text = doc ? cli_json_dump(doc, 2) : NULL;
    json_decref(doc);
    if (!text) {
        snprintf(err, err_size, "Out of memory.");
        return -1;
    }
    size_t len = strlen(text);
    text[len] = '\n'; /* the NUL becomes the final newline: len + 1 bytes are written */
    int ok = privfile_replace(path, text, len + 1, 1) == 0;
    int e = errno;
    explicit_bzero(text, len + 1);
    free(text);
    if (!ok) {
        snprintf(err, err_size, "Unable to write Modellix config at %s: %s.", path, strerror(e));
        return -1;
    }
    return 0;
}

int config_update(const config_change *ch, config_result *res, char *err, size_t err_size)
{
    char path[4096], lock[4200];
    memset(res, 0, sizeof *res);
    if (config_path(path, sizeof path, err, err_size) != 0)
        return -1;
    if (privfile_make_dir(path) != 0) {
        snprintf(err, err_size, "Unable to create the Modellix config directory for %s: %s.", path, strerror(errno));
        return -1;
    }
    snprintf(lock, sizeof lock, "%s.lock", path);
    if (lock_config(lock, err, err_size) != 0)
        return -1;
    config cfg;
    int rc = config_read_at(path, &cfg, err, err_size);
    if (rc < 0 && (ch->recover || ch->op == CONFIG_REMOVE_FILE)) {
        memset(&cfg, 0, sizeof cfg); /* --force: an unreadable config is replaced */
        rc = 1;
    }
    if (rc < 0)
        goto unlock;
    int exists = rc == 0;
    rc = -1;
    const char *current = exists ? config_key(&cfg, ch->profile) : NULL;
    if (ch->op == CONFIG_SET) {
        /* compare-and-swap: the profile must still hold what the caller saw before validating */
        if (ch->cas && !((ch->expected_key == NULL && current == NULL) ||
                         (ch->expected_key && current && strcmp(ch->expected_key, current) == 0))) {
            snprintf(err, err_size,
                     "Profile %s changed while the API key was being validated. Review the current profile and retry.",
                     ch->profile);
            goto done;
        }
        size_t i = 0;
        while (i < cfg.n && strcmp(cfg.names[i], ch->profile) != 0)
            i++;
        if (i == cfg.n) {
            if (cfg.n >= MAX_PROFILES) {
                snprintf(err, err_size, "Cannot save Modellix config: at most %d profiles are allowed.", MAX_PROFILES);
                goto done;
            }
            cfg.names[i] = strdup(ch->profile);
            cfg.keys[i] = NULL;
            cfg.n++;
        }
        wipe_free(cfg.keys[i]);
        cfg.keys[i] = strdup(ch->key);
        free(cfg.current);
        cfg.current = strdup(ch->profile);
        if (!cfg.names[i] || !cfg.keys[i] || !cfg.current) {
            snprintf(err, err_size, "Out of memory.");
            goto done;
        }
        rc = write_config(path, &cfg, err, err_size);
        res->changed = rc == 0;
    } else if (ch->op == CONFIG_REMOVE_PROFILE) {
        size_t i = 0;
        while (i < cfg.n && strcmp(cfg.names[i], ch->profile) != 0)
            i++;
        rc = 0;
        if (i < cfg.n) {
            free(cfg.names[i]);
            wipe_free(cfg.keys[i]);
            memmove(cfg.names + i, cfg.names + i + 1, (cfg.n - i - 1) * sizeof cfg.names[0]);
            memmove(cfg.keys + i, cfg.keys + i + 1, (cfg.n - i - 1) * sizeof cfg.keys[0]);
            cfg.n--;
            res->changed = 1;
            if (cfg.n == 0) {
                if (unlink(path) != 0 && errno != ENOENT) {
                    snprintf(err, err_size, "Unable to remove Modellix config at %s.", path);
                    rc = -1;
                }
                free(cfg.current);
                cfg.current = NULL;
            } else {
                if (strcmp(cfg.current, ch->profile) == 0) {
                    free(cfg.current);
                    cfg.current = strdup(cfg.names[0]);
                }
                rc = write_config(path, &cfg, err, err_size);
            }
        }
    } else { /* CONFIG_REMOVE_FILE */
        rc = 0;
        if (unlink(path) == 0)
            res->changed = 1;
        else if (errno != ENOENT) {
            snprintf(err, err_size, "Unable to remove Modellix config at %s.", path);
            rc = -1;
        }
        config_free(&cfg);
    }
done:
    if (rc == 0) {
        res->current = cfg.current ? strdup(cfg.current) : NULL;
        res->n_profiles = cfg.n;
        for (size_t i = 0; i < cfg.n; i++)
            res->profiles[i] = strdup(cfg.names[i]);
    }
    config_free(&cfg);
unlock:
    rmdir(lock);
    return rc;
}

void config_result_free(config_result *r)
{
    free(r->current);
    for (size_t i = 0; i < r->n_profiles; i++)
        free(r->profiles[i]);
    memset(r, 0, sizeof *r);
}
