#!/usr/bin/env python3
"""Conformance check: the seed client invoke_and_poll.py (vendored beside this file) completes a task
against the standalone modellix-mock.

usage: run_seed.py MODELLIX_MOCK INVOKE_AND_POLL_PY

Starts `modellix-mock --port 0 --duration-ms 300`, reads its base URL from the first stdout line, runs the
script with --mode rest, and checks that it exits 0 and prints JSON whose status is "success". Prints
TAP-free plain lines and exits non-zero on failure. The mock is always stopped (SIGTERM, then SIGKILL).
"""
import json
import os
import signal
import subprocess
import sys


def main() -> int:
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    mock_bin, script = sys.argv[1], sys.argv[2]
    mock = subprocess.Popen([mock_bin, "--port", "0", "--duration-ms", "300"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        url = mock.stdout.readline().strip()
        if not url.startswith("http://127.0.0.1:"):
            print(f"FAIL: unexpected first line from the mock: {url!r}")
            return 1
        env = dict(os.environ, MODELLIX_BASE_URL=url, MODELLIX_API_KEY="conformance-key")
        proc = subprocess.run([sys.executable, script, "--mode", "rest", "--model-slug",
                               "bytedance/seedream-4.5-t2i", "--body", '{"prompt":"a fox"}',
                               "--initial-wait", "0.2", "--timeout-seconds", "30"],
                              env=env, capture_output=True, text=True, timeout=50)
        if proc.returncode != 0:
            print(f"FAIL: invoke_and_poll.py exited {proc.returncode}: {proc.stderr.strip()}")
            return 1
        out = json.loads(proc.stdout)
        if out.get("status") != "success" or not out.get("resources"):
            print(f"FAIL: unexpected output: {proc.stdout}")
            return 1
        # the poll went to get_result.url, which must be the mock's own origin
        poll_url = out["raw"]["submit"]["data"]["get_result"]["url"]
        if not poll_url.startswith(url + "/api/v1/tasks/"):
            print(f"FAIL: get_result.url {poll_url!r} is not on {url}")
            return 1
        print(f"ok: task {out['task_id']} reached success via {url}")
        return 0
    finally:
        mock.send_signal(signal.SIGTERM)
        try:
            rc = mock.wait(timeout=10)
            if rc != 0:
                print(f"FAIL: the mock exited {rc} on SIGTERM")
                sys.exit(1)
        except subprocess.TimeoutExpired:
            mock.kill()
            mock.wait()
            print("FAIL: the mock did not stop on SIGTERM")
            sys.exit(1)


if __name__ == "__main__":
    sys.exit(main())
