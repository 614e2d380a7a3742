"""The core of the binding against the standalone mock: submit, wait, results, downloads, batches, errors,
the log callback, cancellation, an event-loop drive, TLS."""

import json
import os
import tempfile
import threading
import unittest

from mockserver import KEY, PNG, SLUG, Mock
import modellix
from modellix import Result


class BindingTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.mock = Mock("--duration-ms", "200")

    @classmethod
    def tearDownClass(cls):
        cls.mock.stop()

    def setUp(self):
        self.lines = []
        self.client = modellix.Client(api_key=KEY, base_url=self.mock.url, log=self._log,
                                      log_level=modellix.LogLevel.DEBUG)

    def tearDown(self):
        self.client.close()
        self.mock.control("DELETE", "/_mock/faults")

    def _log(self, level, message):
        self.lines.append((level, message))

    def test_version(self):
        self.assertRegex(modellix.version(), r"^\d+\.\d+\.\d+")
        self.assertEqual(modellix.strerror(Result.EOUTCOME_UNKNOWN).split()[0].lower(), "the")
        major, minor, patch = modellix.version_info()
        self.assertEqual(modellix.version(), "%d.%d.%d" % (major, minor, patch))

    def test_submit_wait_resources_download(self):
        t = self.client.submit(SLUG, {"prompt": "a red fox in the snow"})
        self.assertTrue(t.id)
        self.assertEqual(t.model, SLUG)
        self.assertIs(t.wait(timeout_ms=20000), t)
        self.assertEqual(t.status, modellix.TaskState.SUCCESS)
        self.assertEqual(t.status_text, "success")
        self.assertIn(t.id, t.json)
        self.assertEqual(json.loads(t.json)["data"]["task_id"], t.id)
        res = t.resources
        self.assertEqual(len(res), 1)
        self.assertEqual(set(res[0]), {"url", "type", "format", "role", "width", "height"})
        self.assertEqual((res[0]["type"], res[0]["format"], res[0]["role"]), ("image", "png", "primary"))
        self.assertEqual((res[0]["width"], res[0]["height"]), (256, 256))
        self.assertTrue(res[0]["url"].startswith(self.mock.url + "/files/"))
        with tempfile.TemporaryDirectory() as d:
            path = t.download(0, d)
            self.assertEqual(os.path.dirname(path), d)
            with open(path, "rb") as f:
                on_disk = f.read()
            self.assertEqual(on_disk[:8], PNG)
            with self.assertRaises(modellix.ExistsError) as cm:   # never replaced unless asked
                t.download(0, d)
            self.assertEqual(cm.exception.code, Result.EEXIST)
            self.assertEqual(t.download(0, d, overwrite=True), path)
        data = t.download_bytes(0)
        self.assertEqual(data[:8], PNG)
        self.assertEqual(data, on_disk)

    def test_batch_submit_async_wait_all(self):
        done = []
        with modellix.Client(api_key=KEY, base_url=self.mock.url, max_in_flight=3, on_done=done.append) as c:
            tasks = [c.submit_async(SLUG, {"prompt": "batch %d" % i, "mock_duration_ms": 100}) for i in range(5)]
            self.assertEqual(tasks[4].submit_state, modellix.SubmitState.QUEUED)
            self.assertIsNone(tasks[4].id)
            self.assertEqual(modellix.wait_all(tasks, 30000), tasks)
            for t in tasks:
                self.assertEqual(t.status, modellix.TaskState.SUCCESS)
                self.assertEqual(t.submit_state, modellix.SubmitState.ACCEPTED)
                self.assertTrue(t.done)
                self.assertIsNone(t.error)
            self.assertEqual(len({t.id for t in tasks}), 5)
            self.assertEqual(sorted(id(t) for t in done), sorted(id(t) for t in tasks))
        self.assertTrue(all("closed" in repr(t) for t in tasks))   # closing the client freed them
        with self.assertRaises(modellix.StateError):
            tasks[0].status

    def test_wait_any(self):
        slow = self.client.submit_async(SLUG, {"prompt": "slow", "mock_duration_ms": 3000})
        fast = self.client.submit_async(SLUG, {"prompt": "fast", "mock_duration_ms": 50})
        self.assertEqual(self.client.wait_any([slow, fast], 20000), 1)
        self.assertEqual(fast.status, modellix.TaskState.SUCCESS)
        self.assertNotEqual(slow.status, modellix.TaskState.SUCCESS)
        with self.assertRaises(modellix.DeadlineError) as cm:
            modellix.wait_all([slow], 100)
        self.assertEqual(cm.exception.code, Result.ETIMEOUT)
        self.assertIsInstance(cm.exception, TimeoutError)

    def test_attach_by_id(self):
        first = self.client.submit(SLUG, {"prompt": "attach me"}).wait(20000)
        again = self.client.attach(first.id)
        self.assertEqual(again.status, modellix.TaskState.UNKNOWN)
        self.assertIsNone(again.model)
        self.assertEqual(again.poll(), modellix.TaskState.SUCCESS)
        self.assertEqual(again.resources, first.resources)
        with self.assertRaises(modellix.NotFoundError) as cm:
            self.client.attach("task-does-not-exist").wait(5000)
        self.assertEqual(cm.exception.code, Result.ENOTFOUND)
        self.assertEqual(cm.exception.http_status, 404)

    def test_bad_slug_is_einval(self):
        with self.assertRaises(modellix.InvalidArgumentError) as cm:
            self.client.submit("no slug here", {"prompt": "x"})
        e = cm.exception
        self.assertIsInstance(e, modellix.ModellixError)
        self.assertEqual(e.code, Result.EINVAL)
        self.assertTrue(e.message)
        with self.assertRaises(modellix.InvalidArgumentError):
            self.client.submit(SLUG, "[not an object]")
        with self.assertRaises(modellix.InvalidArgumentError):
            modellix.Client(api_key=KEY, base_url="ftp://example.com")

    def test_bad_key_is_401(self):
        strict = Mock("--duration-ms", "200", "--api-key", "good")
        self.addCleanup(strict.stop)
        with modellix.Client(api_key="bad", base_url=strict.url) as c:
            with self.assertRaises(modellix.AuthError) as cm:
                c.submit(SLUG, {"prompt": "x"})
            self.assertEqual(cm.exception.code, Result.EAUTH)
            self.assertEqual(cm.exception.http_status, 401)
            self.assertIn("Authentication failed", cm.exception.message)
        with modellix.Client(api_key="good", base_url=strict.url) as c:
            self.assertEqual(c.submit(SLUG, {"prompt": "x"}).wait(20000).status, modellix.TaskState.SUCCESS)

    def test_outcome_unknown(self):
        self.mock.control("POST", "/_mock/faults",
                          {"route": "submit", "kind": "status", "status": 503, "count": 1, "after_create": True})
        with self.assertRaises(modellix.OutcomeUnknownError) as cm:
            self.client.submit(SLUG, {"prompt": "lost answer"})
        self.assertEqual(cm.exception.code, Result.EOUTCOME_UNKNOWN)
        self.assertEqual(cm.exception.http_status, 503)

    def test_task_failed(self):
        t = self.client.submit(SLUG, {"prompt": "x", "mock_outcome": "failed"})
        with self.assertRaises(modellix.TaskFailedError) as cm:
            t.wait(20000)
        self.assertEqual(cm.exception.code, Result.ETASK_FAILED)
        self.assertEqual(t.status, modellix.TaskState.FAILED)
        self.assertEqual(t.error.code, Result.ETASK_FAILED)
        with self.assertRaises(modellix.StateError):
            t.download_bytes(0)

    def test_log_callback_receives_lines(self):
        self.client.submit(SLUG, {"prompt": "log me"}).wait(20000)
        self.assertTrue(self.lines)
        for level, message in self.lines:
            self.assertIn(level, range(4))
            self.assertIsInstance(message, str)
            self.assertNotIn(KEY, message)

    def test_callbacks_released_by_the_library(self):
        from modellix import _callbacks
        before = _callbacks.registered()
        c = modellix.Client(api_key=KEY, base_url=self.mock.url, log=lambda lvl, msg: None, on_done=print,
                            on_progress=lambda *a: None, poll_schedule=lambda age, polls: 100,
                            on_attempt=lambda a, d: None)
        self.assertEqual(_callbacks.registered(), before + 5)   # the log sink, on_done and three more
        c.close()   # the library calls the destroy function: the callables are dropped
        self.assertEqual(_callbacks.registered(), before)

    def test_cancel_from_another_thread(self):
        t = self.client.submit_async(SLUG, {"prompt": "slow", "mock_duration_ms": 10000})
        threading.Timer(0.2, self.client.cancel).start()
        with self.assertRaises(modellix.CanceledError):
            t.wait(20000)

    def test_event_loop_step(self):
        import select
        t = self.client.submit_async(SLUG, {"prompt": "stepped", "mock_duration_ms": 100})
        t.watch()
        active = 1
        for _ in range(1000):
            tmo = self.client.backend_timeout()
            select.select([self.client.fileno()], [], [], 0.5 if tmo < 0 else min(tmo, 500) / 1000.0)
            active = self.client.step()
            if active == 0:
                break
        self.assertEqual(active, 0)
        self.assertEqual(t.status, modellix.TaskState.SUCCESS)


