"""The MODELLIX_1.1 calls through the binding: the task journal (options, reading, clearing, resuming with
attach_pending), poll statistics export/import, the per-task poll schedule, the proxy options, and the
lifecycle calls (wait_all_report, unwatch, warning, resume, halted, pending_count)."""

import json
import os
import shutil
import tempfile
import unittest

from mockserver import KEY, SLUG, MockTestCase
import modellix
from modellix import JournalState, TaskState, journal


class JournalTest(MockTestCase):
    MOCK_ARGS = ("--duration-ms", "100", "--max-running", "0")

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="modellix-py-journal-")
        self.addCleanup(shutil.rmtree, self.dir)
        self.path = os.path.join(self.dir, "sub", "journal")

    def client(self, **kw):
        c = modellix.Client(api_key=KEY, base_url=self.mock.url, **kw)
        self.addCleanup(c.close)
        return c

    def test_journal_records_and_resume(self):
        self.assertEqual(len(journal.read(self.path)), 0)          # a missing file reads as empty
        with modellix.Client(api_key=KEY, base_url=self.mock.url, journal_path=self.path, journal_profile="py",
                             journal_sync=modellix.JournalSync.ALL) as a:
            done = a.submit(SLUG, {"prompt": "journaled"}).wait(20000)
            pending = a.submit(SLUG, {"prompt": "left running", "mock_duration_ms": 400})
            done_id, pending_id = done.id, pending.id
        self.assertEqual(oct(os.stat(self.path).st_mode & 0o777), "0o600")
        j = journal.read(self.path)
        self.assertEqual(j.skipped, 0)
        self.assertEqual([e.task_id for e in j], [done_id, pending_id])
        self.assertEqual([e.state for e in j], [JournalState.SUCCESS, JournalState.ACCEPTED])
        for e in j:
            self.assertEqual((e.model_slug, e.base_url, e.profile, e.pid), (SLUG, self.mock.url, "py", os.getpid()))
            self.assertTrue(e.intent_id)
            self.assertGreaterEqual(e.updated_ms, e.created_ms)
        with open(self.path) as f:
            self.assertNotIn(KEY, f.read())
        # another profile resumes nothing; the same profile resumes the accepted entry
        self.assertEqual(self.client(journal_path=self.path, journal_profile="other").attach_pending(), [])
        b = self.client(journal_path=self.path, journal_profile="py")
        resumed = b.attach_pending()
        self.assertEqual([t.id for t in resumed], [pending_id])
        b.wait_all(resumed, 20000)
        self.assertEqual(resumed[0].status, TaskState.SUCCESS)
        self.assertEqual([e.state for e in journal.read(self.path)], [JournalState.SUCCESS, JournalState.SUCCESS])
        journal.clear(self.path)
        self.assertEqual(len(journal.read(self.path)), 0)
        with self.assertRaises(modellix.StateError):
            self.client().attach_pending()                          # no journal

    def test_poll_stats_round_trip(self):
        a = self.client()
        tasks = [a.submit_async(SLUG, {"prompt": "stats %d" % i}) for i in range(3)]
        a.wait_all(tasks, 20000)
        stats = a.poll_stats_export()
        self.assertEqual(stats["version"], 1)
        self.assertEqual([m["slug"] for m in stats["models"]], [SLUG])
        self.assertEqual(len(stats["models"][0]["durations_ms"]), 3)
        self.assertNotIn("task-", json.dumps(stats))                 # no task ids leave
        b = self.client()
        self.assertEqual(b.poll_stats_export()["models"], [])
        b.poll_stats_import(stats)
        self.assertEqual(b.poll_stats_export(), stats)
        with self.assertRaises(modellix.InvalidArgumentError) as cm:
            b.poll_stats_import({"version": 2, "models": []})
        self.assertTrue(cm.exception.message)
        self.assertEqual(b.poll_stats_export(), stats)              # all or nothing

    def test_poll_schedule_task(self):
        seen = []

        def schedule(task, age_ms, polls):
            seen.append((task.id, task.model, polls))
            return 20
        c = self.client(poll_schedule_task=schedule)
        t = c.submit(SLUG, {"prompt": "per task", "mock_duration_ms": 200})
        polls = self.mock.requests("task")
        t.wait(20000)
        self.assertGreaterEqual(self.mock.requests("task") - polls, 4)
        self.assertTrue(seen)
        self.assertEqual({(i, m) for i, m, _ in seen}, {(t.id, SLUG)})

    def test_proxy_options(self):
        dead = "http://127.0.0.1:9"                                  # nothing listens there
        submits = self.mock.requests("submit")
        with self.assertRaises(modellix.NetworkError):
            self.client(proxy=dead, no_proxy="example.invalid").submit(SLUG, {"prompt": "via a dead proxy"})
        self.assertEqual(self.mock.requests("submit"), submits)      # nothing reached the service
        ok = self.client(proxy=dead, no_proxy="127.0.0.1").submit(SLUG, {"prompt": "no proxy for loopback"})
        self.assertTrue(ok.id)
        os.environ["http_proxy"] = dead
        try:
            ok = self.client(proxy_from_env=False).submit(SLUG, {"prompt": "environment ignored"})
            self.assertTrue(ok.id)
        finally:
            del os.environ["http_proxy"]
        self.assertEqual(self.mock.requests("submit"), submits + 2)
        with self.assertRaises(modellix.InvalidArgumentError):
            self.client(proxy="ftp://nowhere")

    def test_api_http1_reaches_the_library(self):
        # Over the mock's plain HTTP/1.1 the option changes nothing on the wire (tests/h2 shows its
        # effect through nginx); here: the value reaches modellix_options_set_api_http1, and a client
        # with it submits as any other.
        real = modellix._lib.C.options_set_api_http1
        seen = []

        def spy(opts, yes):
            seen.append(yes)
            return real(opts, yes)
        spy.__name__ = "options_set_api_http1"
        modellix._lib.C.options_set_api_http1 = spy
        try:
            submits = self.mock.requests("submit")
            on = self.client(api_http1=True).submit(SLUG, {"prompt": "over HTTP/1.1"})
            self.client(api_http1=False)
            self.client()
        finally:
            modellix._lib.C.options_set_api_http1 = real
        self.assertEqual(seen, [1, 0])                               # not called when not given
        self.assertTrue(on.id)
        self.assertEqual(self.mock.requests("submit"), submits + 1)


