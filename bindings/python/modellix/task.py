"""One generation task (task.h, download.h)."""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import itertools
from typing import Any, Callable, Dict, Iterator, List, Optional, TypedDict, TypeVar, Union

from . import _signals
from ._lib import C, need
from ._types import DownloadFlag, Result, SubmitState, TaskState
from ._util import JSONBody, PathLike, StrOrBytes, body as _body, cpath, cstr, take_bytes, take_string, text
from .client import Client
from .errors import ModellixError, StateError, closed, error_for

__all__ = ["Task", "Resource", "Download", "SubmitInterrupted"]

_E = TypeVar("_E", bound=int)
_user_tokens = itertools.count(1)   # the C user data of a task: a token for the Python object


class Resource(TypedDict):
    """One result file of a successful task."""

    url: Optional[str]
    type: Optional[str]
    format: Optional[str]
    role: Optional[str]
    width: int
    height: int


class Download(TypedDict):
    """What download_all did with one resource."""

    path: Optional[str]
    error: Optional[ModellixError]


class SubmitInterrupted(KeyboardInterrupt):
    """Ctrl-C arrived during a paid submission. The submission ran to its end (it cannot be taken back);
    .task is the task it made (accepted with an id, or not: see task.submit_state), so the id is never lost."""

    def __init__(self, task: "Task") -> None:
        self.task = task
        super().__init__("interrupted during a paid submission; task id %s" % task.id)


def _enum(kind: Callable[[int], _E], value: int) -> Union[_E, int]:
    try:
        return kind(value)
    except ValueError:
        return value


