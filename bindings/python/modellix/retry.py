"""Retry policies (retry.h) and the record of a failed attempt."""

from __future__ import annotations

import ctypes
import dataclasses
import threading
from typing import Callable, Optional, Union

from . import _callbacks
from ._lib import C
from ._types import Fault, Operation, Result
from ._util import Closeable
from .errors import check, closed

__all__ = ["Attempt", "RetryPolicy", "RetryFunction"]


@dataclasses.dataclass(frozen=True)
class Attempt:
    """A failed exchange (a copy of the library's borrowed modellix_attempt, safe to keep)."""

    number: int
    operation: Union[Operation, int]
    fault: Union[Fault, int]
    http_status: int
    was_sent: bool
    retry_after_ms: int
    elapsed_ms: int
    remaining_ms: int
    errcode: Union[Result, int]
    default_delay_ms: int

    @classmethod
    def _read(cls, a: int) -> "Attempt":
        def enum(kind: type, value: int) -> int:
            try:
                out: int = kind(value)
                return out
            except ValueError:
                return value
        return cls(
            number=int(C.attempt_number(a)),
            operation=enum(Operation, C.attempt_operation(a)),
            fault=enum(Fault, C.attempt_fault(a)),
            http_status=int(C.attempt_http_status(a)),
            was_sent=bool(C.attempt_was_sent(a)),
            retry_after_ms=int(C.attempt_retry_after_ms(a)),
            elapsed_ms=int(C.attempt_elapsed_ms(a)),
            remaining_ms=int(C.attempt_remaining_ms(a)),
            errcode=enum(Result, C.attempt_errcode(a)),
            default_delay_ms=int(C.attempt_default_delay_ms(a)),
        )


#: A custom decision: the delay in ms before the next attempt, or None (or a negative value) to stop.
RetryFunction = Callable[[Attempt], Optional[int]]


class RetryPolicy(Closeable):
    """A retry policy. Give it to Client(retry=...); the client keeps its own reference, so the policy
    may be closed (or reused for other clients) right after. Built-in: default(), seed(), none();
    custom(fn) asks fn, on the thread inside the library call (from several threads if shared)."""

    def __init__(self, maker: Callable[..., int], *extra: object) -> None:
        out = ctypes.c_void_p()
        check(maker(ctypes.byref(out), *extra))
        self._ptr: Optional[int] = out.value
        self._lock = threading.Lock()

    @classmethod
    def default(cls) -> "RetryPolicy":
        """Up to 4 attempts, exponential backoff with full jitter; unknown-outcome submits never re-sent."""
        return cls(C.retry_policy_new_default)

    @classmethod
    def seed(cls) -> "RetryPolicy":
        """The service's documented advice: retries 429/500/503, submissions included (RISKS DUPLICATE CHARGES)."""
        return cls(C.retry_policy_new_seed)

    @classmethod
    def none(cls) -> "RetryPolicy":
        """Never retry."""
        return cls(C.retry_policy_new_none)

    @classmethod
    def custom(cls, fn: RetryFunction) -> "RetryPolicy":
        """Ask fn(attempt) for each failed exchange the rules let reach a policy."""
        token = _callbacks.register(lambda a: fn(Attempt._read(a)))
        try:
            return cls(C.retry_policy_new_custom, _callbacks.RETRY, token, _callbacks.DESTROY)
        except BaseException:
            _callbacks.release(token)  # on error the library does not call the destroy function
            raise

    def _handle(self) -> int:
        if not self._ptr:
            raise closed("retry policy")
        return self._ptr

    def set_resubmit_unknown(self, allow: bool) -> "RetryPolicy":
        """Let unknown-outcome submissions reach this policy (accepts the risk of a second charge)."""
        with self._lock:
            check(C.retry_policy_set_resubmit_unknown(self._handle(), 1 if allow else 0))
        return self

    def set_max_attempts(self, n: int) -> "RetryPolicy":
        """The most attempts (first included) of a built-in policy, 1 to 100."""
        with self._lock:
            check(C.retry_policy_set_max_attempts(self._handle(), int(n)))
        return self

    def close(self) -> None:
        """Release this reference (clients using the policy keep theirs)."""
        with self._lock:
            ptr, self._ptr = self._ptr, None
            if ptr:
                C.retry_policy_free(ptr)
