"""The smaller behaviours of the modellix tool, against the standalone mock: the progress line (in place on a
terminal, never with --json or off a terminal), doctor's "key rejected" and base-URL checks, usage errors
exiting 2, the outcome-unknown advice printed once, and modellix-mock --version."""
import json
import os
import pty
import re
import select
import subprocess

from cli_harness import MOCK, SLUG, TOOL, Mock, check, no_key, report, run, run_json, tool_env

CLEAR = b"\r\x1b[K"


def run_on_pty(mock, args, env_extra=None):
    """Run the tool with stderr on a pseudo-terminal (stdout a pipe); returns (rc, stdout, stderr bytes)."""
    master, slave = pty.openpty()
    env = tool_env(mock, env_extra)
    env.pop("CI", None)
    p = subprocess.Popen([TOOL] + args, stdout=subprocess.PIPE, stderr=slave, stdin=subprocess.DEVNULL, env=env)
    os.close(slave)
    err = b""
    while True:
        r, _, _ = select.select([master], [], [], 0.2)
        if r:
            try:
                chunk = os.read(master, 4096)
            except OSError:
                chunk = b""
            if not chunk:
                break
            err += chunk
        elif p.poll() is not None:
            break
    out = p.stdout.read()
    p.wait()
    os.close(master)
    no_key(out.decode() + err.decode(errors="replace"), " ".join(args))
    return p.returncode, out.decode(), err


