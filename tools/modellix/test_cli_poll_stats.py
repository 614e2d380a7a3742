"""The modellix tool keeps the library's poll statistics between runs (poll_stats.c), against the
standalone mock.

Checked: after a batch of 5 tasks of 5 s, <XDG_STATE_HOME or ~/.local/state>/modellix/poll-stats.json
exists (0600, directory 0700) with those 5 durations under the mock's base URL and nothing else (no
key); a second run imports them and polls fewer times than a fresh run (the mock's task-route counter);
statistics of one base URL do not steer another, and both are kept; MODELLIX_NO_POLL_STATS=1 neither
reads nor writes the file; a damaged file (not JSON, another format, or statistics the library
refuses) is ignored with one warning and replaced, even by a run that learned nothing; an unwritable file or directory costs one warning and never the
command; concurrent runs leave a whole file and no temporary files."""
import json
import os
import shutil
import stat
import subprocess
import tempfile
import time

from cli_harness import KEY, SLUG, TOOL, Mock, check, no_key, report, run, run_json, tool_env

DURATION_MS = 5000
STATS = os.path.join("modellix", "poll-stats.json")

mock = Mock("--max-running", "0")
mock2 = Mock("--max-running", "0")
homes = []


def new_home():
    h = tempfile.mkdtemp(prefix="modellix-cli-stats-")
    homes.append(h)
    return h


def stats_path(home):
    return os.path.join(home, ".local", "state", STATS)


def read_stats(home):
    with open(stats_path(home), encoding="utf-8") as f:
        return json.load(f)


def body(ms, prompt="a fox"):
    return json.dumps({"prompt": prompt, "mock_duration_ms": ms})


def run_wait(m, home, ms=DURATION_MS, env=None):
    """model run --wait; returns (rc, doc, stderr, polls on the task route, seconds)."""
    m.reset()
    t0 = time.monotonic()
    rc, doc, err = run_json(m, ["model", "run", SLUG, "--body", body(ms), "--wait", "--json"], home=home,
                            env_extra=env)
    took = time.monotonic() - t0
    c = m.counters()
    return rc, doc, err, c["requests"]["task"], took


def warnings(err):
    return [l for l in err.splitlines() if l.startswith("Warning:")]


def succeeded(rc, doc):
    return rc == 0 and doc is not None and doc["data"]["status"] == "success"


