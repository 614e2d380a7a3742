#!/usr/bin/env python3
"""Run one example program (examples/*.c) the way a user runs it: against a server named by
MODELLIX_BASE_URL with a key in MODELLIX_API_KEY. The server is the standalone mock, started here
(loopback, any free port), prepared for the scenario (faults, a ready task), and asked afterwards
what it counted; the program's output and files are checked too.

usage: run_example.py MOCK SCENARIO PROGRAM WORKDIR
Scenarios: minimal, minimal-download-fails, quickstart, batch, event_loop, download, retry_policy,
retry_policy-lost-answer. Exit status 0 (pass) or 1 (fail, with the reason).
MX_EXAMPLE_WRAPPER, when set, is a command line the program runs under (valgrind in CI).
"""
import glob
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import urllib.request

KEY = "sk-example-test"


class Mock:
    def __init__(self, exe, *args):
        self.proc = subprocess.Popen([exe, "--port", "0", *args], stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, text=True)
        self.url = self.proc.stdout.readline().strip()
        if not self.url.startswith("http://127.0.0.1:"):
            self.stop()
            raise SystemExit(f"FAIL: the mock did not print its URL (got {self.url!r})")

    def call(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.url + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=10) as r:
            return json.load(r)["data"]

    def counters(self):
        return self.call("GET", "/_mock/counters")

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)