mock = Mock("--max-running", "0")
try:
    # ---- the progress line ----
    body = '{"prompt":"p","mock_duration_ms":1800}'
    rc, out, err = run_on_pty(mock, ["model", "run", SLUG, "--body", body, "--wait", "--interval", "200ms"])
    frames = [f for f in err.split(CLEAR) if f]
    words = set(re.findall(rb": (pending|processing|success), ", err))
    doc = json.loads(out) if out.startswith("{") else None
    check(rc == 0 and doc and doc["data"]["status"] == "success" and err.count(CLEAR) >= 5 and
          b"elapsed (timeout 5m)" in err and {b"pending", b"processing"} <= words and err.endswith(CLEAR) and
          b"\n" not in err, "model run --wait on a terminal: the line updates in place (%d frames, %r)" %
          (len(frames), sorted(words)))
    rc, out, err = run_on_pty(mock, ["model", "run", SLUG, "--body", body, "--wait", "--interval", "200ms", "--json"])
    check(rc == 0 and err == b"", "--json: no progress line on the terminal (%r)" % err[:80])
    env = tool_env(mock)
    env.pop("CI", None)
    p = subprocess.run([TOOL, "model", "run", SLUG, "--body", body, "--wait", "--interval", "200ms"],
                       capture_output=True, env=env, timeout=60)
    check(p.returncode == 0 and p.stderr == b"", "off a terminal: no progress line (%r)" % p.stderr[:80])
    lines = "".join(json.dumps({"modelSlug": SLUG, "body": {"prompt": "b%d" % i, "mock_duration_ms": 600 * (i + 1)}})
                    + "\n" for i in range(3))
    bf = os.path.join(os.environ.get("TMPDIR", "/tmp"), "modellix-polish-%d.jsonl" % os.getpid())
    with open(bf, "w") as f:
        f.write(lines)
    rc, out, err = run_on_pty(mock, ["model", "batch", bf, "--yes", "--wait", "--interval", "100ms"])
    os.unlink(bf)
    counts = set(re.findall(rb"Tasks: (\d) of 3 finished", err))
    check(rc == 0 and {b"0", b"1", b"2"} <= counts and err.endswith(CLEAR),
          "model batch --wait on a terminal: done/total updates (%r)" % sorted(counts))

    # ---- doctor: a rejected key is not a connectivity failure; a bad base URL is named as such ----
    mock.reset()
    mock.post("/_mock/faults", {"route": "validate", "kind": "status", "status": 401, "count": 1})
    rc, out, err = run(mock, ["doctor"])
    check(rc == 1 and "[PASS] connectivity" in out and "[FAIL] validation: Key rejected: the API answered HTTP 401" in
          out, "doctor with a rejected key (401): key rejected, connectivity passes (%d %r)" % (rc, out))
    rc, out, err = run(mock, ["doctor"], env_extra={"MODELLIX_BASE_URL": "http://api.example.test"})
    check(rc == 1 and "[PASS] apiKey" in out and
          "[FAIL] baseUrl: Invalid (from MODELLIX_BASE_URL): http is allowed only for localhost" in out and
          "Skipped because the base URL is invalid" in out, "doctor with an http base URL: reported under baseUrl")
    rc, doc, err = run_json(mock, ["doctor", "--json", "--base-url", "https://gw.example/api"])
    names = {c["name"]: c for c in doc["checks"]} if doc else {}
    check(rc == 1 and names.get("apiKey", {}).get("ok") is True and names.get("baseUrl", {}).get("ok") is False and
          "origin without a path" in names["baseUrl"]["detail"], "doctor --json: baseUrl check with the reason")
    before = mock.counters()["requests"]["any"]
    rc, out, err = run(mock, ["model", "list", "--base-url", "https://user:pw@api.modellix.ai"])
    check(rc == 1 and "Invalid Modellix API base URL from --base-url: it must not contain a user name or password." in
          err and mock.counters()["requests"]["any"] == before, "a base URL with credentials: refused before any request")

    # ---- model list --json keeps the answer's top-level fields: {...answer, models: filtered} ----
    mock.reset()
    mock.post("/_mock/faults", {"route": "models", "kind": "status", "status": 200, "count": 1,
                                "body": json.dumps({"code": 0, "message": "success", "page": 1, "models": [
                                    {"slug": "a/one", "type": "text-to-image"},
                                    {"slug": "b/two", "type": "text-to-video"}]})})
    rc, doc, err = run_json(mock, ["model", "list", "--type", "text-to-video"])
    check(rc == 0 and doc is not None and doc.get("code") == 0 and doc.get("message") == "success" and
          doc.get("page") == 1 and [m.get("slug") for m in doc.get("models", [])] == ["b/two"],
          "model list --json: the answer's code, message and other fields kept, models filtered (%r)" % (doc,))

    # ---- usage errors exit 2 ----
    usage = [["task", "get"], ["task", "get", "a", "b"], ["task", "get", "a", "--nope"],
             ["model", "run", SLUG], ["model", "run", SLUG, "--body", "{}", "--body-file", "x"],
             ["model", "run", SLUG, "--body", "{}", "--wait", "--timeout", "1.5m"],
             ["model", "run", SLUG, "--body", "{}", "--wait", "--interval", "0"],
             ["task", "wait", "a", "--timeout", "soon"], ["task", "wait"], ["task", "wait", "--pending", "a"],
             ["task", "wait", "a", "--concurrency", "99"], ["model", "batch", "-", "--yes", "--timeout", "x"],
             ["task", "download", "a", "--timeout", "-1"], ["task", "history", "--limit", "0"],
             ["task", "history", "--yes"], ["model", "list", "--output", "xml"], ["auth", "login", "extra"]]
    bad = []
    for args in usage:
        rc, out, err = run(mock, args, stdin="")
        rcj, doc, _ = run_json(mock, args + ["--json"], stdin="")
        if rc != 2 or rcj != 2 or not doc or doc.get("error", {}).get("exitCode") != 2:
            bad.append((" ".join(args), rc, rcj))
    check(bad == [], "usage errors exit 2, in the JSON envelope too (%r)" % bad)

    # ---- the outcome-unknown advice is printed once ----
    advice = "Do not submit the same request again"
    mock.reset()
    mock.post("/_mock/faults", {"route": "submit", "kind": "status", "status": 502, "count": 1, "after_create": True})
    rc, out, err = run(mock, ["model", "run", SLUG, "--body", '{"prompt":"u"}', "--wait", "-v"])
    check(rc == 1 and (out + err).count(advice) == 1 and "[modellix:error] POST" in err,
          "model run -v, outcome unknown: logged, and the advice once (%r)" % err)
    mock.post("/_mock/faults", {"route": "submit", "kind": "status", "status": 502, "count": 1, "after_create": True})
    two = json.dumps({"modelSlug": SLUG, "body": {"prompt": "a"}}) + "\n" + \
        json.dumps({"modelSlug": SLUG, "body": {"prompt": "b"}}) + "\n"
    rc, out, err = run(mock, ["model", "batch", "-", "--yes", "--concurrency", "1", "--output", "human"], stdin=two,
                       env_extra={"MODELLIX_API_KEY": "k"})
    check(rc == 1 and (out + err).count(advice) == 1 and "[redacted]" not in out,
          "model batch, outcome unknown: the advice once, a short key does not cut words (%r)" % out)

    # ---- modellix-mock --version ----
    p = subprocess.run([MOCK, "--version"], capture_output=True, text=True, timeout=10)
    check(p.returncode == 0 and re.fullmatch(r"modellix-mock \d+\.\d+\.\d+\n", p.stdout) is not None,
          "modellix-mock --version (%r)" % p.stdout)
finally:
    mock.stop()

report()