class Task:
    """One generation task. Made by Client.submit / submit_async / attach. A context manager: close()
    frees the task object (the task on the service is not affected). Closing a task inside a callback
    is allowed: it is freed once the library call that ran the callback has returned."""

    def __init__(self, client: Client, ptr: int) -> None:
        self._client = client   # keeps the client alive as long as the task (the C rule: tasks first)
        self._ptr: Optional[int] = ptr
        self._background = False   # watched by the application (watch()) or the library (submit_async)
        client._live.add(ptr)
        client._tasks[ptr] = self

    @classmethod
    def _make(cls, client: Client, paid: bool, fn: Callable[..., int], *args: Any) -> "Task":
        out = ctypes.c_void_p()
        with contextlib.ExitStack() as stack:
            hit = stack.enter_context(_signals.held()) if paid else []
            with client._calling(drives=True) as c:
                rc = int(fn(ctypes.byref(out), c, *args))
                if rc != Result.OK:
                    raise client._error(rc)
                assert out.value is not None
                task = cls(client, out.value)
        if hit:
            raise SubmitInterrupted(task)
        return task

    @classmethod
    def submit(cls, client: Client, model: StrOrBytes, body: JSONBody) -> "Task":
        """Submit a paid task (body: a dict, or a JSON object as str/bytes) and wait until the service
        accepts it. Sent once; raises OutcomeUnknownError if it may have been processed (a task may
        exist and be charged). Ctrl-C during it is held until it returns, then SubmitInterrupted."""
        return cls._make(client, True, C.task_submit, cstr(model, "model"), _body(body))

    @classmethod
    def submit_async(cls, client: Client, model: StrOrBytes, body: JSONBody) -> "Task":
        """Queue a paid submission; it is sent (at most max_in_flight at a time) and then watched while
        the client is driven (wait_all / wait_any / Task.wait / Client.step / asyncio). Keep the Task:
        closing it (or letting it be collected) drops a submission that has not been sent."""
        task = cls._make(client, True, C.task_submit_async, cstr(model, "model"), _body(body))
        task._background = True
        return task

    @classmethod
    def attach(cls, client: Client, task_id: StrOrBytes) -> "Task":
        """A Task for an existing task id. No network traffic until poll() or wait()."""
        return cls._make(client, False, C.task_attach, cstr(task_id, "task_id"))

    # lifetime ------------------------------------------------------------------------------------

    def close(self) -> None:
        """Free the task object. Idempotent. Safe inside an on_done or progress callback."""
        ptr, self._ptr = self._ptr, None
        if ptr:
            self._client._release_task(ptr)

    def __enter__(self) -> "Task":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            ptr, self._ptr = self._ptr, None
            if ptr:
                self._client._release_task(ptr, blocking=False)
        except Exception:
            pass

    @property
    def closed(self) -> bool:
        return self._ptr is None or self._ptr not in self._client._live

    def _handle(self) -> int:
        ptr = self._ptr
        if not ptr or ptr not in self._client._live:
            self._ptr = None
            raise closed("task (or its client)")
        return ptr

    @contextlib.contextmanager
    def _calling(self, drives: bool = False) -> Iterator[int]:
        with self._client._calling(drives) as _:
            yield self._handle()

    def _call(self, fn: Callable[..., int], *args: Any) -> None:
        with self._calling(drives=True) as t:
            rc = int(fn(t, *args))
            if rc != Result.OK:
                raise self._client._error(rc, t)

    # actions -------------------------------------------------------------------------------------

    def poll(self) -> TaskState:
        """Query the status once; returns the new status. StateError for a task that is queued, being
        submitted or watched in the background."""
        self._call(C.task_poll)
        return self.status

    def watch(self) -> None:
        """Poll in the background while the client is driven."""
        self._call(C.task_watch)
        self._background = True

    def unwatch(self) -> None:
        """Stop polling in the background (1.1); the task keeps its id and state and may be polled."""
        self._call(need("task_unwatch"))
        self._background = False

    @property
    def warning(self) -> Optional[str]:
        """What was odd in the answer that accepted the submission (1.1), or None."""
        return text(self._get(need("task_warning")))

    def wait(self, timeout_ms: int = 5 * 60 * 1000) -> "Task":
        """Wait until the task is terminal. Returns self on success; raises TaskFailedError if the
        service says it failed, DeadlineError on timeout (the task keeps its id: wait again later),
        KeyboardInterrupt on Ctrl-C within 100 ms (the task keeps its id)."""
        c = self._client
        with self._calling(drives=True) as t:
            rc = c._sliced([t], timeout_ms, lambda ms: C.task_wait(t, ms))
            if rc == Result.ETIMEOUT:
                raise c._timeout_error(timeout_ms, "task %s" % (text(C.task_id(t)) or "(no id)"))
            if rc != Result.OK:
                raise c._error(rc, t)
        return self

    async def wait_async(self, timeout_ms: Optional[int] = None) -> "Task":
        """wait() for asyncio, without blocking the event loop (see modellix.aio)."""
        from . import aio
        return await aio.wait(self, timeout_ms)

    def download(self, i: int, dir: PathLike = ".", overwrite: bool = False, flags: int = 0) -> str:
        """Download resource i into directory dir; returns the path of the new file."""
        out = ctypes.c_void_p()
        if overwrite:
            flags |= DownloadFlag.OVERWRITE
        with self._calling(drives=True) as t:
            rc = int(C.task_download(t, int(i), cpath(dir, "dir"), int(flags), ctypes.byref(out)))
            raw = take_string(out)
            if rc != Result.OK:
                raise self._client._error(rc, t)
        assert raw is not None
        return os.fsdecode(raw)

    def download_bytes(self, i: int, flags: int = 0) -> bytes:
        """Download resource i into memory."""
        data = ctypes.c_void_p()
        size = ctypes.c_size_t(0)
        with self._calling(drives=True) as t:
            rc = int(C.task_download_mem(t, int(i), int(flags), ctypes.byref(data), ctypes.byref(size)))
            out = take_bytes(data, size.value)
            if rc != Result.OK:
                raise self._client._error(rc, t)
        return out

    def download_all(self, dir: PathLike = ".", overwrite: bool = False, flags: int = 0) -> List[Download]:
        """Download every resource into dir, one after another (names never clash: "name-2.ext"... unless
        overwrite). Returns each file's outcome; raises only for the call itself (the task has not
        succeeded, a bad directory argument)."""
        if overwrite:
            flags |= DownloadFlag.OVERWRITE
        n_ok = ctypes.c_size_t(0)
        with self._calling(drives=True) as t:
            rc = int(C.task_download_all(t, cpath(dir, "dir"), int(flags), ctypes.byref(n_ok)))
            count = int(C.task_resource_count(t))
            results: List[Download] = []
            for i in range(count):
                code = int(C.task_download_errcode(t, i))
                path = C.task_download_path(t, i)
                results.append({"path": os.fsdecode(path) if code == Result.OK and path else None,
                                "error": None if code == Result.OK else error_for(code)})
            attempted = any(r["error"] is None or r["error"].code != Result.ESTATE for r in results)
            if rc != Result.OK and not attempted:
                raise self._client._error(rc, t)
        return results

    def download_path(self, i: int) -> Optional[str]:
        """Where resource i was last saved by download()/download_all(), or None."""
        with self._calling() as t:
            raw = C.task_download_path(t, int(i))
        return None if raw is None else os.fsdecode(raw)

    def download_error(self, i: int) -> Optional[ModellixError]:
        """The error of the last download of resource i to a directory, or None if it succeeded
        (StateError if it was never attempted)."""
        with self._calling() as t:
            code = int(C.task_download_errcode(t, int(i)))
        return None if code == Result.OK else error_for(code)

    # state ---------------------------------------------------------------------------------------

    @property
    def client(self) -> Client:
        return self._client

    def _get(self, fn: Callable[..., Any], *args: Any) -> Any:
        with self._calling() as t:
            return fn(t, *args)

    @property
    def id(self) -> Optional[str]:
        """The service's task id (None for a queued submission until it is accepted)."""
        return text(self._get(C.task_id))

    @property
    def model(self) -> Optional[str]:
        return text(self._get(C.task_model_slug))

    @property
    def status(self) -> TaskState:
        return TaskState(int(self._get(C.task_status)))

    @property
    def status_text(self) -> Optional[str]:
        return text(self._get(C.task_status_text))

    @property
    def submit_state(self) -> SubmitState:
        return SubmitState(int(self._get(C.task_submit_state)))

    @property
    def done(self) -> bool:
        """Nothing more will happen without a new call: terminal, submission failed, or polling failed."""
        return bool(self._get(C.task_done))

    @property
    def json(self) -> Optional[str]:
        """The raw body of the last successful response about the task, or None."""
        return text(self._get(C.task_json))

    def data(self) -> Optional[Dict[str, Any]]:
        """json, parsed."""
        raw = self.json
        if raw is None:
            return None
        out: Dict[str, Any] = json.loads(raw)
        return out

    @property
    def errcode(self) -> Union[Result, int]:
        return _enum(Result, int(self._get(C.task_errcode)))

    @property
    def http_status(self) -> int:
        return int(self._get(C.task_http_status))

    @property
    def request_id(self) -> Optional[str]:
        return text(self._get(C.task_request_id))

    @property
    def error(self) -> Optional[ModellixError]:
        """The task's last failure as an exception object (not raised), or None."""
        with self._calling() as t:
            code = int(C.task_errcode(t))
            if code == Result.OK:
                return None
            return error_for(code, text(C.task_errmsg(t)) or "", int(C.task_http_status(t)),
                             text(C.task_request_id(t)))

    @property
    def resources(self) -> List[Resource]:
        """The result files (empty unless the task succeeded)."""
        with self._calling() as t:
            return [{"url": text(C.task_resource_url(t, i)), "type": text(C.task_resource_type(t, i)),
                     "format": text(C.task_resource_format(t, i)), "role": text(C.task_resource_role(t, i)),
                     "width": int(C.task_resource_width(t, i)), "height": int(C.task_resource_height(t, i))}
                    for i in range(int(C.task_resource_count(t)))]

    @property
    def user_data(self) -> object:
        """An application object attached to the task (modellix_task_set_user_data), or None."""
        with self._calling() as t:
            token = C.task_user_data(t)
            return self._client._user_data.get(int(token)) if token else None

    @user_data.setter
    def user_data(self, value: object) -> None:
        with self._calling() as t:
            old = C.task_user_data(t)
            token = next(_user_tokens) if value is not None else 0
            if token:
                self._client._user_data[token] = value
            rc = int(C.task_set_user_data(t, token or None))
            if rc != Result.OK:
                self._client._user_data.pop(token, None)
                raise error_for(rc)
            if old:
                self._client._user_data.pop(int(old), None)

    def __repr__(self) -> str:
        try:
            return "<modellix.Task %s %s>" % (self.id, self.status.name)
        except StateError:
            return "<modellix.Task closed>"
