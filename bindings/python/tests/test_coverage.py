"""The rest of the 1.0 C API through the binding, each checked against what the mock counted or served:
the catalogue and account calls, media helpers, download_all, the progress / attempt / poll-schedule
callbacks, retry policies (built-in and custom), task user data, the client's last error."""

import base64
import os
import tempfile
import unittest

from mockserver import KEY, PNG, SLUG, Mock, MockTestCase
import modellix
from modellix import Fault, Operation, Result, RetryPolicy, TaskState, media


class CoverageTest(MockTestCase):
    MOCK_ARGS = ("--duration-ms", "100", "--max-running", "0")

    def setUp(self):
        self.mock.control("DELETE", "/_mock/faults")

    def client(self, **kw):
        kw.setdefault("api_key", KEY)
        c = modellix.Client(base_url=self.mock.url, **kw)
        self.addCleanup(c.close)
        return c

    def tmpdir(self):
        d = tempfile.mkdtemp(prefix="modellix-py-")
        self.addCleanup(lambda: [os.unlink(os.path.join(d, f)) for f in os.listdir(d)] and None or os.rmdir(d))
        return d

    # account.h ------------------------------------------------------------------------------------

    def test_models(self):
        c = self.client()
        before = self.mock.requests("models")
        with c.models() as every:
            self.assertEqual(self.mock.requests("models"), before + 1)
            self.assertGreaterEqual(len(every), 10)
            self.assertIn(SLUG, every)
            self.assertIn(SLUG.upper(), every)                # ASCII case-insensitive
            self.assertNotIn("nobody/nothing", every)
            m = every[SLUG]
            self.assertEqual((m.slug, m.type, m.provider), (SLUG, "text-to-image", "bytedance"))
            self.assertEqual(m.docs_url, "https://docs.modellix.ai/" + SLUG)
            self.assertTrue(m.description)
            self.assertEqual(m.data()["slug"], SLUG)
            self.assertEqual(every[every.find(SLUG)], m)
            self.assertEqual([x.slug for x in every][-1], every[-1].slug)
            with self.assertRaises(IndexError):
                every[len(every)]
            with every.filter(type="text-to-video") as videos:
                self.assertGreaterEqual(len(videos), 2)
                self.assertTrue(all(v.type == "text-to-video" for v in videos))
            with every.filter(provider="google", limit=1) as one:
                self.assertEqual([x.provider for x in one], ["google"])
            with every.filter(search="no such text anywhere") as none:
                self.assertEqual(len(none), 0)
        with self.assertRaises(modellix.StateError):
            len(every)
        self.assertEqual(self.mock.requests("models"), before + 1)   # filters are local
        with c.models(type="image-to-video") as i2v:
            self.assertEqual({x.type for x in i2v}, {"image-to-video"})
        self.assertEqual(self.mock.requests("models"), before + 2)

    def test_validate_key_and_balance(self):
        c = self.client()
        v, b = self.mock.requests("validate"), self.mock.requests("balance")
        self.assertIs(c.validate_key(), True)
        self.assertAlmostEqual(c.balance(), 12.3456)
        self.assertEqual((self.mock.requests("validate"), self.mock.requests("balance")), (v + 1, b + 1))
        strict = Mock("--api-key", "good")
        self.addCleanup(strict.stop)
        with modellix.Client(api_key="bad", base_url=strict.url) as bad:
            with self.assertRaises(modellix.AuthError) as cm:
                bad.balance()
            self.assertEqual(cm.exception.http_status, 401)
            self.assertEqual(bad.last_error.code, Result.EAUTH)

    # media.h --------------------------------------------------------------------------------------

    def test_media(self):
        c = self.client()
        png = c.submit(SLUG, {"prompt": "media"}).wait(20000).download_bytes(0)
        self.assertEqual(media.sniff(png), "image/png")
        self.assertIsNone(media.sniff(b"plain text here"))
        uri = media.data_uri_from_bytes(png)
        self.assertTrue(uri.startswith("data:image/png;base64,"))
        self.assertEqual(base64.b64decode(uri.split(",", 1)[1]), png)
        self.assertTrue(media.data_uri_from_bytes(b"abc", "text/plain").startswith("data:text/plain;base64,YWJj"))
        with self.assertRaises(modellix.InvalidArgumentError):
            media.data_uri_from_bytes(b"plain text here")        # type cannot be told: pass mime
        with self.assertRaises(modellix.InvalidArgumentError):
            media.data_uri_from_bytes(png, "bad mime")
        d = self.tmpdir()
        path = os.path.join(d, "fox.png")
        with open(path, "wb") as f:
            f.write(png)
        self.assertEqual(media.data_uri_from_file(path), uri)
        with self.assertRaises(modellix.LocalIOError) as cm:
            media.data_uri_from_file(os.path.join(d, "missing.png"))
        self.assertIn("No such file or directory", cm.exception.message)
        with self.assertRaises(modellix.InvalidArgumentError):
            media.data_uri_from_file(d)                           # a directory is refused unread
        self.assertEqual(modellix.DATA_URI_MAX_INPUT, 50330624)

    # download.h -----------------------------------------------------------------------------------

    def test_download_all_and_progress(self):
        seen = []
        c = self.client(on_progress=lambda task, i, received, total: seen.append((task, i, received, total)))
        t = c.submit(SLUG, {"prompt": "three", "mock_resources": 3}).wait(20000)
        d = self.tmpdir()
        files = self.mock.requests("file")
        results = t.download_all(d)
        self.assertEqual(self.mock.requests("file"), files + 3)
        self.assertEqual(len(results), 3)
        paths = [r["path"] for r in results]
        self.assertEqual([r["error"] for r in results], [None] * 3)
        self.assertEqual(len(set(paths)), 3)
        for i, p in enumerate(paths):
            self.assertEqual(os.path.dirname(p), d)
            self.assertEqual(t.download_path(i), p)
            self.assertIsNone(t.download_error(i))
            with open(p, "rb") as f:
                self.assertEqual(f.read(8), PNG)
        first_run = seen[:]
        again = t.download_all(d)                                  # names never clash: renamed
        self.assertEqual(len(set(paths + [r["path"] for r in again])), 6)
        self.assertEqual(len(os.listdir(d)), 6)
        # progress: the Task object, each index, growing counts ending at the file's size
        self.assertTrue(all(s[0] is t for s in seen))
        self.assertEqual(sorted({s[1] for s in first_run}), [0, 1, 2])
        self.assertGreater(len(seen), len(first_run))
        last = {}
        for _, i, received, total in first_run:
            self.assertGreaterEqual(received, last.get(i, 0))
            last[i] = received
        for i in range(3):
            self.assertEqual(last[i], os.path.getsize(paths[i]))
        self.assertTrue(any(s[3] == os.path.getsize(paths[0]) for s in first_run if s[1] == 0))

    def test_progress_abort(self):
        c = self.client(on_progress=lambda task, i, received, total: False)
        t = c.submit(SLUG, {"prompt": "abort"}).wait(20000)
        d = self.tmpdir()
        with self.assertRaises(modellix.UserCallbackError) as cm:
            t.download(0, d)
        self.assertEqual(cm.exception.code, Result.EUSER)
        self.assertEqual(os.listdir(d), [])                        # nothing left behind
        self.assertIsInstance(t.download_error(0), modellix.UserCallbackError)

    def test_download_all_refused_for_an_unfinished_task(self):
        c = self.client()
        t = c.submit(SLUG, {"prompt": "slow", "mock_duration_ms": 60000})
        with self.assertRaises(modellix.StateError):
            t.download_all(self.tmpdir())

    # retry.h and callbacks ------------------------------------------------------------------------

    def test_custom_retry_policy_and_attempt_observer(self):
        decided, observed = [], []

        def decide(a):
            decided.append(a)
            return 10
        with RetryPolicy.custom(decide) as policy:
            c = self.client(retry=policy, on_attempt=lambda a, delay: observed.append((a, delay)))
        t = c.attach(c.submit(SLUG, {"prompt": "retried"}).id)
        self.mock.control("POST", "/_mock/faults", {"route": "task", "kind": "status", "status": 503, "count": 2})
        polls = self.mock.requests("task")
        self.assertEqual(t.poll(), t.status)
        self.assertEqual(self.mock.requests("task"), polls + 3)    # two 503s, then the answer
        self.assertEqual([a.number for a in decided], [1, 2])
        for a in decided:
            self.assertEqual((a.operation, a.fault, a.http_status, a.errcode), (Operation.POLL, Fault.UNKNOWN, 503,
                                                                               Result.ESERVER))
            self.assertTrue(a.was_sent)
            self.assertGreaterEqual(a.default_delay_ms, 0)
        self.assertEqual([(a.number, d) for a, d in observed], [(1, 10), (2, 10)])

    def test_builtin_policies(self):
        c = self.client(retry="none")
        t = c.attach(c.submit(SLUG, {"prompt": "none"}).id)
        self.mock.control("POST", "/_mock/faults", {"route": "task", "kind": "status", "status": 503, "count": 5})
        polls = self.mock.requests("task")
        with self.assertRaises(modellix.ServerError):
            t.poll()
        self.assertEqual(self.mock.requests("task"), polls + 1)
        self.mock.control("DELETE", "/_mock/faults")
        with RetryPolicy.default().set_max_attempts(2) as two:
            c2 = self.client(retry=two)
        t2 = c2.attach(t.id)
        self.mock.control("POST", "/_mock/faults", {"route": "task", "kind": "status", "status": 503, "count": 5,
                                                     "headers": {"Retry-After": "0"}})
        polls = self.mock.requests("task")
        with self.assertRaises(modellix.ServerError):
            t2.poll()
        self.assertEqual(self.mock.requests("task"), polls + 2)
        with self.assertRaises(modellix.InvalidArgumentError):
            RetryPolicy.seed().set_max_attempts(0)
        with self.assertRaises(ValueError):
            self.client(retry="sometimes")

    def test_poll_schedule(self):
        calls = []

        def schedule(age_ms, polls):
            calls.append((age_ms, polls))
            return 20
        c = self.client(poll_schedule=schedule)
        t = c.submit(SLUG, {"prompt": "scheduled", "mock_duration_ms": 300})
        polls = self.mock.requests("task")
        t.wait(20000)
        made = self.mock.requests("task") - polls
        self.assertGreaterEqual(made, 5)                           # every 20 ms over 300 ms, not every 2 s
        self.assertGreaterEqual(len(calls), made - 1)
        self.assertEqual([p for _, p in calls], sorted(p for _, p in calls))

    def test_user_data(self):
        c = self.client()
        t = c.attach("task-user-data")
        self.assertIsNone(t.user_data)
        payload = {"prompt": "kept"}
        t.user_data = payload
        self.assertIs(t.user_data, payload)
        other = ["replaced"]
        t.user_data = other
        self.assertIs(t.user_data, other)
        self.assertEqual(list(c._user_data.values()), [other])     # the replaced object was let go
        t.close()
        self.assertEqual(c._user_data, {})

    def test_submit_path_and_options(self):
        c = self.client(submit_path=modellix.SubmitPath.ASYNC, random_seed=7, user_agent="pytest/1",
                        timeout_ms=5000, call_timeout_ms=10000, download_limits=(1 << 20, 1 << 21, 10000),
                        continue_on_unknown=True)
        self.assertEqual(c.submit(SLUG, {"prompt": "async path"}).wait(20000).status, TaskState.SUCCESS)
        with self.assertRaises(modellix.InvalidArgumentError):
            self.client(timeout_ms=0)
        with self.assertRaises(modellix.NoKeyError) as cm:
            modellix.Client(api_key=None, base_url=self.mock.url)
        self.assertIn("MODELLIX_API_KEY", cm.exception.message)     # the reason from the log sink


if __name__ == "__main__":
    unittest.main(verbosity=2)
