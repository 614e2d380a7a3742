"""Profiles, auth, config, init and quickstart of the modellix tool, against the standalone mock (which
accepts only the keys KEY, KEY2 and KEY3: any other key gets 401).

Checked: the JSON shapes of the official CLI, exit codes, config.json's content and modes (0600 file,
0700 directory), the legacy {"apiKey"} form, symlinks refused, compare-and-swap (a profile changed
while a key was being validated is not overwritten; concurrent writers lose nothing), which key each
profile selection uses (seen by the mock), and that no key is ever printed or left outside config.json."""
import json
import os
import pty
import signal
import select
import stat
import subprocess
import tempfile
import termios
import time

from cli_harness import KEY, TOOL, Mock, check, finish, no_key, report, run, run_json, start, tool_env

KEY2 = KEY + "-two"
KEY3 = KEY + "-three"
BAD = KEY + "-rejected"
NOKEY = {"MODELLIX_API_KEY": None}


def mode(path):
    return stat.S_IMODE(os.lstat(path).st_mode)


def load(path):
    with open(path) as f:
        return json.load(f)


def key_leaks(root):
    """Files under root, other than config.json, that contain a key; and temporary or lock leftovers."""
    bad = []
    for d, dirs, files in os.walk(root):
        for name in dirs + files:
            if name.endswith(".lock") or name.startswith(".config."):
                bad.append(os.path.join(d, name))
        for name in files:
            p = os.path.join(d, name)
            if name == "config.json":
                continue
            with open(p, "rb") as f:
                if KEY.encode() in f.read():
                    bad.append(p)
    return bad


