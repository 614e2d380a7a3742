"""Callbacks from C into Python.

One module-level CFUNCTYPE trampoline per C callback type, alive as long as the module, so the library
never calls a freed ctypes thunk. What a registration calls is a Python callable kept in a registry under
an integer token, the token being the C user_data. The library calls the destroy trampoline exactly once
when it will not call that registration again (options freed, client freed, policy released): only then
is the callable dropped. If a setter fails, the library never calls destroy: release() does it.

A Python exception cannot cross into C: it is printed (like an exception in a thread) and the callback
returns the documented "safe" answer (go on for a log/poll, stop for a progress or retry decision).
"""

from __future__ import annotations

import itertools
import sys
import threading
import traceback
from typing import Any, Callable, Dict, Optional

from ._lib import ATTEMPT_FN, DESTROY_FN, LOG_FN, POLL_FN, POLL_TASK_FN, PROGRESS_FN, RETRY_FN, TASK_FN

__all__ = ["register", "release", "registered", "LOG", "TASK", "POLL", "PROGRESS", "ATTEMPT", "RETRY", "DESTROY",
           "POLL_TASK"]

_registry: Dict[int, Callable[..., Any]] = {}
_lock = threading.Lock()
_tokens = itertools.count(1)


def register(fn: Callable[..., Any]) -> int:
    """Keep fn under a new token (the user_data to give the library)."""
    with _lock:
        token = next(_tokens)
        _registry[token] = fn
    return token


def release(token: Optional[int]) -> None:
    """Drop a registration (the destroy function; also when a setter failed)."""
    try:
        with _lock:
            _registry.pop(token or 0, None)
    except Exception:  # pragma: no cover - interpreter shutdown: globals may be gone
        pass


def registered() -> int:
    """How many registrations are alive (for tests: every one must be released by its destroy call)."""
    with _lock:
        return len(_registry)


def lookup(token: Optional[int]) -> Optional[Callable[..., Any]]:
    return _registry.get(token or 0)


_interrupted = False


def interrupted() -> bool:
    """Whether a KeyboardInterrupt struck inside a callback since the last call (and forget it): it could
    not cross the C frames, so the binding raises it once the C call has returned."""
    global _interrupted
    was, _interrupted = _interrupted, False
    return was


def report(where: str) -> None:
    global _interrupted
    if sys.exc_info()[0] is KeyboardInterrupt:
        _interrupted = True
        return
    try:
        sys.stderr.write("modellix: exception in %s callback ignored:\n" % where)
        traceback.print_exc()
    except Exception:  # pragma: no cover
        pass


def _log(level: int, message: Optional[bytes], token: Optional[int]) -> None:
    fn = lookup(token)
    if fn is not None:
        try:
            fn(level, "" if message is None else message.decode("utf-8", "replace"))
        except BaseException:
            report("log")


def _task(task_ptr: Optional[int], token: Optional[int]) -> None:
    fn = lookup(token)
    if fn is not None and task_ptr:
        try:
            fn(task_ptr)
        except BaseException:
            report("task (on_done)")


def _poll(age_ms: int, polls: int, token: Optional[int]) -> int:
    fn = lookup(token)
    if fn is not None:
        try:
            return int(fn(age_ms, polls))
        except BaseException:
            report("poll schedule")
    return 2000  # the default schedule's shortest delay


def _poll_task(task_ptr: Optional[int], age_ms: int, polls: int, token: Optional[int]) -> int:
    fn = lookup(token)
    if fn is not None and task_ptr:
        try:
            return int(fn(task_ptr, age_ms, polls))
        except BaseException:
            report("poll schedule")
    return 2000


def _progress(task_ptr: Optional[int], index: int, received: int, total: int, token: Optional[int]) -> int:
    fn = lookup(token)
    if fn is not None and task_ptr:
        try:
            return 1 if fn(task_ptr, index, received, total) is False else 0
        except BaseException:
            report("progress")
            return 1  # abort the download: MODELLIX_EUSER
    return 0


def _attempt(attempt_ptr: Optional[int], delay_ms: int, token: Optional[int]) -> None:
    fn = lookup(token)
    if fn is not None and attempt_ptr:
        try:
            fn(attempt_ptr, delay_ms)
        except BaseException:
            report("attempt")


def _retry(attempt_ptr: Optional[int], token: Optional[int]) -> int:
    fn = lookup(token)
    if fn is not None and attempt_ptr:
        try:
            delay = fn(attempt_ptr)
            return -1 if delay is None else int(delay)
        except BaseException:
            report("retry policy")
    return -1  # stop: the attempt's error is returned


LOG = LOG_FN(_log)
TASK = TASK_FN(_task)
POLL = POLL_FN(_poll)
POLL_TASK = POLL_TASK_FN(_poll_task)
PROGRESS = PROGRESS_FN(_progress)
ATTEMPT = ATTEMPT_FN(_attempt)
RETRY = RETRY_FN(_retry)
DESTROY = DESTROY_FN(release)
