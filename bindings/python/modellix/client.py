"""The client: options, lifetime, the lock that serialises calls, blocking waits, account and catalogue."""

from __future__ import annotations

import contextlib
import ctypes
import dataclasses
import json
import math
import threading
import time
import weakref
from typing import TYPE_CHECKING, Any, Callable, Dict, Iterable, Iterator, List, Optional, Sequence, Set, Tuple, Union

from . import _callbacks, _signals
from ._lib import C, has, need
from ._types import JournalSync, LogLevel, Result, SubmitPath, SubmitState, TaskState
from ._util import Closeable, JSONBody, PathLike, StrOrBytes, cpath, cstr, take_string, text
from .errors import DeadlineError, ModellixError, StateError, check, closed, error_for, strerror
from .models import Models
from .retry import Attempt, RetryPolicy

if TYPE_CHECKING:
    from .task import Task

__all__ = ["Client", "SLICE_MS", "LogFunction", "TaskFunction", "ProgressFunction", "PollFunction",
           "AttemptFunction", "PollTaskFunction", "TaskInfo"]

#: The longest single C wait inside a blocking call: Python checks for signals (Ctrl-C) between slices.
SLICE_MS = 50

LogFunction = Callable[[int, str], None]
TaskFunction = Callable[["Task"], None]
ProgressFunction = Callable[["Task", int, int, int], Optional[bool]]
PollFunction = Callable[[int, int], int]
AttemptFunction = Callable[[Attempt, int], None]


@dataclasses.dataclass(frozen=True)
class TaskInfo:
    """What a poll_schedule_task callback is told about the task it schedules (read during the call)."""

    id: Optional[str]
    model: Optional[str]
    status: Union[TaskState, int]

    @classmethod
    def _read(cls, ptr: int) -> "TaskInfo":
        status = int(C.task_status(ptr))
        return cls(id=text(C.task_id(ptr)), model=text(C.task_model_slug(ptr)),
                   status=TaskState(status) if status in TaskState._value2member_map_ else status)


PollTaskFunction = Callable[[TaskInfo, int, int], int]

_global_lock = threading.Lock()
_global_ready = False


def _global_init() -> None:
    """One modellix_global_init reference for the life of the process (no cleanup at exit: clients may
    still be alive while the interpreter shuts down)."""
    global _global_ready
    with _global_lock:
        if not _global_ready:
            rc = int(C.global_init())
            if rc < 0:
                raise error_for(rc, "libcurl could not be initialised")
            _global_ready = True


