"""Ctrl-C around C calls.

While a C call runs, Python only notes a SIGINT; its KeyboardInterrupt is raised in the next Python code
that runs, which may be a callback the library calls (ctypes then prints and drops it: the Ctrl-C is lost).
So during blocking waits and paid submissions the binding installs, on the main thread and only over
Python's default handler, a handler that records the signal; the caller checks it between C slices and
raises KeyboardInterrupt itself, at a point where nothing is half done.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from typing import Any, Iterator, List


@contextlib.contextmanager
def held() -> Iterator[List[bool]]:
    """Record SIGINT in the yielded list instead of raising (a no-op off the main thread or when the
    application has its own SIGINT handler)."""
    hit: List[bool] = []
    if threading.current_thread() is not threading.main_thread() \
            or signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
        yield hit
        return

    def record(signum: int, frame: Any) -> None:
        hit.append(True)

    previous = signal.signal(signal.SIGINT, record)
    try:
        yield hit
    finally:
        signal.signal(signal.SIGINT, previous)
