"""asyncio: awaitable waits driven by loop.add_reader on the backend descriptor plus step, with no threads
and no blocking of the loop (a ticker coroutine keeps running during the waits)."""

import asyncio
import threading
import time
import unittest

from mockserver import KEY, SLUG, Mock
import modellix
from modellix import SubmitState, TaskState


class Ticker:
    """Counts loop turns every 10 ms and records the longest gap: a blocked loop shows as a long gap."""

    def __init__(self):
        self.ticks = 0
        self.max_gap = 0.0
        self.stop = False

    async def run(self):
        last = time.monotonic()
        while not self.stop:
            await asyncio.sleep(0.01)
            now = time.monotonic()
            self.max_gap = max(self.max_gap, now - last)
            last = now
            self.ticks += 1


class AioTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.mock = Mock("--duration-ms", "300")

    @classmethod
    def tearDownClass(cls):
        cls.mock.stop()

    def setUp(self):
        self.done = []
        self.client = modellix.Client(api_key=KEY, base_url=self.mock.url, max_in_flight=3,
                                      on_done=self.done.append, poll_schedule=lambda age, polls: 50)
        self.addCleanup(self.client.close)
        self.threads = threading.active_count()

    def run_with_ticker(self, coro):
        ticker = Ticker()

        async def main():
            tick = asyncio.ensure_future(ticker.run())
            try:
                return await coro
            finally:
                ticker.stop = True
                await tick
        return asyncio.run(main()), ticker

    def test_wait_all_async(self):
        tasks = [self.client.submit_async(SLUG, {"prompt": "aio %d" % i}) for i in range(5)]
        self.assertEqual(tasks[4].submit_state, SubmitState.QUEUED)
        before = self.mock.counters()["tasks_created"]
        t0 = time.monotonic()
        result, ticker = self.run_with_ticker(self.client.wait_all_async(tasks, timeout_ms=20000))
        took = time.monotonic() - t0
        self.assertEqual(result, tasks)
        for t in tasks:
            self.assertEqual(t.status, TaskState.SUCCESS)
            self.assertTrue(t.id.startswith("task-"))
        self.assertEqual(self.mock.counters()["tasks_created"], before + 5)
        self.assertEqual(sorted(map(id, self.done)), sorted(map(id, tasks)))   # on_done ran from step()
        # 5 tasks of 300 ms, 3 at a time: two rounds; the loop kept turning meanwhile
        self.assertGreater(took, 0.55)
        self.assertGreater(ticker.ticks, took / 0.01 / 3)
        self.assertLess(ticker.max_gap, 0.1, "the event loop was blocked for %.0f ms" % (ticker.max_gap * 1000))
        self.assertEqual(threading.active_count(), self.threads)   # no thread was started
        self.assertEqual(self.client._aio.fd, -1)                  # the reader is removed once nothing waits
        self.assertIsNone(self.client._aio.timer)

    def test_task_wait_async_and_failure(self):
        ok = self.client.submit(SLUG, {"prompt": "one"})
        bad = self.client.submit(SLUG, {"prompt": "two", "mock_outcome": "failed"})

        async def main():
            got = await ok.wait_async(timeout_ms=20000)
            with self.assertRaises(modellix.TaskFailedError) as cm:
                await bad.wait_async(timeout_ms=20000)
            return got, cm.exception
        (got, err), ticker = self.run_with_ticker(main())
        self.assertIs(got, ok)
        self.assertEqual(ok.status, TaskState.SUCCESS)
        self.assertEqual(err.code, modellix.Result.ETASK_FAILED)
        self.assertEqual(bad.status, TaskState.FAILED)
        self.assertLess(ticker.max_gap, 0.1)

    def test_wait_any_async_and_concurrent_waiters(self):
        slow = self.client.submit_async(SLUG, {"prompt": "slow", "mock_duration_ms": 3000})
        fast = self.client.submit_async(SLUG, {"prompt": "fast", "mock_duration_ms": 50})

        async def main():
            # two coroutines wait on the same client at once: one driver serves both
            any_, one = await asyncio.gather(modellix.aio.wait_any([slow, fast], 20000), fast.wait_async(20000))
            return any_, one
        (index, one), _ = self.run_with_ticker(main())
        self.assertEqual(index, 1)
        self.assertIs(one, fast)
        self.assertNotEqual(slow.status, TaskState.SUCCESS)

    def test_timeout_keeps_the_task(self):
        t = self.client.submit(SLUG, {"prompt": "long", "mock_duration_ms": 1500})

        async def main():
            t0 = time.monotonic()
            with self.assertRaises(modellix.DeadlineError) as cm:
                await t.wait_async(timeout_ms=200)
            took = time.monotonic() - t0
            self.assertEqual(cm.exception.code, modellix.Result.ETIMEOUT)
            self.assertEqual(self.client._aio.fd, -1)
            task_id = t.id
            await t.wait_async(timeout_ms=20000)      # the same task, waited for again
            return took, task_id
        (took, task_id), _ = self.run_with_ticker(main())
        self.assertGreaterEqual(took, 0.2)
        self.assertLess(took, 0.2 + 0.1)
        self.assertEqual(task_id, t.id)
        self.assertEqual(t.status, TaskState.SUCCESS)

    def test_cancelled_waiter_cleans_up(self):
        t = self.client.submit(SLUG, {"prompt": "cancel", "mock_duration_ms": 5000})

        async def main():
            w = asyncio.ensure_future(t.wait_async())
            await asyncio.sleep(0.2)
            self.assertGreaterEqual(self.client._aio.fd, 0)   # registered while awaited
            w.cancel()
            with self.assertRaises(asyncio.CancelledError):
                await w
            self.assertEqual(self.client._aio.fd, -1)
        self.run_with_ticker(main())
        self.assertTrue(t.id)
        self.assertFalse(t.done)


if __name__ == "__main__":
    unittest.main(verbosity=2)
