"""The exception hierarchy: one ModellixError subclass per result code, each carrying .code (a Result),
.message (the library's detail), .http_status and .request_id."""

from __future__ import annotations

from typing import Dict, Optional, Type, Union

from ._lib import C, LibraryNotFoundError
from ._types import Result

__all__ = [
    "ModellixError", "InvalidArgumentError", "OutOfMemoryError", "NoKeyError", "NetworkError", "DeadlineError",
    "CanceledError", "AuthError", "PaymentError", "NotFoundError", "RateLimitError", "ServerError", "HTTPError",
    "ProtocolError", "TooLargeError", "OutcomeUnknownError", "TaskFailedError", "UserCallbackError",
    "UnsafeDownloadError", "ExistsError", "LocalIOError", "StateError", "InitError", "TLSError",
    "LibraryNotFoundError", "strerror", "error_for",
]


def strerror(code: int) -> str:
    """A short English description of a result code (modellix_strerror)."""
    raw: bytes = C.strerror(int(code))
    return raw.decode("utf-8", "replace")


def _code(code: int) -> Union[Result, int]:
    try:
        return Result(code)
    except ValueError:
        return code


class ModellixError(Exception):
    """A libmodellix call failed. code: the Result; message: the library's detail (never the key)."""

    code: Union[Result, int]
    message: str
    http_status: int
    request_id: Optional[str]

    def __init__(self, code: int, message: str = "", http_status: int = 0, request_id: Optional[str] = None) -> None:
        self.code = _code(code)
        self.message = message or strerror(code)
        self.http_status = http_status
        self.request_id = request_id
        text = "%s (%d): %s" % (strerror(code), int(code), self.message)
        if http_status:
            text += " [HTTP %d]" % http_status
        if request_id:
            text += " [request %s]" % request_id
        super().__init__(text)


class InvalidArgumentError(ModellixError, ValueError):
    """EINVAL: a bad argument (nothing was sent)."""


class OutOfMemoryError(ModellixError, MemoryError):
    """ENOMEM."""


class NoKeyError(ModellixError):
    """ENOKEY: no API key given and MODELLIX_API_KEY empty or unset."""


class NetworkError(ModellixError, ConnectionError):
    """ENETWORK: the request could not be sent or the connection failed."""


class DeadlineError(ModellixError, TimeoutError):
    """ETIMEOUT: the call's deadline passed; a task keeps its id and last state."""


class CanceledError(ModellixError):
    """ECANCELED: Client.cancel() was called."""


class AuthError(ModellixError, PermissionError):
    """EAUTH: HTTP 401 or 403."""


class PaymentError(ModellixError):
    """EPAYMENT: HTTP 402, the team's balance is insufficient."""


class NotFoundError(ModellixError):
    """ENOTFOUND: HTTP 404, no such model or task."""


class RateLimitError(ModellixError):
    """ERATELIMIT: HTTP 429 that the retries did not get past."""


class ServerError(ModellixError):
    """ESERVER: HTTP 5xx that the retries did not get past."""


class HTTPError(ModellixError):
    """EHTTP: another unexpected HTTP status."""


class ProtocolError(ModellixError):
    """EPROTOCOL: an answer that is not valid JSON, has the wrong shape, or names another task."""


class TooLargeError(ModellixError):
    """ETOOLARGE: a response, body or file over its limit."""


class OutcomeUnknownError(ModellixError):
    """EOUTCOME_UNKNOWN: a paid submission was sent but its result is unknown: a task may exist and be
    charged. Check the account before submitting the same request again."""


class TaskFailedError(ModellixError):
    """ETASK_FAILED: the service reports that the task failed."""


class UserCallbackError(ModellixError):
    """EUSER: a callback asked to stop (a progress callback returned False)."""


class UnsafeDownloadError(ModellixError):
    """EUNSAFE: a download refused by the safety rules."""


class ExistsError(ModellixError, FileExistsError):
    """EEXIST: the download target exists and overwriting was not asked for."""


class LocalIOError(ModellixError, OSError):
    """EIO: a local file could not be created, read, written or renamed."""


class StateError(ModellixError):
    """ESTATE: the object is not in a state that allows the call (also: a closed Client or Task)."""


class InitError(ModellixError):
    """EINIT: libcurl could not be initialised."""


class TLSError(ModellixError):
    """ETLS: the server's certificate was refused, or the CA file could not be used."""


_ERRORS: Dict[int, Type[ModellixError]] = {
    Result.EINVAL: InvalidArgumentError, Result.ENOMEM: OutOfMemoryError, Result.ENOKEY: NoKeyError,
    Result.ENETWORK: NetworkError, Result.ETIMEOUT: DeadlineError, Result.ECANCELED: CanceledError,
    Result.EAUTH: AuthError, Result.EPAYMENT: PaymentError, Result.ENOTFOUND: NotFoundError,
    Result.ERATELIMIT: RateLimitError, Result.ESERVER: ServerError, Result.EHTTP: HTTPError,
    Result.EPROTOCOL: ProtocolError, Result.ETOOLARGE: TooLargeError, Result.EOUTCOME_UNKNOWN: OutcomeUnknownError,
    Result.ETASK_FAILED: TaskFailedError, Result.EUSER: UserCallbackError, Result.EUNSAFE: UnsafeDownloadError,
    Result.EEXIST: ExistsError, Result.EIO: LocalIOError, Result.ESTATE: StateError, Result.EINIT: InitError,
    Result.ETLS: TLSError,
}


def error_for(code: int, message: str = "", http_status: int = 0, request_id: Optional[str] = None) -> ModellixError:
    """The exception object (not raised) for a result code."""
    return _ERRORS.get(int(code), ModellixError)(code, message, http_status, request_id)


def check(rc: int, message: str = "") -> None:
    """Raise for a call whose failure has no object to carry details (options, media, models)."""
    if rc != Result.OK:
        raise error_for(rc, message)


def closed(what: str) -> StateError:
    return StateError(Result.ESTATE, "the %s is closed" % what)