class LifecycleTest(MockTestCase):
    """The 1.1 calls of the task lifecycle work (issue 12): wait_all_report, unwatch, warning, the
    halted submission queue and resume, pending_count."""

    MOCK_ARGS = ("--duration-ms", "100", "--max-running", "0")

    def setUp(self):
        self.mock.control("DELETE", "/_mock/faults")
        self.client = modellix.Client(api_key=KEY, base_url=self.mock.url, max_in_flight=1)
        self.addCleanup(self.client.close)

    def test_wait_all_report(self):
        ok = self.client.submit_async(SLUG, {"prompt": "ok"})
        bad = self.client.submit_async(SLUG, {"prompt": "bad", "mock_outcome": "failed"})
        self.assertEqual(self.client.pending_count, 2)
        self.assertEqual(self.client.wait_all_report([ok, bad], 20000), 1)
        self.assertEqual(self.client.pending_count, 0)
        self.assertEqual((ok.status, bad.status), (TaskState.SUCCESS, TaskState.FAILED))

    def test_a_timed_out_wait_leaves_the_task_pollable(self):
        t = self.client.submit(SLUG, {"prompt": "long", "mock_duration_ms": 60000})
        with self.assertRaises(modellix.DeadlineError):
            t.wait(200)
        polls = self.mock.requests("task")
        self.assertIn(t.poll(), (TaskState.PENDING, TaskState.PROCESSING))   # not watched any more
        self.assertEqual(self.mock.requests("task"), polls + 1)
        t.watch()
        with self.assertRaises(modellix.StateError):
            t.poll()                                                         # watched by the application
        t.unwatch()
        t.poll()

    def test_warning(self):
        self.assertIsNone(self.client.submit(SLUG, {"prompt": "plain"}).warning)
        body = {"code": 0, "message": "success", "data": {"task_id": "task-odd-1", "status": 12345}}
        self.mock.control("POST", "/_mock/faults", {"route": "submit", "kind": "status", "status": 200, "body": body,
                                                     "count": 1})
        t = self.client.submit(SLUG, {"prompt": "odd answer"})
        self.assertEqual(t.id, "task-odd-1")                                  # accepted all the same
        self.assertIn("status", t.warning)

    def test_halted_queue_and_resume(self):
        self.mock.control("POST", "/_mock/faults", {"route": "submit", "kind": "status", "status": 503, "count": 1,
                                                     "after_create": True})
        lost = self.client.submit_async(SLUG, {"prompt": "lost answer"})
        queued = self.client.submit_async(SLUG, {"prompt": "queued behind it"})
        self.assertFalse(self.client.halted)
        self.client.wait_all([lost, queued], 20000)
        self.assertEqual(lost.submit_state, modellix.SubmitState.UNKNOWN)
        self.assertEqual(queued.submit_state, modellix.SubmitState.SKIPPED)
        self.assertTrue(self.client.halted)
        created = self.mock.counters()["tasks_created"]
        self.client.resume()
        self.assertFalse(self.client.halted)
        again = self.client.submit_async(SLUG, {"prompt": "after resume"})
        self.client.wait_all([again], 20000)
        self.assertEqual(again.status, TaskState.SUCCESS)
        self.assertEqual(self.mock.counters()["tasks_created"], created + 1)


if __name__ == "__main__":
    unittest.main(verbosity=2)
