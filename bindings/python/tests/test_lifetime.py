"""Lifetimes across the C boundary (issue 12 item 11): a task closed inside its own completion callback is
freed only after the library call that ran the callback has returned (no use-after-free), and cancel() on
one thread never touches a client that close() on another frees. The C functions are wrapped to record
when they run; under the ASan build of the library (the CI stage) a use-after-free also aborts the test."""

import threading
import time
import unittest

from mockserver import KEY, SLUG, Mock
import modellix
from modellix import _lib


class Spy:
    """Wrap modellix._lib.C.<name> for the duration of a test, recording each call."""

    def __init__(self, test, name, before=None):
        self.calls = []
        real = getattr(_lib.C, name)

        def wrapper(*args):
            if before:
                before(*args)
            rc = real(*args)
            self.calls.append(args)
            return rc
        setattr(_lib.C, name, wrapper)
        test.addCleanup(setattr, _lib.C, name, real)


class LifetimeTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.mock = Mock("--duration-ms", "100")

    @classmethod
    def tearDownClass(cls):
        cls.mock.stop()

    def client(self, **kw):
        c = modellix.Client(api_key=KEY, base_url=self.mock.url, **kw)
        self.addCleanup(c.close)
        return c

    def test_close_inside_on_done_is_deferred(self):
        seen = []
        client = None

        def on_done(task):
            seen.append((task.id, task.status, client._depth))
            task.close()                      # the library is still inside its callback with this task
            self.assertTrue(task.closed)
            with self.assertRaises(modellix.StateError):
                task.status

        client = self.client(on_done=on_done)
        free = Spy(self, "task_free", before=lambda ptr: frees_at.append(client._depth))
        frees_at = []
        tasks = [client.submit_async(SLUG, {"prompt": "close me %d" % i}) for i in range(3)]
        ptrs = [t._ptr for t in tasks]
        client.wait_all(tasks, 20000)
        self.assertEqual(len(seen), 3)
        for tid, status, depth in seen:
            self.assertTrue(tid and tid.startswith("task-"))
            self.assertEqual(status, modellix.TaskState.SUCCESS)
            self.assertEqual(depth, 1)        # the callback ran inside the C call
        # each task freed once, and only after the C call that ran the callback had returned
        self.assertEqual(sorted(a[0] for a in free.calls), sorted(ptrs))
        self.assertEqual(frees_at, [0, 0, 0])
        self.assertTrue(all(t.closed for t in tasks))
        self.assertEqual(len(client._live), 0)

    def test_close_inside_on_done_during_task_wait_and_step(self):
        frees_at = []
        client = self.client(on_done=lambda t: t.close())
        Spy(self, "task_free", before=lambda ptr: frees_at.append(client._depth))
        t = client.submit(SLUG, {"prompt": "waited"})
        self.assertIs(t.wait(20000), t)       # the task it waited for was closed by the callback
        self.assertTrue(t.closed)
        u = client.submit_async(SLUG, {"prompt": "stepped"})
        deadline = time.monotonic() + 20
        while client.step() and time.monotonic() < deadline:
            time.sleep(0.01)
        self.assertTrue(u.closed)
        self.assertEqual(frees_at, [0, 0])

    def test_driving_or_closing_the_client_inside_a_callback_is_refused(self):
        errors = []
        client = None

        def on_done(task):
            for call in (client.step, client.close, lambda: task.wait(1000)):
                try:
                    call()
                except modellix.StateError as e:
                    errors.append(e.code)
        client = self.client(on_done=on_done)
        client.submit(SLUG, {"prompt": "x"}).wait(20000)
        self.assertEqual(errors, [modellix.Result.ESTATE] * 3)
        self.assertFalse(client.closed)

    def test_cancel_never_races_close(self):
        client = modellix.Client(api_key=KEY, base_url=self.mock.url)
        order = []
        inside = threading.Event()

        def slow(ptr):
            inside.set()
            time.sleep(0.2)                   # close() runs now on the other thread
            order.append("cancel")
        cancel = Spy(self, "client_cancel", before=slow)
        Spy(self, "client_free", before=lambda ptr: order.append("free"))
        th = threading.Thread(target=client.cancel)
        th.start()
        self.assertTrue(inside.wait(5))
        t0 = time.monotonic()
        client.close()                        # waits for the cancel in progress to return
        waited = time.monotonic() - t0
        th.join()
        self.assertEqual(order, ["cancel", "free"])
        self.assertGreater(waited, 0.1)
        client.cancel()                       # after close: nothing reaches the library
        self.assertEqual(len(cancel.calls), 1)

    def test_close_from_another_thread_cancels_its_wait(self):
        client = modellix.Client(api_key=KEY, base_url=self.mock.url)
        t = client.submit(SLUG, {"prompt": "long", "mock_duration_ms": 60000})
        task_id = t.id
        outcome = []

        def waiter():
            try:
                t.wait(8000)
                outcome.append("returned")
            except modellix.CanceledError:
                outcome.append("canceled")
        th = threading.Thread(target=waiter)
        th.start()
        time.sleep(0.3)
        t0 = time.monotonic()
        client.close()
        took = time.monotonic() - t0
        th.join()
        self.assertEqual(outcome, ["canceled"])
        self.assertLess(took, 0.5, "close() waited %.0f ms for the other thread's wait" % (took * 1000))
        self.assertTrue(client.closed and t.closed)
        self.assertTrue(task_id.startswith("task-"))

    def test_cancel_and_close_hammered(self):
        for _ in range(20):
            client = modellix.Client(api_key=KEY, base_url=self.mock.url)
            stop = threading.Event()

            def spin():
                while not stop.is_set():
                    client.cancel()
            th = threading.Thread(target=spin)
            th.start()
            time.sleep(0.005)
            client.close()
            stop.set()
            th.join()
            self.assertTrue(client.closed)

    def test_garbage_collected_task_is_freed_once(self):
        client = self.client()
        free = Spy(self, "task_free")
        t = client.attach("task-gc")
        ptr = t._ptr
        del t
        import gc
        gc.collect()
        self.assertEqual([a[0] for a in free.calls], [ptr])
        self.assertNotIn(ptr, client._live)


if __name__ == "__main__":
    unittest.main(verbosity=2)