class Client(Closeable):
    """A connection to the Modellix API (modellix_client). A context manager; close() frees its tasks,
    then itself.

    Threads: every call on the client and its tasks takes the client's lock (the library allows one
    thread at a time per client, and ctypes releases the GIL during a call), so a Client may be shared
    between threads; cancel() takes no lock on the client's calls and is safe from any thread.
    Callbacks (log, on_done, on_progress, poll_schedule, on_attempt) run on the thread inside the call;
    inside them a task may be read or closed, but nothing that drives the client may be called.
    """

    def __init__(self, api_key: Optional[StrOrBytes] = None, base_url: Optional[StrOrBytes] = None, *,
                 timeout_ms: Optional[int] = None, call_timeout_ms: Optional[int] = None,
                 max_in_flight: Optional[int] = None, log: Optional[LogFunction] = None,
                 log_level: Optional[int] = None, user_agent: Optional[StrOrBytes] = None,
                 continue_on_unknown: Optional[bool] = None, retry: Union[None, str, RetryPolicy] = None,
                 on_done: Optional[TaskFunction] = None, ca_file: Optional[PathLike] = None,
                 submit_path: Optional[int] = None, random_seed: Optional[int] = None,
                 poll_schedule: Optional[PollFunction] = None, on_progress: Optional[ProgressFunction] = None,
                 on_attempt: Optional[AttemptFunction] = None,
                 download_limits: Optional[Tuple[int, int, int]] = None,
                 poll_schedule_task: Optional[PollTaskFunction] = None, proxy: Optional[StrOrBytes] = None,
                 no_proxy: Optional[StrOrBytes] = None, proxy_from_env: Optional[bool] = None,
                 api_http1: Optional[bool] = None,
                 journal_path: Optional[PathLike] = None, journal_profile: Optional[StrOrBytes] = None,
                 journal_sync: Optional[int] = None,
                 journal_compaction: Optional[Tuple[int, int]] = None) -> None:
        self._ptr: Optional[int] = None
        self._lock = threading.RLock()     # serialises every call on the client and its tasks
        self._cancel_lock = threading.Lock()   # cancel() vs close(): the pointer is read and used under it
        self._depth = 0                    # C calls in progress (on the thread holding _lock)
        self._live: Set[int] = set()       # task pointers not yet freed
        self._tasks: "weakref.WeakValueDictionary[int, Task]" = weakref.WeakValueDictionary()
        self._deferred: List[int] = []     # tasks closed inside a callback: freed when the C call returns
        self._orphans: List[int] = []      # tasks finalised while another thread held the lock
        self._orphan_lock = threading.Lock()
        self._user_data: Dict[int, object] = {}   # token (the C user data) -> the Python object
        self._on_done = on_done
        self._aio: Any = None              # the asyncio driver (aio.py), made on first use
        _global_init()
        me = weakref.ref(self)
        creation_log: List[str] = []

        def on_log(level: int, message: str) -> None:
            if creation_log is not None and level == LogLevel.ERROR and len(creation_log) < 8:
                creation_log.append(message)
            if log is not None:
                log(level, message)

        opts = ctypes.c_void_p()
        check(C.options_new(ctypes.byref(opts)))
        try:
            def setter(fn: Callable[..., int], *args: Any) -> None:
                check(fn(opts, *args), "%s: bad value" % getattr(fn, "__name__", "option"))

            if api_key is not None:
                setter(C.options_set_api_key, cstr(api_key, "api_key"))
            if base_url is not None:
                setter(C.options_set_base_url, cstr(base_url, "base_url"))
            if timeout_ms is not None:
                setter(C.options_set_timeout_ms, int(timeout_ms))
            if call_timeout_ms is not None:
                setter(C.options_set_call_timeout_ms, int(call_timeout_ms))
            if max_in_flight is not None:
                setter(C.options_set_max_in_flight, int(max_in_flight))
            if log_level is not None:
                setter(C.options_set_log_level, int(log_level))
            if user_agent is not None:
                setter(C.options_set_user_agent, cstr(user_agent, "user_agent"))
            if ca_file is not None:
                setter(C.options_set_ca_file, cpath(ca_file, "ca_file"))
            if continue_on_unknown is not None:
                setter(C.options_set_continue_on_unknown, 1 if continue_on_unknown else 0)
            if submit_path is not None:
                setter(C.options_set_submit_path, int(SubmitPath(submit_path)))
            if random_seed is not None:
                setter(C.options_set_random_seed, int(random_seed))
            if download_limits is not None:
                setter(C.options_set_download_limits, *(int(v) for v in download_limits))
            if proxy is not None:
                setter(need("options_set_proxy"), cstr(proxy, "proxy"))
            if no_proxy is not None:
                setter(need("options_set_no_proxy"), cstr(no_proxy, "no_proxy"))
            if proxy_from_env is not None:
                setter(need("options_set_proxy_from_env"), 1 if proxy_from_env else 0)
            if api_http1 is not None:   # API requests over HTTP/1.1 only (no GOAWAY-refused submissions)
                setter(need("options_set_api_http1"), 1 if api_http1 else 0)
            if journal_path is not None:
                setter(need("options_set_journal_path"), cpath(journal_path, "journal_path"))
            if journal_profile is not None:
                setter(need("options_set_journal_profile"), cstr(journal_profile, "journal_profile"))
            if journal_sync is not None:
                setter(need("options_set_journal_sync"), int(JournalSync(journal_sync)))
            if journal_compaction is not None:
                setter(need("options_set_journal_compaction"), int(journal_compaction[0]), int(journal_compaction[1]))
            if retry is not None:
                self._set_retry(opts, retry)
            self._register(C.options_set_log_callback, opts, _callbacks.LOG, on_log)
            if on_done is not None:
                def done(ptr: int) -> None:
                    client = me()
                    task = client._tasks.get(ptr) if client is not None else None
                    if task is not None and client is not None and client._on_done is not None:
                        client._on_done(task)
                self._register(C.options_set_task_callback, opts, _callbacks.TASK, done)
            if on_progress is not None:
                def progress(ptr: int, index: int, received: int, total: int) -> Optional[bool]:
                    client = me()
                    task = client._tasks.get(ptr) if client is not None else None
                    if task is None or on_progress is None:
                        return None
                    return on_progress(task, index, received, total)
                self._register(C.options_set_progress_callback, opts, _callbacks.PROGRESS, progress)
            if poll_schedule is not None:
                self._register(C.options_set_poll_schedule, opts, _callbacks.POLL, poll_schedule)
            if poll_schedule_task is not None:
                def poll_task(ptr: int, age_ms: int, polls: int) -> int:
                    assert poll_schedule_task is not None
                    return int(poll_schedule_task(TaskInfo._read(ptr), age_ms, polls))
                self._register(need("options_set_poll_schedule_task"), opts, _callbacks.POLL_TASK, poll_task)
            if on_attempt is not None:
                def attempt(ptr: int, delay_ms: int) -> None:
                    if on_attempt is not None:
                        on_attempt(Attempt._read(ptr), delay_ms)
                self._register(C.options_set_attempt_callback, opts, _callbacks.ATTEMPT, attempt)
            out = ctypes.c_void_p()
            rc = int(C.client_new(ctypes.byref(out), opts))
            if rc != Result.OK:
                why = "; ".join(creation_log) or strerror(rc)
                raise error_for(rc, "could not create the client: %s" % why)
            self._ptr = out.value
        finally:
            creation_log = None  # type: ignore[assignment]
            C.options_free(opts)   # the client keeps its own copy and registrations

    @staticmethod
    def _register(setter: Callable[..., int], opts: ctypes.c_void_p, trampoline: Any, fn: Callable[..., Any]) -> None:
        token = _callbacks.register(fn)
        rc = int(setter(opts, trampoline, token, _callbacks.DESTROY))
        if rc != Result.OK:  # not registered: the library will not call the destroy function
            _callbacks.release(token)
            raise error_for(rc)

    @staticmethod
    def _set_retry(opts: ctypes.c_void_p, retry: Union[str, RetryPolicy]) -> None:
        if isinstance(retry, RetryPolicy):
            check(C.options_set_retry_policy(opts, retry._handle()))
            return
        makers = {"default": RetryPolicy.default, "none": RetryPolicy.none, "seed": RetryPolicy.seed}
        if retry not in makers:
            raise ValueError("retry must be a RetryPolicy or one of %s" % ", ".join(sorted(makers)))
        with makers[retry]() as pol:   # the options keep their own reference
            check(C.options_set_retry_policy(opts, pol._handle()))

    # lifetime and the lock -----------------------------------------------------------------------

    @contextlib.contextmanager
    def _calling(self, drives: bool = False) -> Iterator[int]:
        """Hold the lock around C calls on the client. drives: the call may run callbacks (step, waits,
        submissions, polls, downloads), which must not happen from inside one of this client's callbacks.
        Tasks closed inside a callback are freed when the outermost call returns."""
        with self._lock:
            if self._ptr is None:
                raise closed("client")
            if drives and self._depth:
                raise StateError(Result.ESTATE, "a call that drives the client cannot be made from inside "
                                                "one of its callbacks")
            self._depth += 1
            try:
                yield self._ptr
            finally:
                self._depth -= 1
                if self._depth == 0:
                    self._flush()
                    if _callbacks.interrupted():
                        raise KeyboardInterrupt

    def _flush(self) -> None:
        """Free the tasks whose close was deferred (lock held, no C call in progress)."""
        while self._deferred:
            self._free_task(self._deferred.pop())
        if self._orphans:
            with self._orphan_lock:
                orphans, self._orphans = self._orphans, []
            for ptr in orphans:
                if ptr in self._live:
                    self._live.discard(ptr)
                    self._free_task(ptr)

    def _free_task(self, ptr: int) -> None:
        token = C.task_user_data(ptr)
        if token:
            self._user_data.pop(int(token), None)
        C.task_free(ptr)

    def _release_task(self, ptr: int, blocking: bool = True) -> None:
        """A Task is closed: free its C task now, or after the C call in progress returns."""
        if not self._lock.acquire(blocking):
            with self._orphan_lock:   # finalised on another thread while this one is in a call
                self._orphans.append(ptr)
            return
        try:
            if ptr not in self._live:
                return   # the client freed it already (closed)
            self._live.discard(ptr)
            self._tasks.pop(ptr, None)
            if self._depth:
                self._deferred.append(ptr)   # inside a callback: the library is still using it
            else:
                self._free_task(ptr)
        finally:
            self._lock.release()

    def close(self) -> None:
        """Free every task of this client, then the client. Idempotent. Not allowed from inside one of
        the client's callbacks. If another thread is inside a call on the client, it is cancelled first
        (a wait there raises CanceledError; a paid submission already sent is not undone and reports
        OutcomeUnknownError) and close() waits for it to return."""
        if not self._lock.acquire(blocking=False):
            self.cancel()
            self._lock.acquire()
        with self._lock:
            self._lock.release()   # (held once more by the with block)
            if self._ptr is None:
                return
            if self._depth:
                raise StateError(Result.ESTATE, "the client cannot be closed from inside one of its callbacks")
            self._flush()
            for ptr in list(self._live):
                self._free_task(ptr)
            self._live.clear()
            self._tasks.clear()
            with self._cancel_lock:   # a concurrent cancel() has returned, and no later one sees the pointer
                ptr, self._ptr = self._ptr, None
            C.client_free(ptr)

    @property
    def closed(self) -> bool:
        return self._ptr is None

    def cancel(self) -> None:
        """Make the blocking call running on this client (in another thread) raise CanceledError soon
        (within 100 ms); with none running, the next one raises at once. Safe from any thread: it does
        not wait for the running call, and close() waits for it, so it never touches a freed client."""
        with self._cancel_lock:
            if self._ptr is not None:
                C.client_cancel(self._ptr)

    # errors --------------------------------------------------------------------------------------

    def _error(self, rc: int, task_ptr: Optional[int] = None) -> ModellixError:
        """The exception for rc, with the details read at once (borrowed until the next call; lock held)."""
        c = self._ptr
        msg = text(C.client_errmsg(c)) or "" if c else ""
        status = int(C.client_http_status(c)) if c else 0
        rid = text(C.client_request_id(c)) if c else None
        if task_ptr:
            tmsg = text(C.task_errmsg(task_ptr)) or ""
            if rc == Result.ETASK_FAILED or not msg:
                msg = tmsg or msg
            status = status or int(C.task_http_status(task_ptr))
            rid = rid or text(C.task_request_id(task_ptr))
        return error_for(rc, msg, status, rid)

    @property
    def last_error(self) -> Optional[ModellixError]:
        """The last failed call on this client as an exception object (not raised), or None."""
        with self._calling() as c:
            code = int(C.client_errcode(c))
            return None if code == Result.OK else self._error(code)

    # properties ----------------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        with self._calling() as c:
            return text(C.client_base_url(c)) or ""

    # tasks ---------------------------------------------------------------------------------------

    def submit(self, model: StrOrBytes, body: JSONBody) -> "Task":
        """Submit a paid task and return it once accepted (see Task.submit)."""
        from .task import Task
        return Task.submit(self, model, body)

    def submit_async(self, model: StrOrBytes, body: JSONBody) -> "Task":
        """Queue a paid submission (see Task.submit_async)."""
        from .task import Task
        return Task.submit_async(self, model, body)

    def attach(self, task_id: StrOrBytes) -> "Task":
        """A Task for an id submitted earlier (see Task.attach)."""
        from .task import Task
        return Task.attach(self, task_id)

    # blocking waits ------------------------------------------------------------------------------

    def _background(self, ptr: int) -> bool:
        """Put a task in the background (watched) so that short wait slices never abort a poll in flight.
        Returns True if this call started the watch (the task was neither watched by the application
        nor a submit_async task, which the library watches itself once accepted)."""
        if int(C.task_status(ptr)) in (TaskState.SUCCESS, TaskState.FAILED):
            return False
        task = self._tasks.get(ptr)
        if int(C.task_submit_state(ptr)) in (SubmitState.NONE, SubmitState.ACCEPTED) and C.task_id(ptr):
            C.task_watch(ptr)
            return task is not None and not task._background
        return False

    def _unwatch(self, ptrs: Sequence[int]) -> None:
        """Stop the watches a wait started itself (as a C wait does on return), where the library can
        (modellix_task_unwatch, 1.1): the task can be polled again."""
        if has("task_unwatch"):
            for ptr in ptrs:
                if ptr in self._live and not C.task_done(ptr):
                    C.task_unwatch(ptr)

    def _sliced(self, ptrs: Sequence[int], timeout_ms: int, call: Callable[[int], Any]) -> int:
        """Run a C wait (lock held) as slices of at most SLICE_MS, so that Python handles signals (Ctrl-C
        raises KeyboardInterrupt within SLICE_MS) between them. Returns the C result; ETIMEOUT only once
        the whole timeout_ms has passed."""
        timeout_ms = int(timeout_ms)
        if timeout_ms <= 0:
            return int(call(timeout_ms))   # the library's own EINVAL
        started = [ptr for ptr in ptrs if self._background(ptr)]
        deadline = time.monotonic() + timeout_ms / 1000.0
        try:
            with _signals.held() as interrupted:
                while True:
                    left = int(math.ceil((deadline - time.monotonic()) * 1000.0))
                    rc = int(call(max(1, min(left, SLICE_MS))))
                    if interrupted:
                        raise KeyboardInterrupt
                    if rc != Result.ETIMEOUT or left <= SLICE_MS:
                        return rc
        finally:
            self._unwatch(started)

    def _timeout_error(self, timeout_ms: int, what: str) -> DeadlineError:
        return DeadlineError(Result.ETIMEOUT, "timed out after %d ms waiting for %s" % (timeout_ms, what))

    def _array(self, tasks: Iterable["Task"]) -> Tuple[List["Task"], List[int], "ctypes.Array[ctypes.c_void_p]"]:
        out = list(tasks)
        if not out:
            raise ValueError("no tasks")
        for t in out:
            if t._client is not self:
                raise ValueError("all tasks must belong to this client")
        ptrs = [t._handle() for t in out]
        return out, ptrs, (ctypes.c_void_p * len(out))(*ptrs)

    def wait_all(self, tasks: Iterable["Task"], timeout_ms: int) -> List["Task"]:
        """Wait until every task is done (terminal, or its submission or polling failed for good).
        Raises DeadlineError, CanceledError, InvalidArgumentError for the call itself, KeyboardInterrupt
        on Ctrl-C (within 100 ms; the tasks keep their ids). Each task's own outcome is
        on the task (status, submit_state, error): a failed task does not raise here."""
        with self._calling(drives=True) as c:
            items, ptrs, arr = self._array(tasks)
            rc = self._sliced(ptrs, timeout_ms, lambda ms: C.client_wait_all(c, arr, len(items), ms))
            if rc == Result.ETIMEOUT:
                raise self._timeout_error(timeout_ms, "%d task(s)" % len(items))
            if rc in (Result.ECANCELED, Result.EINVAL, Result.ENOMEM):
                raise self._error(rc)
        return items

    def wait_any(self, tasks: Iterable["Task"], timeout_ms: int) -> int:
        """Wait until at least one task is done; returns its index (the lowest among those done)."""
        index = ctypes.c_size_t(0)
        with self._calling(drives=True) as c:
            items, ptrs, arr = self._array(tasks)
            rc = self._sliced(ptrs, timeout_ms,
                              lambda ms: C.client_wait_any(c, arr, len(items), ms, ctypes.byref(index)))
            if rc == Result.ETIMEOUT:
                raise self._timeout_error(timeout_ms, "any of %d task(s)" % len(items))
            if rc != Result.OK:
                raise self._error(rc)
        return index.value

    def wait_all_report(self, tasks: Iterable["Task"], timeout_ms: int) -> int:
        """wait_all that also says how many of the tasks are done without having succeeded (1.1:
        modellix_client_wait_all_report); raises only for the call itself, as wait_all."""
        failed = ctypes.c_size_t(0)
        fn = need("client_wait_all_report")
        with self._calling(drives=True) as c:
            items, ptrs, arr = self._array(tasks)
            rc = self._sliced(ptrs, timeout_ms, lambda ms: fn(ctypes.byref(failed), c, arr, len(items), ms))
            if rc == Result.ETIMEOUT:
                raise self._timeout_error(timeout_ms, "%d task(s)" % len(items))
            if rc != Result.OK:
                raise self._error(rc)
        return failed.value

    async def wait_all_async(self, tasks: Iterable["Task"], timeout_ms: Optional[int] = None) -> List["Task"]:
        """wait_all for asyncio (see modellix.aio)."""
        from . import aio
        return await aio.wait_all(tasks, timeout_ms)

    async def wait_any_async(self, tasks: Iterable["Task"], timeout_ms: Optional[int] = None) -> int:
        """wait_any for asyncio (see modellix.aio)."""
        from . import aio
        return await aio.wait_any(tasks, timeout_ms)

    # event loop ----------------------------------------------------------------------------------

    def fileno(self) -> int:
        """The backend descriptor: readable when step() has network work (for select/selectors/asyncio)."""
        with self._calling() as c:
            return int(C.client_backend_fd(c))

    def backend_timeout(self) -> int:
        """Milliseconds until step() must be called anyway (0 = now), or -1 if nothing is scheduled."""
        with self._calling() as c:
            return int(C.client_backend_timeout(c))

    def step(self) -> int:
        """Do the work that is ready without blocking; returns the number of tasks still active."""
        active = ctypes.c_size_t(0)
        with self._calling(drives=True) as c:
            rc = int(C.client_step(c, ctypes.byref(active)))
            if rc != Result.OK:
                raise self._error(rc)
        return active.value

    # account and catalogue -------------------------------------------------------------------------

    def validate_key(self) -> bool:
        """Ask the service whether the API key is valid (a rejected key may also raise AuthError)."""
        valid = ctypes.c_int32(0)
        with self._calling(drives=True) as c:
            rc = int(C.client_validate_key(c, ctypes.byref(valid)))
            if rc != Result.OK:
                raise self._error(rc)
        return bool(valid.value)

    def balance(self) -> float:
        """The team's balance (data.balance)."""
        value = ctypes.c_double(0.0)
        with self._calling(drives=True) as c:
            rc = int(C.client_balance(c, ctypes.byref(value)))
            if rc != Result.OK:
                raise self._error(rc)
        return value.value

    def models(self, type: Optional[str] = None, provider: Optional[str] = None, search: Optional[str] = None,
               limit: int = 0) -> Models:
        """The model catalogue (one GET), optionally filtered locally (see Models.filter)."""
        out = ctypes.c_void_p()
        with self._calling(drives=True) as c:
            rc = int(C.models_list(ctypes.byref(out), c))
            if rc != Result.OK:
                raise self._error(rc)
        assert out.value is not None
        every = Models(out.value)
        if type is None and provider is None and search is None and not limit:
            return every
        with every:
            return every.filter(type, provider, search, limit)

    # 1.1: the submission queue ---------------------------------------------------------------------

    def resume(self) -> None:
        """Let queued submissions go out again after one ended with an unknown outcome (the queue is
        halted until the application has decided; see halted)."""
        with self._calling() as c:
            rc = int(need("client_resume")(c))
            if rc != Result.OK:
                raise self._error(rc)

    @property
    def halted(self) -> bool:
        """Whether the submission queue is halted by an unknown outcome."""
        with self._calling() as c:
            return bool(need("client_halted")(c))

    @property
    def pending_count(self) -> int:
        """Submissions not yet answered: queued by submit_async or on the wire."""
        with self._calling() as c:
            return int(need("client_pending_count")(c))

    # 1.1: journal and poll statistics -------------------------------------------------------------

    def attach_pending(self) -> List["Task"]:
        """Tasks for every unfinished (accepted) entry of this client's journal with its base URL and
        profile, in journal order; their final records are written when they are seen to end.
        StateError if the client has no journal."""
        from .task import Task
        arr = ctypes.POINTER(ctypes.c_void_p)()
        n = ctypes.c_size_t(0)
        with self._calling(drives=True) as c:
            rc = int(need("client_attach_pending")(ctypes.byref(arr), ctypes.byref(n), c))
            if rc != Result.OK:
                raise self._error(rc)
            try:
                return [Task(self, int(arr[i])) for i in range(n.value)]
            finally:
                C.free(arr)

    def poll_stats_export(self) -> Dict[str, Any]:
        """The poll statistics the client learned (per model: recent task durations), to keep between runs."""
        out = ctypes.c_void_p()
        with self._calling() as c:
            rc = int(need("client_poll_stats_export")(ctypes.byref(out), c))
            raw = take_string(out)
            if rc != Result.OK:
                raise self._error(rc)
        assert raw is not None
        stats: Dict[str, Any] = json.loads(raw)
        return stats

    def poll_stats_import(self, stats: Union[Dict[str, Any], str, bytes]) -> None:
        """Give back statistics from poll_stats_export() (checked as untrusted input; all or nothing)."""
        raw = cstr(stats if isinstance(stats, (str, bytes)) else json.dumps(stats), "stats")
        with self._calling() as c:
            rc = int(need("client_poll_stats_import")(c, raw))
            if rc != Result.OK:
                raise self._error(rc)

    def __repr__(self) -> str:
        if self._ptr is None:
            return "<modellix.Client closed>"
        return "<modellix.Client %s>" % self.base_url
