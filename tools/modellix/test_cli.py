#!/usr/bin/env python3
"""test_cli.py MODELLIX MOCK - the modellix tool against the standalone mock server.

Starts `MOCK --port 0 --duration-ms 200` (its first stdout line is the base URL), runs the tool with
MODELLIX_API_KEY / MODELLIX_BASE_URL, and checks the JSON shapes and exit codes of every command.
The mock is stopped by its PID at the end."""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import urllib.request

TOOL, MOCK = sys.argv[1], sys.argv[2]
KEY = "cli-test-sentinel-key-0123456789"
failures = []
HOME = tempfile.mkdtemp(prefix="modellix-cli-test-")  # the config and the task journal stay in here


def check(cond, what):
    print(("ok     " if cond else "FAILED ") + what, flush=True)
    if not cond:
        failures.append(what)


def run(args, stdin=None, env_extra=None, timeout=60):
    env = dict(os.environ)
    env.update({"MODELLIX_API_KEY": KEY, "MODELLIX_BASE_URL": URL, "CI": "1", "HOME": HOME})
    for name in ("MODELLIX_PROFILE", "XDG_CONFIG_HOME", "XDG_STATE_HOME"):
        env.pop(name, None)
    env.update(env_extra or {})
    p = subprocess.run([TOOL] + args, input=stdin, capture_output=True, text=True, env=env, timeout=timeout)
    if KEY in p.stdout or KEY in p.stderr:
        failures.append("API key printed by: %s" % " ".join(args))
    return p.returncode, p.stdout, p.stderr


def run_json(args, **kw):
    rc, out, err = run(args, **kw)
    try:
        return rc, json.loads(out), err
    except ValueError:
        return rc, None, err + "\n[stdout not JSON]\n" + out


def counters():
    with urllib.request.urlopen(URL + "/_mock/counters", timeout=10) as r:
        return json.load(r)["data"]


def reset_counters():
    req = urllib.request.Request(URL + "/_mock/reset", data=b"{}", method="POST")
    urllib.request.urlopen(req, timeout=10).read()


mock = subprocess.Popen([MOCK, "--port", "0", "--duration-ms", "200", "--max-running", "0"],
                        stdout=subprocess.PIPE, text=True)