try:
    # ---- 1. a batch of 5 tasks of one model teaches the client; the file keeps it ----
    home_a = new_home()
    lines = "".join(json.dumps({"modelSlug": SLUG, "body": {"prompt": "p%d" % i, "mock_duration_ms": DURATION_MS}})
                    + "\n" for i in range(5))
    mock.reset()
    rc, doc, err = run_json(mock, ["model", "batch", "-", "--yes", "--concurrency", "5", "--wait", "--json"],
                            stdin=lines, home=home_a)
    first_polls = mock.counters()["requests"]["task"]
    path_a = stats_path(home_a)
    check(rc == 0 and doc is not None and doc["total"] == 5 and doc["succeeded"] == 5,
          "batch of 5 tasks of %d ms succeeds (%d %r)" % (DURATION_MS, rc, err[-300:]))
    check(os.path.isfile(path_a) and stat.S_IMODE(os.stat(path_a).st_mode) == 0o600 and
          stat.S_IMODE(os.stat(os.path.dirname(path_a)).st_mode) == 0o700,
          "poll-stats.json under ~/.local/state/modellix: file 0600, directory 0700")
    saved = read_stats(home_a) if os.path.isfile(path_a) else None
    expected = {"version": 1, "services": [{"baseUrl": mock.url, "stats": {
        "version": 1, "models": [{"slug": SLUG, "durations_ms": [DURATION_MS] * 5}]}}]}
    check(saved == expected, "the file holds exactly the 5 durations under the mock's base URL (%r)" % saved)
    left = sorted(os.listdir(os.path.dirname(path_a)))
    check(left == ["poll-stats.json", "tasks.journal"], "no temporary file left beside it (%r)" % left)

    # ---- 2. the next run imports them and polls fewer times than a fresh run ----
    rc, doc, err, second_polls, second_s = run_wait(mock, home_a)
    check(succeeded(rc, doc) and warnings(err) == [], "second run (statistics imported) succeeds, no warning")
    home_fresh = new_home()
    rc, doc, err, fresh_polls, fresh_s = run_wait(mock, home_fresh)
    check(succeeded(rc, doc), "fresh run succeeds")
    print("figures: polls per task of %d ms: first run (batch) %.1f, fresh run %d, run with the saved "
          "statistics %d; wall time fresh %.2f s, with statistics %.2f s"
          % (DURATION_MS, first_polls / 5.0, fresh_polls, second_polls, fresh_s, second_s))
    check(fresh_polls >= 3 and first_polls >= 5 * 3, "without statistics a 5 s task is polled every 2 s (%d, %d)"
          % (fresh_polls, first_polls))
    check(second_polls < fresh_polls and second_polls <= 2,
          "with the saved statistics: fewer polls than a fresh run (%d < %d, at most 2)" % (second_polls, fresh_polls))
    check(second_s < DURATION_MS / 1000.0 * 1.05 + 0.3 + 1.5,
          "and the result is not detected later for it (%.2f s for a %d ms task)" % (second_s, DURATION_MS))
    saved = read_stats(home_a)
    durs = saved["services"][0]["stats"]["models"][0]["durations_ms"]
    check(len(saved["services"]) == 1 and durs == [DURATION_MS] * 6,
          "the second run's duration was added (%r)" % durs)

    # ---- 3. keyed by base URL: another service is not steered by them, and both are kept ----
    rc, doc, err, other_polls, _ = run_wait(mock2, home_a)
    check(succeeded(rc, doc) and other_polls >= 3,
          "another base URL with the same file polls as a fresh run (%d polls)" % other_polls)
    saved = read_stats(home_a)
    check([s["baseUrl"] for s in saved["services"]] == [mock2.url, mock.url] and
          saved["services"][0]["stats"]["models"] == [{"slug": SLUG, "durations_ms": [DURATION_MS]}] and
          saved["services"][1]["stats"]["models"][0]["durations_ms"] == [DURATION_MS] * 6,
          "the file keeps both services, the last written first")

    # ---- 4. MODELLIX_NO_POLL_STATS=1: not read, not written ----
    before = open(path_a, "rb").read()
    rc, doc, err, off_polls, _ = run_wait(mock, home_a, env={"MODELLIX_NO_POLL_STATS": "1"})
    check(succeeded(rc, doc) and off_polls >= 3 and open(path_a, "rb").read() == before,
          "MODELLIX_NO_POLL_STATS=1: polls as a fresh run (%d) and the file is unchanged" % off_polls)
    home_off = new_home()
    rc, doc, err, _, _ = run_wait(mock, home_off, ms=300, env={"MODELLIX_NO_POLL_STATS": "1"})
    check(succeeded(rc, doc) and not os.path.exists(stats_path(home_off)) and
          os.path.isfile(os.path.join(home_off, ".local", "state", "modellix", "tasks.journal")),
          "MODELLIX_NO_POLL_STATS=1 in a fresh home: no file written (the journal is)")
    rc, doc, err, _, _ = run_wait(mock, home_off, ms=300, env={"MODELLIX_NO_POLL_STATS": "0"})
    check(succeeded(rc, doc) and os.path.isfile(stats_path(home_off)), "MODELLIX_NO_POLL_STATS=0: kept as usual")

    # ---- 5. a damaged file: ignored with one warning, the command succeeds, the file is replaced ----
    xdg = new_home()
    bad_path = os.path.join(xdg, STATS)
    bad_stats = {"version": 1, "services": [{"baseUrl": mock.url, "stats": {
        "version": 1, "models": [{"slug": "not-a-slug", "durations_ms": [1]}]}}]}
    for label, content in (("not JSON", "{not json"), ("refused by the library", json.dumps(bad_stats)),
                           ("another format", '{"version":2,"services":[]}')):
        os.makedirs(os.path.dirname(bad_path), exist_ok=True)
        with open(bad_path, "w") as f:
            f.write(content)
        rc, doc, err, _, _ = run_wait(mock, home_fresh, ms=300, env={"XDG_STATE_HOME": xdg})
        w = warnings(err)
        try:
            with open(bad_path, encoding="utf-8") as f:
                saved = json.load(f)
        except ValueError:
            saved = None
        check(succeeded(rc, doc) and len(w) == 1 and "poll statistics" in w[0] and bad_path in w[0],
              "damaged file (%s): the command succeeds with one warning (%r)" % (label, w))
        check(saved is not None and [s["baseUrl"] for s in saved["services"]] == [mock.url] and
              saved["services"][0]["stats"]["models"][0]["slug"] == SLUG and
              stat.S_IMODE(os.stat(bad_path).st_mode) == 0o600,
              "damaged file (%s): replaced by valid statistics (XDG_STATE_HOME honoured)" % label)
        rc, doc, err, _, _ = run_wait(mock, home_fresh, ms=300, env={"XDG_STATE_HOME": xdg})
        check(succeeded(rc, doc) and warnings(err) == [], "damaged file (%s): the next run is quiet" % label)

    # a damaged file is replaced even by a run that learned nothing (its task outlived --timeout)
    with open(bad_path, "w") as f:
        f.write("{not json")
    mock.reset()
    rc, out, err = run(mock, ["model", "run", SLUG, "--body", body(60000), "--wait", "--timeout", "1s", "--json"],
                       home=home_fresh, env_extra={"XDG_STATE_HOME": xdg})
    with open(bad_path, encoding="utf-8") as f:
        replaced = f.read()
    try:
        replaced_doc = json.loads(replaced)
    except ValueError:
        replaced_doc = None
    check(rc == 124 and len(warnings(err)) == 1 and replaced_doc == {"version": 1, "services": []},
          "damaged file, nothing learned (exit 124): replaced by an empty file (%d %r)" % (rc, replaced[:80]))

    # ---- 6. unwritable: one warning, never the command ----
    home_dir = new_home()
    os.makedirs(stats_path(home_dir))  # the file's name is taken by a directory: neither readable nor replaceable
    rc, doc, err, _, _ = run_wait(mock, home_dir, ms=300)
    w = warnings(err)
    check(succeeded(rc, doc) and len(w) == 1 and "poll statistics" in w[0] and os.path.isdir(stats_path(home_dir)),
          "poll-stats.json is a directory: the command succeeds with one warning (%r)" % w)
    check(sorted(os.listdir(os.path.dirname(stats_path(home_dir)))) == ["poll-stats.json", "tasks.journal"],
          "and no temporary file is left")

    # a read-only state directory (an unprivileged user: root writes anywhere)
    home_ro = new_home()
    rc, doc, err, _, _ = run_wait(mock, home_ro, ms=300)  # makes the directory, the journal and the file
    state_dir = os.path.dirname(stats_path(home_ro))
    before = open(stats_path(home_ro), "rb").read()
    prefix = []
    if os.geteuid() == 0:
        for d, dirs, files in os.walk(home_ro):
            for n in [d] + [os.path.join(d, x) for x in files]:
                os.chown(n, 65534, 65534)
        prefix = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
    os.chmod(state_dir, 0o500)
    mock.reset()
    p = subprocess.run(prefix + [TOOL, "model", "run", SLUG, "--body", body(300), "--wait", "--json"],
                       capture_output=True, text=True, env=tool_env(mock, None, home_ro), timeout=60)
    no_key(p.stdout + p.stderr, "model run (read-only state directory)")
    w = warnings(p.stderr)
    os.chmod(state_dir, 0o700)
    check(p.returncode == 0 and json.loads(p.stdout)["data"]["status"] == "success" and len(w) == 1 and
          "cannot be saved" in w[0] and open(stats_path(home_ro), "rb").read() == before,
          "read-only state directory: the command succeeds with one warning, the file is unchanged (%d %r)"
          % (p.returncode, w))

    # ---- 7. concurrent runs: a whole file, no temporary files ----
    home_c = new_home()
    mock.reset()
    env = tool_env(mock, None, home_c)
    procs = [subprocess.Popen([TOOL, "model", "run", SLUG, "--body", body(200 + 100 * i, "c%d" % i), "--wait",
                               "--json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
             for i in range(4)]
    outs = [p.communicate(timeout=60) for p in procs]
    for o, e in outs:
        no_key(o + e, "concurrent model run")
    saved = read_stats(home_c)
    durs = saved["services"][0]["stats"]["models"][0]["durations_ms"]
    check(all(p.returncode == 0 for p in procs) and all(warnings(e) == [] for _, e in outs),
          "4 concurrent runs succeed without warnings")
    check(len(saved["services"]) == 1 and 1 <= len(durs) <= 4 and
          sorted(os.listdir(os.path.dirname(stats_path(home_c)))) == ["poll-stats.json", "tasks.journal"],
          "after concurrent runs: one whole file (last writer wins: %r), no temporary file" % durs)

    # ---- the key is in no file the tool wrote ----
    leaks = []
    for h in homes:
        for d, dirs, files in os.walk(h):
            for n in files:
                with open(os.path.join(d, n), "rb") as f:
                    if KEY.encode() in f.read():
                        leaks.append(os.path.join(d, n))
    check(leaks == [], "the API key is in no file written (%r)" % leaks)
finally:
    mock.stop()
    mock2.stop()
    for h in homes:
        shutil.rmtree(h, True)
report()