@unittest.skipUnless(os.environ.get("MX_TEST_CERTS"), "MX_TEST_CERTS (the test certificates) not set")
class TLSTest(unittest.TestCase):
    """modellix-mock serving HTTPS (--tls-cert/--tls-key) with the build's throw-away test CA."""

    @classmethod
    def setUpClass(cls):
        certs = os.environ["MX_TEST_CERTS"]
        cls.ca = os.path.join(certs, "ca.pem")
        cls.mock = Mock("--duration-ms", "50", "--tls-cert", os.path.join(certs, "server.pem"),
                        "--tls-key", os.path.join(certs, "server.key"))

    @classmethod
    def tearDownClass(cls):
        cls.mock.stop()

    def test_trusted_ca(self):
        self.assertTrue(self.mock.url.startswith("https://127.0.0.1:"))
        with modellix.Client(api_key=KEY, base_url=self.mock.url, ca_file=self.ca) as c:
            t = c.submit(SLUG, {"prompt": "over tls"})
            t.wait(timeout_ms=20000)
            self.assertEqual(t.status, modellix.TaskState.SUCCESS)
            self.assertEqual(t.download_bytes(0)[:8], PNG)

    def test_untrusted_certificate(self):
        with modellix.Client(api_key=KEY, base_url=self.mock.url) as c:
            with self.assertRaises(modellix.TLSError) as cm:
                c.submit(SLUG, {"prompt": "refused"})
            self.assertEqual(cm.exception.code, Result.ETLS)
            self.assertIn("certificate", cm.exception.message)


if __name__ == "__main__":
    unittest.main(verbosity=2)