try:
    URL = mock.stdout.readline().strip()
    check(URL.startswith("http://127.0.0.1:"), "mock started at %s" % URL)
    SLUG = "bytedance/seedream-4.5-t2i"
    BODY = '{"prompt":"a red fox"}'

    # ---- model run ----
    rc, doc, err = run_json(["model", "run", SLUG, "--body", BODY])
    check(rc == 0 and doc and doc["data"]["status"] == "pending" and doc["data"]["task_id"],
          "model run: raw submit JSON, exit 0 (%d %s)" % (rc, err.strip()))
    rc, doc, err = run_json(["model", "run", SLUG, "--body", BODY, "--wait", "--interval", "100ms"])
    check(rc == 0 and doc and doc["data"]["status"] == "success" and doc["data"]["result"]["resources"],
          "model run --wait: terminal JSON, exit 0 (%d %s)" % (rc, err.strip()))
    rc, out, err = run(["model", "invoke", SLUG, "--body-file", "-", "--output", "task-id"], stdin=BODY)
    task_id = out.strip()
    check(rc == 0 and task_id.startswith("task-") and "\n" not in task_id,
          "model invoke --body-file - --output task-id: only the id (%d %r)" % (rc, out))
    rc, doc, err = run_json(["model", "run", SLUG, "--body", '{"prompt":"x","mock_outcome":"failed"}', "--wait",
                             "--interval", "100ms"])
    check(rc == 1 and doc and doc["data"]["status"] == "failed", "model run --wait, failed task: JSON, exit 1")
    rc, out, err = run(["model", "run", SLUG, "--body", '{"prompt":"x","mock_duration_ms":60000}', "--wait",
                        "--timeout", "500ms"])
    check(rc == 124 and "modellix task wait task-" in err, "model run --wait timeout: exit 124 + resume hint")
    rc, out, err = run(["model", "run", SLUG, "--body", "[1]"])
    check(rc == 1 and "JSON object" in err, "model run: body not an object, exit 1")
    rc, out, err = run(["model", "run", SLUG, "--body", BODY, "--wait", "--timeout", "1.5m"])
    check(rc == 2 and "Invalid timeout" in err, "model run: bad duration, exit 2 (a usage error)")

    # ---- model batch ----
    lines = "\n".join(json.dumps({"modelSlug": s, "body": {"prompt": p}}) for s, p in
                      [(SLUG, "one"), ("google/nano-banana-2", "two"), ("alibaba/qwen-image-plus", "three")]) + "\n"
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False) as f:
        f.write(lines)
        batch_file = f.name
    reset_counters()
    rc, out, err = run(["model", "batch", batch_file])
    check(rc == 2 and "Refusing to submit 3 potentially paid tasks without --max-tasks or explicit --yes." in err,
          "model batch without --yes/--max-tasks: exit 2")
    check(counters()["requests"]["submit"] == 0, "model batch guard: nothing submitted")
    rc, doc, err = run_json(["model", "batch", batch_file, "--yes", "--wait", "--interval", "100ms"])
    ok = rc == 0 and doc and doc["total"] == 3 and doc["succeeded"] == 3 and doc["failed"] == 0
    if ok:
        for i, t in enumerate(doc["tasks"]):
            ok = ok and t["index"] == i + 1 and t["ok"] is True and t["status"] == "success" and \
                t["submissionState"] == "accepted" and t["taskId"].startswith("task-") and \
                len(t["resourceUrls"]) == 1 and "error" not in t
        ok = ok and [t["modelSlug"] for t in doc["tasks"]] == [SLUG, "google/nano-banana-2", "alibaba/qwen-image-plus"]
    check(ok, "model batch --yes --wait: 3 tasks in input order (%d %s)" % (rc, err.strip()))
    rc, doc, err = run_json(["model", "batch", "-", "--max-tasks", "5", "--concurrency", "2"], stdin=lines)
    check(rc == 0 and doc and all(t["status"] == "submitted" and "resourceUrls" not in t for t in doc["tasks"]),
          "model batch - --max-tasks: submitted, exit 0")
    reset_counters()
    bad = json.dumps({"modelSlug": SLUG, "body": {"prompt": "a"}}) + "\n" + \
        json.dumps({"modelSlug": "not-a-slug", "body": {"prompt": "secret-prompt"}}) + "\n"
    rc, out, err = run(["model", "batch", "-", "--yes"], stdin=bad)
    check(rc == 1 and "line 2" in err and "secret-prompt" not in err and "not-a-slug" not in err,
          "model batch: bad slug names the line, no content echoed (%d %s)" % (rc, err.strip()))
    check(counters()["requests"]["submit"] == 0, "model batch validation: zero submits")
    rc, out, err = run(["model", "batch", "-", "--yes"], stdin='{"modelSlug":"a/b","body":[]}\n')
    check(rc == 1 and "line 1" in err, "model batch: body not an object")
    rc, out, err = run(["model", "batch", "-", "--yes", "--concurrency", "11"], stdin=lines)
    check(rc == 2, "model batch: --concurrency out of range, exit 2")

    # ---- model list / describe ----
    rc, doc, err = run_json(["model", "list", "--type", "TEXT-to-video", "--limit", "2"])
    check(rc == 0 and doc and len(doc["models"]) == 2 and all(m["type"] == "text-to-video" for m in doc["models"]),
          "model list --type --limit")
    rc, out, err = run(["model", "list", "--provider", "google", "--output", "slugs"])
    check(rc == 0 and out.split() == ["google/nano-banana-2", "google/nano-banana-2-edit"], "model list --output slugs")
    rc, doc, err = run_json(["model", "describe", "GOOGLE/Nano-Banana-2", "--json"])
    check(rc == 0 and doc and doc["slug"] == "google/nano-banana-2" and "docs_url" in doc, "model describe --json")
    rc, out, err = run(["model", "describe", "google/nano-banana-2"])
    check(rc == 0 and "slug: google/nano-banana-2" in out, "model describe human")
    rc, out, err = run(["model", "describe", "google/no-such-model"])
    check(rc == 2 and "Model not found: google/no-such-model" in err, "model describe not found: exit 2")

    # ---- task get / wait ----
    rc, doc, err = run_json(["task", "get", task_id])
    check(rc == 0 and doc and doc["data"]["task_id"] == task_id, "task get: raw JSON")
    rc, doc, err = run_json(["task", "get", "task-does-not-exist"])
    check(rc == 1, "task get unknown id: exit 1")
    rc, doc, err = run_json(["task", "wait", task_id, "--interval", "100ms"])
    check(rc == 0 and doc and doc["data"]["status"] == "success", "task wait one id: raw terminal JSON")
    rc2, out2, _ = run(["model", "run", "google/nano-banana-2", "--body", '{"prompt":"b","mock_resources":2}',
                        "--output", "task-id"])
    second = out2.strip()
    rc, doc, err = run_json(["task", "wait", task_id, second, task_id, "--interval", "100ms"])
    check(rc == 0 and doc and [t["taskId"] for t in doc["tasks"]] == [task_id, second] and
          all(t["response"]["data"]["status"] == "success" for t in doc["tasks"]),
          "task wait several ids: {tasks:[{response,taskId}]}, de-duplicated")
    _, out3, _ = run(["model", "run", SLUG, "--body", '{"prompt":"slow","mock_duration_ms":600000}', "--output",
                      "task-id"])
    slow = out3.strip()
    rc, doc, err = run_json(["task", "wait", task_id, slow, "--timeout", "1s", "--interval", "100ms"])
    check(rc == 124 and doc and doc["ok"] is False and doc["error"]["code"] == "TASK_WAIT_TIMEOUT" and
          doc["error"]["exitCode"] == 124 and doc["unfinishedTaskIds"] == [slow] and
          [c["taskId"] for c in doc["completed"]] == [task_id] and doc["completed"][0]["status"] == "success",
          "task wait timeout: partial JSON, exit 124 (%d)" % rc)
    _, out4, _ = run(["model", "run", SLUG, "--body", '{"prompt":"f","mock_outcome":"failed"}', "--output", "task-id"])
    rc, doc, err = run_json(["task", "wait", out4.strip(), task_id, "--interval", "100ms"])
    check(rc == 1 and doc and len(doc["tasks"]) == 2, "task wait with a failed task: exit 1")

    # ---- task download ----
    with tempfile.TemporaryDirectory() as d:
        outdir = os.path.join(d, "out", "nested")
        rc, doc, err = run_json(["task", "download", second, "--output-dir", outdir, "--json"])
        ok = rc == 0 and doc and doc["ok"] is True and doc["taskId"] == second and \
            doc["outputDirectory"] == os.path.realpath(outdir) and len(doc["files"]) == 2
        if ok:
            for f in doc["files"]:
                ok = ok and os.path.isabs(f["path"]) and os.path.isfile(f["path"]) and \
                    os.path.getsize(f["path"]) == f["bytes"] > 0 and f["type"] == "image"
        check(ok, "task download --json: shape and files (%d %s)" % (rc, err.strip()))
        rc, out, err = run(["task", "download", second, "--output-dir", outdir])
        check(rc == 0 and out.startswith("Downloaded 2 resource(s) to %s:" % os.path.realpath(outdir)) and
              len(os.listdir(outdir)) == 4, "task download again: human output, new names, no overwrite")
        rc, out, err = run(["task", "download", slow, "--output-dir", outdir])
        check(rc == 1 and "is not complete" in err, "task download of a running task: exit 1")

    # ---- doctor ----
    rc, out, err = run(["doctor"])
    check(rc == 0 and "[PASS] validation" in out and "$12.3456 USD" in out, "doctor: all checks pass")
    rc, doc, err = run_json(["doctor", "--json"])
    check(rc == 0 and doc and doc["ok"] is True and doc["apiKeySource"] == "environment", "doctor --json")
    rc, out, err = run(["doctor"], env_extra={"MODELLIX_API_KEY": ""})
    check(rc == 1 and "[FAIL] apiKey" in out, "doctor without a key: exit 1")

    # ---- global behaviour ----
    rc, out, err = run(["modle", "run"])
    check(rc == 127 and "Did you mean model run?" in err, "unknown command: exit 127 with a suggestion")
    rc, doc, err = run_json(["--json", "task", "get", "task-does-not-exist"])
    check(rc == 1 and doc == {"error": {"exitCode": 1, "message": doc["error"]["message"]}, "ok": False} if doc
          else False, "--json failure envelope")
    rc, doc, err = run_json(["model", "describe", "a/b", "--json"])
    check(rc == 2 and doc and doc["error"]["exitCode"] == 2, "--json envelope carries exit code 2")
    rc, out, err = run(["task", "get", task_id, "--no-such-flag"])
    check(rc == 2, "unknown flag: exit 2")
    rc, out, err = run(["--version"])
    check(rc == 0 and out.startswith("modellix/"), "--version")
    rc, out, err = run(["model", "run", "--help"])
    check(rc == 0 and "model run" in out, "--help")
    rc, out, err = run(["task", "get", task_id, "--api-key", "other-key-xyz", "--base-url", URL, "-q"])
    check(rc == 0 and out.strip() != "" and "other-key-xyz" not in out + err, "--api-key/--base-url/-q anywhere")
finally:
    mock.terminate()  # by PID
    try:
        mock.wait(timeout=10)
    except subprocess.TimeoutExpired:
        mock.kill()
        mock.wait()
    try:
        os.unlink(batch_file)
    except (NameError, OSError):
        pass
    shutil.rmtree(HOME, True)

print("%d failure(s)" % len(failures))
for f in failures:
    print("  " + f)
sys.exit(1 if failures else 0)