def run(program, args, mock, cwd, timeout=600):
    env = dict(os.environ, MODELLIX_API_KEY=KEY, MODELLIX_BASE_URL=mock.url)
    wrapper = shlex.split(os.environ.get("MX_EXAMPLE_WRAPPER", ""))
    p = subprocess.run([*wrapper, program, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    sys.stdout.write(f"$ {os.path.basename(program)} {' '.join(args)}  (exit {p.returncode})\n")
    sys.stdout.write(p.stdout)
    sys.stdout.write("".join("stderr: " + line + "\n" for line in p.stderr.splitlines()))
    return p


class Check:
    def __init__(self):
        self.failures = []

    def __call__(self, cond, what):
        if not cond:
            self.failures.append(what)


def png_files(directory):
    files = sorted(glob.glob(os.path.join(directory, "*")))
    return [f for f in files if open(f, "rb").read(8) == b"\x89PNG\r\n\x1a\n"]


def main(argv):
    if len(argv) != 5:
        print(__doc__, file=sys.stderr)
        return 2
    mock_exe, scenario, program, work = argv[1], argv[2], os.path.abspath(argv[3]), os.path.abspath(argv[4])
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    check = Check()
    mock = Mock(mock_exe, "--duration-ms", "400")
    try:
        if scenario == "minimal":
            p = run(program, [], mock, work)
            check(p.returncode == 0, "exit status 0")
            m = re.search(r"^saved (\S+)$", p.stdout, re.M)
            check(m is not None, "prints 'saved PATH'")
            check(len(png_files(work)) == 1, "one PNG in the working directory")
        elif scenario == "minimal-download-fails":
            # the paid task is accepted and succeeds, then its download fails: the id must be printed
            mock.call("POST", "/_mock/faults", {"route": "file", "kind": "status", "status": 404, "count": 0})
            p = run(program, [], mock, work)
            check(p.returncode == 1, "exit status 1")
            c = mock.counters()
            check(c["tasks_created"] == 1, f"the mock created one task (created {c['tasks_created']})")
            ids = re.findall(r"^task id: (\S+)$", p.stderr, re.M)
            check(len(ids) == 1 and ids[0].startswith("task-"), "prints 'task id: ID' on stderr")
            check(png_files(work) == [], "no file is left in the working directory")
        elif scenario == "quickstart":
            out = os.path.join(work, "out")
            p = run(program, ["--out", out], mock, work)
            check(p.returncode == 0, "exit status 0")
            check(re.search(r"^Task task-\S+ accepted", p.stdout, re.M) is not None, "prints the accepted task id")
            check(len(png_files(out)) == 1, "one PNG in --out")
            c = mock.counters()
            check(c["requests"]["submit"] == 1 and c["tasks_created"] == 1, "one submission, one task")
        elif scenario == "batch":
            p = run(program, ["one fox", "two foxes", "three foxes", "four foxes", "five foxes"], mock, work)
            check(p.returncode == 0, "exit status 0")
            lines = re.findall(r"^\[(\d)/5\] (task-\S+) success", p.stdout, re.M)
            check(len(lines) == 5 and len({i for _, i in lines}) == 5, "5 progress lines, 5 distinct task ids")
            check("Summary: 5 succeeded, 0 failed" in p.stdout, "the summary counts 5 successes")
            c = mock.counters()
            check(c["requests"]["submit"] == 5 and c["tasks_created"] == 5, "5 submissions, 5 tasks")
            check(c["status"]["submit"].get("429", 0) == 0, "no submission drew a 429 (3 at a time)")
        elif scenario == "event_loop":
            p = run(program, ["3"], mock, work)
            check(p.returncode == 0, "exit status 0")
            check("done: 3 of 3 succeeded" in p.stdout, "3 of 3 succeeded")
            check(mock.counters()["tasks_created"] == 3, "3 tasks created")
        elif scenario == "download":
            mock.call("POST", "/_mock/tasks", {"task_id": "task-ready-1", "model": "bytedance/seedream-4.5-t2i",
                                               "status": "success", "resources": 2})
            out = os.path.join(work, "out")
            p = run(program, ["task-ready-1", out], mock, work)
            check(p.returncode == 0, "exit status 0")
            check(len(png_files(out)) == 2, "two PNGs in DIR")
            p = run(program, ["task-ready-1", out], mock, work)
            check(p.returncode == 1 and "already in" in p.stderr, "a second run refuses to overwrite")
            p = run(program, ["--force", "task-ready-1", out], mock, work)
            check(p.returncode == 0, "--force replaces them")
            c = mock.counters()
            check(c["requests"]["submit"] == 0 and c["tasks_created"] == 0, "nothing was submitted (downloads are free)")
        elif scenario == "retry_policy":
            mock.call("POST", "/_mock/faults", [
                {"route": "submit", "kind": "status", "status": 429, "count": 1, "headers": {"Retry-After": "1"}},
                {"route": "task", "kind": "status", "status": 503, "count": 2}])
            p = run(program, [], mock, work)
            check(p.returncode == 0, "exit status 0")
            check(re.search(r"attempt 1 of submit failed: throttled \(HTTP 429\), server hint \d+ ms -> retry",
                            p.stdout) is not None, "the 429 is retried after the server's hint")
            check(len(re.findall(r"of poll failed: outcome unknown \(HTTP 503\)", p.stdout)) == 2,
                  "the two 503s on status queries are retried")
            c = mock.counters()
            check(c["tasks_created"] == 1 and c["requests"]["submit"] == 2, "2 submit requests, 1 task")
        elif scenario == "retry_policy-lost-answer":
            mock.call("POST", "/_mock/faults", {"route": "submit", "kind": "status", "status": 503, "count": 1,
                                                "after_create": True})
            p = run(program, [], mock, work)
            check(p.returncode == 3, "exit status 3 (outcome unknown)")
            check("outcome unknown" in p.stdout and "not re-sent" in p.stdout, "reports the unknown outcome")
            c = mock.counters()
            check(c["requests"]["submit"] == 1 and c["tasks_created"] == 1, "sent once, one task: not re-sent")
        else:
            print(f"unknown scenario {scenario}", file=sys.stderr)
            return 2
    finally:
        mock.stop()
    for f in check.failures:
        print(f"FAIL: {scenario}: {f}")
    if not check.failures:
        print(f"PASS: {scenario}")
    return 1 if check.failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
