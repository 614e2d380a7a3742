"""modellix - Python binding of libmodellix, the C SDK of the Modellix image/video generation API.

    import modellix

    with modellix.Client(api_key="...") as client:              # or MODELLIX_API_KEY
        task = client.submit("bytedance/seedream-4.5-t2i", {"prompt": "a red fox in the snow"})
        task.wait(timeout_ms=5 * 60 * 1000)
        for i, res in enumerate(task.resources):
            print(res["type"], res["width"], res["height"], task.download(i, "out"))

The shared library is found through MODELLIX_LIBRARY, the directory `meson install` used, ctypes.util
and the soname libmodellix.so.1 (see modellix._lib); if none loads, importing raises
LibraryNotFoundError (an ImportError) saying so.

Errors raise a subclass of ModellixError with .code (a Result), .message, .http_status and .request_id.
OutcomeUnknownError means a paid submission was sent and its result is unknown: a task may exist and be
charged; do not submit it again before checking your account.
"""

from __future__ import annotations

from typing import Tuple

from . import aio, journal, media
from ._lib import C as _C, ENV as LIBRARY_ENV, LibraryNotFoundError, library_path
from ._types import (DATA_URI_MAX_INPUT, DownloadFlag, Fault, JournalState, JournalSync, LogLevel, Operation, Result,
                     SubmitPath, SubmitState, TaskState)
from .client import SLICE_MS, Client, TaskInfo
from .errors import (AuthError, CanceledError, DeadlineError, ExistsError, HTTPError, InitError, InvalidArgumentError,
                     LocalIOError, ModellixError, NetworkError, NoKeyError, NotFoundError, OutcomeUnknownError,
                     OutOfMemoryError, PaymentError, ProtocolError, RateLimitError, ServerError, StateError,
                     TaskFailedError, TLSError, TooLargeError, UnsafeDownloadError, UserCallbackError, error_for,
                     strerror)
from .models import Model, Models
from .retry import Attempt, RetryPolicy
from .task import Download, Resource, SubmitInterrupted, Task

__version__ = "1.1.0"

__all__ = [
    "Client", "Task", "TaskInfo", "journal", "Resource", "Download", "Models", "Model", "RetryPolicy", "Attempt", "aio", "media",
    "Result", "TaskState", "SubmitState", "LogLevel", "DownloadFlag", "Operation", "Fault", "SubmitPath",
    "JournalSync", "JournalState",
    "DATA_URI_MAX_INPUT", "SLICE_MS", "LIBRARY_ENV", "library_path", "version", "version_info", "strerror",
    "error_for", "wait_all", "wait_any", "SubmitInterrupted", "LibraryNotFoundError",
    "ModellixError", "InvalidArgumentError", "OutOfMemoryError", "NoKeyError", "NetworkError", "DeadlineError",
    "CanceledError", "AuthError", "PaymentError", "NotFoundError", "RateLimitError", "ServerError", "HTTPError",
    "ProtocolError", "TooLargeError", "OutcomeUnknownError", "TaskFailedError", "UserCallbackError",
    "UnsafeDownloadError", "ExistsError", "LocalIOError", "StateError", "InitError", "TLSError",
]


def version() -> str:
    """The run-time library version, e.g. "1.0.0" (modellix_version_string)."""
    raw: bytes = _C.version_string()
    return raw.decode("ascii")


def version_info() -> Tuple[int, int, int]:
    """The run-time library version as (major, minor, patch) (modellix_version_num)."""
    n = int(_C.version_num())
    return n // 10000, n // 100 % 100, n % 100


def wait_all(tasks: "list[Task] | tuple[Task, ...]", timeout_ms: int) -> "list[Task]":
    """Client.wait_all on the tasks' client."""
    items = list(tasks)
    if not items:
        raise ValueError("no tasks")
    return items[0].client.wait_all(items, timeout_ms)


def wait_any(tasks: "list[Task] | tuple[Task, ...]", timeout_ms: int) -> int:
    """Client.wait_any on the tasks' client."""
    items = list(tasks)
    if not items:
        raise ValueError("no tasks")
    return items[0].client.wait_any(items, timeout_ms)
