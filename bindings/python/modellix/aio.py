"""asyncio: awaitable waits driven by the running loop, no threads.

The client's backend descriptor is registered with loop.add_reader (modellix_client_backend_fd); when it
is readable, or when modellix_client_backend_timeout says so (a loop.call_later timer), the driver calls
modellix_client_step once and wakes every awaiting coroutine whose tasks are done. The reader and timer
exist only while something awaits; the tasks waited for are put in the background (watched) first.

    async def main():
        with modellix.Client() as client:
            tasks = [client.submit_async(slug, {"prompt": p}) for p in prompts]
            await modellix.aio.wait_all(tasks, timeout_ms=600_000)
            first = await tasks[0].wait_async()

Do not mix with blocking calls on the same client from other threads: step() takes the client's lock.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Iterable, List, Optional

from ._lib import C
from ._types import Result, TaskState
from .errors import DeadlineError

if TYPE_CHECKING:
    from .client import Client
    from .task import Task

__all__ = ["wait", "wait_all", "wait_any"]


class _Waiter:
    def __init__(self, future: "asyncio.Future[int]", tasks: List["Task"], any_: bool) -> None:
        self.future = future
        self.tasks = tasks
        self.any = any_

    def ready(self) -> Optional[int]:
        """The result when the wait is over (index for any, 0 for all), else None."""
        done = [t.closed or bool(C.task_done(t._handle())) for t in self.tasks]
        if self.any:
            return done.index(True) if True in done else None
        return 0 if all(done) else None


class _Driver:
    """Drives one client from one event loop while coroutines wait on it."""

    def __init__(self, client: "Client", loop: asyncio.AbstractEventLoop) -> None:
        self.client = client
        self.loop = loop
        self.waiters: List[_Waiter] = []
        self.fd = -1
        self.timer: Optional[asyncio.TimerHandle] = None
        self.scheduled = False

    def add(self, waiter: _Waiter) -> None:
        self.waiters.append(waiter)
        if self.fd < 0:
            self.fd = self.client.fileno()
            self.loop.add_reader(self.fd, self.drive)
        if not self.scheduled:   # a first step at once: polls that are due now start
            self.scheduled = True
            self.loop.call_soon(self.drive)

    def remove(self, waiter: _Waiter) -> None:
        if waiter in self.waiters:
            self.waiters.remove(waiter)
        if not self.waiters:
            self.stop()

    def stop(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        if self.fd >= 0:
            self.loop.remove_reader(self.fd)
            self.fd = -1

    def drive(self) -> None:
        self.scheduled = False
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        if not self.waiters:
            return
        try:
            self.client.step()
            for w in list(self.waiters):
                if w.future.done():
                    self.waiters.remove(w)
                    continue
                result = w.ready()
                if result is not None:
                    w.future.set_result(result)
                    self.waiters.remove(w)
            if not self.waiters:
                self.stop()
                return
            tmo = self.client.backend_timeout()
        except BaseException as e:   # the client was closed, or a callback asked to stop (Ctrl-C)
            for w in self.waiters:
                if not w.future.done():
                    w.future.set_exception(e)
            self.waiters.clear()
            self.stop()
            if not isinstance(e, Exception):
                raise
            return
        if tmo >= 0:
            self.timer = self.loop.call_later(tmo / 1000.0, self.drive)


def _driver(client: "Client", loop: asyncio.AbstractEventLoop) -> _Driver:
    d = client._aio
    if d is None or d.loop is not loop or loop.is_closed():
        if d is not None:
            d.stop()
        d = client._aio = _Driver(client, loop)
    assert isinstance(d, _Driver)
    return d


async def _wait(tasks: Iterable["Task"], timeout_ms: Optional[int], any_: bool) -> int:
    items = list(tasks)
    if not items:
        raise ValueError("no tasks")
    client = items[0]._client
    if any(t._client is not client for t in items):
        raise ValueError("all tasks must belong to the same client")
    if timeout_ms is not None and timeout_ms <= 0:
        raise ValueError("timeout_ms must be > 0")
    with client._calling(drives=True):
        ids = [t._handle() for t in items]
        if len(set(ids)) != len(ids):
            raise ValueError("a task is listed twice")
        started = [ptr for ptr in ids if client._background(ptr)]
    loop = asyncio.get_running_loop()
    waiter = _Waiter(loop.create_future(), items, any_)
    first = waiter.ready()
    if first is not None:
        with client._calling():
            client._unwatch(started)
        return first
    driver = _driver(client, loop)
    driver.add(waiter)
    try:
        if timeout_ms is None:
            return await waiter.future
        try:
            return await asyncio.wait_for(asyncio.shield(waiter.future), timeout_ms / 1000.0)
        except asyncio.TimeoutError:
            raise DeadlineError(Result.ETIMEOUT, "timed out after %d ms waiting for %s of %d task(s)"
                                % (timeout_ms, "any" if any_ else "all", len(items))) from None
    finally:
        waiter.future.cancel()
        driver.remove(waiter)
        if started and not client.closed:
            with client._calling():
                client._unwatch(started)


async def wait_all(tasks: Iterable["Task"], timeout_ms: Optional[int] = None) -> List["Task"]:
    """Await until every task is done. Raises DeadlineError for the call only; each task's own outcome is
    on the task (as Client.wait_all)."""
    items = list(tasks)
    await _wait(items, timeout_ms, False)
    return items


async def wait_any(tasks: Iterable["Task"], timeout_ms: Optional[int] = None) -> int:
    """Await until at least one task is done; returns the lowest index among those done."""
    return await _wait(tasks, timeout_ms, True)


async def wait(task: "Task", timeout_ms: Optional[int] = None) -> "Task":
    """Await one task as Task.wait does: returns it on success, raises TaskFailedError, the error that
    ended its polling or submission, or DeadlineError."""
    await _wait([task], timeout_ms, False)
    if task.status != TaskState.SUCCESS:
        err = task.error   # the task's own failure: a failed task, or what ended its submission or polling
        if err is not None:
            raise err
    return task