mock = Mock("--api-key", KEY, "--api-key", KEY2, "--api-key", KEY3)
home = tempfile.mkdtemp(prefix="modellix-cli-config-")
try:
    cfg_dir = os.path.join(home, ".config", "modellix")
    cfg = os.path.join(cfg_dir, "config.json")

    def tool(args, stdin=None, env=None):
        e = dict(NOKEY)
        e.update(env or {})
        return run(mock, args, stdin=stdin, env_extra=e, home=home)

    def tool_json(args, stdin=None, env=None):
        e = dict(NOKEY)
        e.update(env or {})
        return run_json(mock, args, stdin=stdin, env_extra=e, home=home)

    def login_on_terminal(profile, prompt, answer):
        """Run `auth login --profile PROFILE` on a new pseudo-terminal (no key, not CI); once PROMPT has
        been read, call answer(master) once. Reads until the terminal closes or 20 s have passed.
        Returns (pid, master, everything read, whether answer ran); the caller reaps and closes."""
        pid, master = pty.fork()
        if pid == 0:
            env = tool_env(mock, dict(NOKEY), home)
            env.pop("CI", None)
            os.execve(TOOL, [TOOL, "auth", "login", "--profile", profile], env)
        seen, sent = b"", False
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            r, _, _ = select.select([master], [], [], 0.2)
            if r:
                try:
                    chunk = os.read(master, 4096)
                except OSError:
                    break
                if not chunk:
                    break
                seen += chunk
            if not sent and prompt in seen:
                answer(master)
                sent = True
        return pid, master, seen, sent

    # ---- quickstart (no command) before anything is configured ----
    rc, out, err = tool([])
    check(rc == 0 and "No API key is configured yet." in out and "modellix init" in out,
          "no command runs quickstart: not configured (%d)" % rc)
    rc, doc, err = tool_json(["--json"])
    check(rc == 0 and doc and doc["configured"] is False and doc["apiKeySource"] == "missing" and
          doc["profile"] == "default" and doc["profileSource"] == "default" and doc["ok"] is True and
          doc["docs"].startswith("https://") and len(doc["nextSteps"]) == 3,
          "quickstart --json shape (not configured)")

    # ---- auth login: key from stdin, validated, saved 0600 in a 0700 directory ----
    mock.reset()
    rc, doc, err = tool_json(["auth", "login", "--json"], stdin=KEY + "\n")
    c = mock.counters()
    check(rc == 0 and doc == {"apiKeySource": "stdin", "configPath": cfg, "ok": True, "profile": "default",
                              "saved": True, "valid": True} and
          c["requests"]["validate"] == 1 and c["requests"]["submit"] == 0,
          "auth login (stdin) --json: shape, one validate call (%d %s)" % (rc, err.strip()))
    check(os.path.isfile(cfg) and mode(cfg) == 0o600 and mode(cfg_dir) == 0o700 and
          load(cfg) == {"currentProfile": "default", "profiles": {"default": {"apiKey": KEY}}},
          "config.json: content and modes 0600/0700")
    rc, out, err = tool(["auth", "status"])
    check(rc == 0 and out.splitlines() == ["Profile: default (config)", "API key source: config", "Validation: valid",
                                           "Team balance: $12.3456 USD"],
          "auth status (human) from the saved profile (%d %r)" % (rc, out))
    rc, doc, err = tool_json(["auth", "whoami", "--json"])
    check(rc == 0 and doc == {"apiKeySource": "config", "authenticated": True, "balance": 12.3456,
                              "configPath": cfg, "ok": True, "profile": "default", "profileSource": "config",
                              "valid": True}, "auth whoami --json shape")

    # ---- a rejected key is never saved ----
    before = open(cfg, "rb").read()
    rc, out, err = tool(["auth", "login", "--profile", "other"], stdin=BAD + "\n")
    check(rc == 1 and "invalid or inactive" in err and open(cfg, "rb").read() == before,
          "auth login with a key the API rejects (401): exit 1, config unchanged (%d %s)" % (rc, err.strip()))
    rc, doc, err = tool_json(["auth", "login", "--profile", "other", "--check", "--json"], stdin=KEY2 + "\n")
    check(rc == 0 and doc and doc["saved"] is False and open(cfg, "rb").read() == before,
          "auth login --check: validated, nothing written")

    # ---- a second profile becomes current; replacing a key needs --yes/--force ----
    rc, out, err = tool(["auth", "login", "--profile", "work"], stdin=KEY2 + "\n")
    check(rc == 0 and "Profile saved to %s." % cfg in out and
          load(cfg) == {"currentProfile": "work", "profiles": {"default": {"apiKey": KEY}, "work": {"apiKey": KEY2}}},
          "auth login --profile work: added and made current (%d %s)" % (rc, err.strip()))
    rc, out, err = tool(["auth", "login", "--profile", "work"], stdin=KEY3 + "\n")
    check(rc == 1 and "Profile work already exists. Pass --force to replace it." in err and
          load(cfg)["profiles"]["work"]["apiKey"] == KEY2, "replacing a saved key without --yes: refused")
    rc, out, err = tool(["auth", "login", "--profile", "work", "--yes"], stdin=KEY3 + "\n")
    check(rc == 0 and load(cfg)["profiles"]["work"]["apiKey"] == KEY3, "replacing with --yes")

    # ---- which key is used: --profile, MODELLIX_PROFILE, currentProfile; env and flag keys first ----
    doc = load(cfg)
    doc["profiles"]["bad"] = {"apiKey": BAD}
    with open(cfg, "w") as f:
        json.dump(doc, f)
    rc_bad, _, err_bad = tool(["model", "list", "--profile", "bad"])
    rc_good, _, _ = tool(["model", "list", "--profile", "default"])
    rc_env, _, _ = tool(["model", "list"], env={"MODELLIX_PROFILE": "bad"})
    rc_over, _, _ = tool(["model", "list"], env={"MODELLIX_PROFILE": "bad", "MODELLIX_API_KEY": KEY})
    rc_cur, _, _ = tool(["model", "list"])  # currentProfile is work (KEY3)
    rc_miss, _, err_miss = tool(["model", "list", "--profile", "nosuch"])
    check(rc_bad == 1 and "401" in err_bad and rc_good == 0 and rc_env == 1 and rc_over == 0 and rc_cur == 0 and
          rc_miss == 1 and "Missing API key for the selected profile" in err_miss,
          "key selection: --profile, MODELLIX_PROFILE, env key first, current profile, missing profile "
          "(%d %d %d %d %d %d)" % (rc_bad, rc_good, rc_env, rc_over, rc_cur, rc_miss))
    rc, doc, err = tool_json(["auth", "status", "--profile", "bad", "--json"])
    check(rc == 1 and doc and doc["valid"] is False and doc["authenticated"] is True and doc["ok"] is False and
          "balance" not in doc, "auth status with a rejected saved key: valid false, exit 1")
    rc, out, err = tool(["model", "list", "--profile", "../x"])
    check(rc == 1 and "Invalid profile name" in err, "invalid profile name refused")

    # ---- compare-and-swap: a profile changed while its new key was being validated is not overwritten ----
    mock.reset()
    mock.post("/_mock/faults", {"route": "validate", "kind": "stall", "stall_ms": 1500, "count": 1})
    slow = start(mock, ["auth", "login", "--profile", "default", "--yes"], env_extra=NOKEY, home=home,
                 stdin=KEY2 + "\n")
    seen = mock.wait_for(lambda c: c["requests"]["validate"] >= 1)
    rc2, out2, err2 = tool(["auth", "login", "--profile", "default", "--yes"], stdin=KEY3 + "\n")
    rc1, out1, err1 = finish(slow)
    check(seen and rc2 == 0 and rc1 == 1 and
          "Profile default changed while the API key was being validated" in err1 and
          load(cfg)["profiles"]["default"]["apiKey"] == KEY3,
          "compare-and-swap: the slower writer stops, the other's key stays (%d %d %s)" % (rc1, rc2, err1.strip()))

    # ---- concurrent writers to different profiles lose nothing ----
    procs = [start(mock, ["auth", "login", "--profile", "p%d" % i], env_extra=NOKEY, home=home, stdin=KEY + "\n")
             for i in range(8)]
    rcs = [finish(p)[0] for p in procs]
    names = set(load(cfg)["profiles"])
    check(rcs == [0] * 8 and all("p%d" % i in names for i in range(8)) and {"default", "work", "bad"} <= names and
          mode(cfg) == 0o600, "8 concurrent auth logins: every profile kept (%r, %d profiles)" % (rcs, len(names)))

    # ---- config show / path ----
    os.chmod(cfg, 0o644)
    rc, doc, err = tool_json(["config", "show", "--json"])
    check(rc == 0 and doc and doc["configured"] is True and doc["apiKeySource"] == "config" and
          doc["configPath"] == cfg and sorted(doc["profiles"]) == sorted(names) and mode(cfg) == 0o600 and
          set(doc) == {"apiKeySource", "configPath", "configured", "currentProfile", "ok", "profile", "profiles",
                       "profileSource"}, "config show --json: shape; the file is chmodded back to 0600 on read")
    rc, out, err = tool(["config", "path"])
    check(rc == 0 and out == cfg + "\n", "config path")
    xdg = os.path.join(home, "xdg")
    rc, out, err = tool(["config", "path"], env={"XDG_CONFIG_HOME": xdg})
    check(rc == 0 and out == os.path.join(xdg, "modellix", "config.json") + "\n", "config path under XDG_CONFIG_HOME")
    rc, out, err = tool(["config", "path"], env={"XDG_CONFIG_HOME": "relative/dir"})
    check(rc == 1 and "absolute" in err, "a relative XDG_CONFIG_HOME is refused")

    # ---- auth logout / config clear ----
    rc, out, err = tool(["auth", "logout", "--profile", "p0"])
    check(rc == 1 and "Pass --yes" in err and "p0" in load(cfg)["profiles"], "auth logout without --yes: refused")
    rc, doc, err = tool_json(["auth", "logout", "--profile", "p0", "--yes", "--json"])
    check(rc == 0 and doc and doc["removed"] is True and doc["profile"] == "p0" and "p0" not in doc["profiles"] and
          "p0" not in load(cfg)["profiles"] and doc["activeApiKeySource"] == "missing",
          "auth logout --yes --json (%d %s)" % (rc, err.strip()))
    rc, out, err = tool(["config", "clear", "--profile", "p0", "--yes"])
    check(rc == 0 and "No saved profile named p0 exists." in out, "config clear of a missing profile")
    rc, out, err = tool(["config", "clear", "--profile", "p1", "--yes"], env={"MODELLIX_API_KEY": KEY})
    check(rc == 0 and "Removed profile p1 from %s." % cfg in out and
          "MODELLIX_API_KEY remains active in the current environment." in out, "config clear notes an env key")

    # ---- legacy form, symlinks, malformed files ----
    with open(cfg, "w") as f:
        json.dump({"apiKey": KEY}, f)
    rc, doc, err = tool_json(["config", "show", "--json"])
    check(rc == 0 and doc and doc["profiles"] == ["default"] and doc["apiKeySource"] == "config",
          "the legacy {apiKey} form reads as profile default")
    rc, out, err = tool(["auth", "login", "--profile", "work"], stdin=KEY2 + "\n")
    check(rc == 0 and load(cfg) == {"currentProfile": "work",
                                    "profiles": {"default": {"apiKey": KEY}, "work": {"apiKey": KEY2}}},
          "the legacy form is upgraded on the next write")
    real = os.path.join(home, "elsewhere.json")
    os.replace(cfg, real)
    os.symlink(real, cfg)
    rc, doc, err = tool_json(["config", "show", "--json"])
    check(rc == 1 and doc and "symbolic link" in doc.get("warning", "") and doc["configured"] is False,
          "a symlinked config.json is refused")
    rc, out, err = tool(["model", "list"])
    check(rc == 1 and "symbolic link" in err, "...and no command uses its key")
    os.unlink(cfg)
    os.unlink(real)
    with open(cfg, "w") as f:
        f.write("{not json")
    rc, out, err = tool(["auth", "login"], stdin=KEY + "\n")
    check(rc == 1 and "Pass --force to replace it." in err and open(cfg).read() == "{not json",
          "a malformed config is not replaced without --force")
    rc, out, err = tool(["auth", "login", "--force"], stdin=KEY + "\n")
    check(rc == 0 and load(cfg) == {"currentProfile": "default", "profiles": {"default": {"apiKey": KEY}}},
          "--force replaces a malformed config")
    with open(cfg, "w") as f:
        f.write("[]")
    rc, out, err = tool(["config", "clear", "--yes"])
    check(rc == 0 and not os.path.exists(cfg), "config clear removes an unreadable config")

    # ---- init ----
    rc, doc, err = tool_json(["init", "--check", "--json"], env={"MODELLIX_API_KEY": KEY})
    check(rc == 0 and doc and doc["saved"] is False and doc["apiKeySource"] == "environment" and
          not os.path.exists(cfg), "init --check: validates, writes nothing")
    rc, out, err = tool(["init"])
    check(rc == 1 and "No API key is available" in err and not os.path.exists(cfg),
          "init without any key, off a terminal: exit 1")
    rc, doc, err = tool_json(["init", "--json"], env={"MODELLIX_API_KEY": KEY})
    check(rc == 0 and doc and doc["saved"] is True and doc["valid"] is True and len(doc["nextSteps"]) == 4 and
          load(cfg)["profiles"]["default"]["apiKey"] == KEY, "init saves the environment key")
    rc, doc, err = tool_json(["init", "--json"])
    check(rc == 0 and doc and doc["saved"] is False and doc["apiKeySource"] == "config",
          "init with a saved key keeps it")
    rc, doc, err = tool_json(["--json"])
    check(rc == 0 and doc and doc["configured"] is True and doc["apiKeySource"] == "config" and
          len(doc["nextSteps"]) == 4, "quickstart --json once configured")

    # ---- the prompt on a terminal does not echo the key ----
    pid, master, seen, sent = login_on_terminal("typed", b"Enter the Modellix API key for profile typed: ",
                                                lambda m: os.write(m, (KEY2 + "\n").encode()))
    _, status = os.waitpid(pid, 0)
    os.close(master)
    no_key(seen.decode(errors="replace"), "auth login (terminal)")
    check(sent and os.waitstatus_to_exitcode(status) == 0 and b"Authentication succeeded for profile typed." in seen
          and KEY2.encode() not in seen and load(cfg)["profiles"]["typed"]["apiKey"] == KEY2,
          "auth login on a terminal: hidden prompt, the typed key is not echoed, saved (%r)" %
          seen.replace(KEY2.encode(), b"[KEY]")[-200:])

    # ---- Ctrl-C at the prompt ends the command and gives the terminal its echo back ----
    echoes = []

    def interrupt(m):
        time.sleep(0.2)
        echoes.append(bool(termios.tcgetattr(m)[3] & termios.ECHO))
        os.write(m, b"\x03")

    pid, master, seen, sent = login_on_terminal("aborted", b"Enter the Modellix API key", interrupt)
    echo_during = echoes[0] if echoes else None
    echo_after = bool(termios.tcgetattr(master)[3] & termios.ECHO)
    _, status = os.waitpid(pid, 0)
    os.close(master)
    check(sent and echo_during is False and echo_after and os.WIFSIGNALED(status) and
          os.WTERMSIG(status) == signal.SIGINT and "aborted" not in load(cfg)["profiles"],
          "Ctrl-C at the hidden prompt: the command ends by SIGINT, echo restored, nothing saved "
          "(echo during %r, after %r)" % (echo_during, echo_after))

    # ---- no key anywhere but config.json; no leftovers ----
    leaks = key_leaks(home)
    check(leaks == [], "no key outside config.json, no temporary or lock files left (%r)" % leaks)
finally:
    mock.stop()
    subprocess.run(["rm", "-rf", home])

report()
