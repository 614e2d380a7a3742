"""Ctrl-C during blocking waits: a child process waits on a long task (task.wait, client.wait_all,
client.wait_any), gets SIGINT, and must raise KeyboardInterrupt within 100 ms, with the task still usable
(same id, still pending on the service) afterwards."""

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
import unittest
import urllib.request

from mockserver import KEY, PACKAGE_ROOT, SLUG, Mock

CHILD = textwrap.dedent("""
    import sys, time
    sys.path.insert(0, %(root)r)
    import modellix
    with modellix.Client(api_key=%(key)r, base_url=sys.argv[1]) as client:
        task = client.submit(%(slug)r, {"prompt": "long", "mock_duration_ms": 600000})
        calls = [lambda: task.wait(600000), lambda: client.wait_all([task], 600000),
                 lambda: client.wait_any([task], 600000)]
        for name, call in zip(["wait", "wait_all", "wait_any"], calls):
            print("READY", name, task.id, flush=True)
            try:
                call()
                print("RETURNED", name, flush=True)
            except KeyboardInterrupt:
                caught = time.monotonic()
                print("INTERRUPTED", name, "%%.6f" %% caught, task.id, task.status.name, flush=True)
        try:
            task.wait(50)
        except modellix.DeadlineError as e:
            print("STILL", task.id, e.code.name, flush=True)
""")


class InterruptTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.mock = Mock()

    @classmethod
    def tearDownClass(cls):
        cls.mock.stop()

    def test_sigint_during_waits(self):
        created = self.mock.counters()["tasks_created"]
        script = CHILD % {"root": PACKAGE_ROOT, "key": KEY, "slug": SLUG}
        child = subprocess.Popen([sys.executable, "-c", script, self.mock.url], stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True)
        self.addCleanup(lambda: child.poll() is None and child.kill())
        task_id = None
        latencies = []
        for name in ["wait", "wait_all", "wait_any"]:
            ready = child.stdout.readline().split()
            self.assertEqual(ready[:2], ["READY", name], child.stderr.read() if not ready else ready)
            task_id = task_id or ready[2]
            self.assertEqual(ready[2], task_id)
            time.sleep(0.3)                       # well inside the wait (the C call is running)
            sent = time.monotonic()
            os.kill(child.pid, signal.SIGINT)
            line = child.stdout.readline().split()
            self.assertEqual(line[:2], ["INTERRUPTED", name])
            latency = float(line[2]) - sent
            latencies.append(latency)
            self.assertEqual(line[3], task_id)    # the task keeps its id
            self.assertIn(line[4], ("PENDING", "PROCESSING"))
        line = child.stdout.readline().split()
        self.assertEqual(line, ["STILL", task_id, "ETIMEOUT"])
        out, err = child.communicate(timeout=10)
        self.assertEqual(child.returncode, 0, err)
        for latency in latencies:
            self.assertGreaterEqual(latency, 0.0)
            self.assertLess(latency, 0.100, "Ctrl-C took %.1f ms" % (latency * 1000))
        print("\nSIGINT -> KeyboardInterrupt: %s ms" % ", ".join("%.1f" % (x * 1000) for x in latencies),
              file=sys.stderr)
        self.assertTrue(task_id.startswith("task-"))
        self.assertEqual(self.mock.counters()["tasks_created"], created + 1)   # nothing re-submitted

    def test_sigint_during_a_paid_submit_keeps_the_task(self):
        """SIGINT while the paid POST is in flight: the submission completes, then SubmitInterrupted
        carries the accepted task, so its id is printed, not lost."""
        created = self.mock.counters()["tasks_created"]
        self.mock.control("POST", "/_mock/faults", {"route": "submit", "kind": "stall", "stall_ms": 600, "count": 1})
        self.addCleanup(self.mock.control, "DELETE", "/_mock/faults")
        script = textwrap.dedent("""
            import sys, time
            sys.path.insert(0, %r)
            import modellix
            with modellix.Client(api_key=%r, base_url=sys.argv[1]) as client:
                print("SUBMITTING", flush=True)
                try:
                    client.submit(%r, {"prompt": "paid"})
                    print("NOT INTERRUPTED", flush=True)
                except modellix.SubmitInterrupted as e:
                    print("INTERRUPTED", e.task.id, e.task.submit_state.name, isinstance(e, KeyboardInterrupt),
                          flush=True)
        """) % (PACKAGE_ROOT, KEY, SLUG)
        child = subprocess.Popen([sys.executable, "-c", script, self.mock.url], stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True)
        self.assertEqual(child.stdout.readline().strip(), "SUBMITTING")
        time.sleep(0.3)                            # the POST is stalled by the mock
        os.kill(child.pid, signal.SIGINT)
        out, err = child.communicate(timeout=20)
        self.assertEqual(child.returncode, 0, err)
        words = out.split()
        self.assertEqual(words[0], "INTERRUPTED", out + err)
        self.assertTrue(words[1].startswith("task-"))
        self.assertEqual(words[2:], ["ACCEPTED", "True"])
        self.assertEqual(self.mock.counters()["tasks_created"], created + 1)   # the paid task, id printed
        req = urllib.request.Request(self.mock.url + "/api/v1/tasks/" + words[1],
                                     headers={"Authorization": "Bearer " + KEY})
        with urllib.request.urlopen(req, timeout=5) as r:       # the printed id is the mock's task
            self.assertEqual(json.loads(r.read())["data"]["task_id"], words[1])

    def test_exit_time(self):
        """The whole process ends promptly too (the 100 ms budget plus interpreter shutdown)."""
        script = CHILD % {"root": PACKAGE_ROOT, "key": KEY, "slug": SLUG}
        script = script.replace("except KeyboardInterrupt:", "except ImportError:")   # let it end the process
        child = subprocess.Popen([sys.executable, "-c", script, self.mock.url], stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True)
        ready = child.stdout.readline().split()
        self.assertEqual(ready[:2], ["READY", "wait"])
        time.sleep(0.3)
        sent = time.monotonic()
        os.kill(child.pid, signal.SIGINT)
        out, err = child.communicate(timeout=10)
        took = time.monotonic() - sent
        self.assertNotEqual(child.returncode, 0)
        self.assertIn("KeyboardInterrupt", err)
        self.assertLess(took, 0.100 + 0.400, "exit took %.1f ms" % (took * 1000))


if __name__ == "__main__":
    unittest.main(verbosity=2)
