"""Shared harness of the modellix tool's tests: the standalone mock server, running the tool, the
mock's counters and control interface, and the check/report helpers.

Every run of the tool is checked for the API key in its stdout and stderr (the key is never printed)."""
import atexit
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

TOOL, MOCK = sys.argv[1], sys.argv[2]
# A private HOME for every run of the tool unless a test gives its own: the saved config and the task
# journal (~/.config/modellix, ~/.local/state/modellix) never touch the real ones.
SCRATCH = tempfile.mkdtemp(prefix="modellix-cli-test-")
atexit.register(shutil.rmtree, SCRATCH, True)
# The sentinel that CI greps for: it must never appear in any output or file.
KEY = "SENTINEL-7f3a9c1e5b-cli-0123456789"
SLUG = "bytedance/seedream-4.5-t2i"
failures = []


def check(cond, what):
    print(("ok     " if cond else "FAILED ") + what, flush=True)
    if not cond:
        failures.append(what)


class Mock:
    """modellix-mock on a free loopback port, stopped by its PID."""

    def __init__(self, *extra):
        self.proc = subprocess.Popen([MOCK, "--port", "0"] + list(extra), stdout=subprocess.PIPE, text=True)
        self.url = self.proc.stdout.readline().strip()
        if not self.url.startswith("http://127.0.0.1:"):
            raise RuntimeError("mock did not start: %r" % self.url)

    def get(self, path):
        with urllib.request.urlopen(self.url + path, timeout=10) as r:
            return json.load(r)["data"]

    def post(self, path, doc):
        req = urllib.request.Request(self.url + path, data=json.dumps(doc).encode(), method="POST")
        with urllib.request.urlopen(req, timeout=10) as r:
            return json.load(r)

    def delete(self, path):
        req = urllib.request.Request(self.url + path, method="DELETE")
        urllib.request.urlopen(req, timeout=10).read()

    def counters(self):
        return self.get("/_mock/counters")

    def reset(self):
        self.post("/_mock/reset", {})
        self.delete("/_mock/faults")

    def task_exists(self, task_id):
        """The mock knows this task (GET with any well-formed key)."""
        req = urllib.request.Request(self.url + "/api/v1/tasks/" + urllib.request.quote(task_id, safe=""),
                                     headers={"Authorization": "Bearer probe-key"})
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return json.load(r)["data"]["task_id"] == task_id
        except urllib.error.HTTPError:
            return False

    def wait_for(self, pred, timeout=10.0):
        """Poll the counters until pred(counters) holds; returns it (False on timeout)."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if pred(self.counters()):
                return True
            time.sleep(0.02)
        return False

    def stop(self):
        self.proc.terminate()  # by PID
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def tool_env(mock, env_extra=None, home=None):
    env = dict(os.environ)
    env.update({"MODELLIX_API_KEY": KEY, "CI": "1"})
    if mock is not None:
        env["MODELLIX_BASE_URL"] = mock.url
    for name in ("MODELLIX_PROFILE", "XDG_CONFIG_HOME", "XDG_STATE_HOME"):
        env.pop(name, None)
    env["HOME"] = home if home is not None else SCRATCH
    for k, v in (env_extra or {}).items():
        if v is None:
            env.pop(k, None)
        else:
            env[k] = v
    return env


def no_key(text, what):
    if KEY in text:
        failures.append("API key printed by: %s" % what)


def run(mock, args, stdin=None, env_extra=None, home=None, timeout=60):
    p = subprocess.run([TOOL] + args, input=stdin, capture_output=True, text=True,
                       env=tool_env(mock, env_extra, home), timeout=timeout)
    no_key(p.stdout + p.stderr, " ".join(args))
    return p.returncode, p.stdout, p.stderr


def run_json(mock, args, **kw):
    rc, out, err = run(mock, args, **kw)
    try:
        return rc, json.loads(out), err
    except ValueError:
        return rc, None, err + "\n[stdout not JSON]\n" + out


def start(mock, args, env_extra=None, home=None, stdin=None):
    """Start the tool in the background (stdout/stderr captured; stdin text written and closed)."""
    p = subprocess.Popen([TOOL] + args, stdin=subprocess.PIPE if stdin is not None else None,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         env=tool_env(mock, env_extra, home))
    if stdin is not None:
        p.stdin.write(stdin)
        p.stdin.close()
        p.stdin = None
    return p


def finish(p, timeout=30):
    out, err = p.communicate(timeout=timeout)
    no_key(out + err, " ".join(p.args))
    return p.returncode, out, err


def report():
    print("%d failure(s)" % len(failures))
    for f in failures:
        print("  " + f)
    sys.exit(1 if failures else 0)
