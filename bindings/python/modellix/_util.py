"""Conversions between Python values and C strings, and library-owned memory."""

from __future__ import annotations

import ctypes
import json
import os
from typing import Any, Mapping, Optional, Sequence, TypeVar, Union

from ._lib import C

StrOrBytes = Union[str, bytes]
PathLike = Union[str, bytes, "os.PathLike[str]", "os.PathLike[bytes]"]
JSONBody = Union[Mapping[str, Any], Sequence[Any], str, bytes]

_Self = TypeVar("_Self", bound="Closeable")


class Closeable:
    """A wrapper of a library handle: a context manager whose exit, like its collection, calls close()."""

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self: _Self) -> _Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:
            pass


def text(raw: Optional[bytes]) -> Optional[str]:
    """A borrowed C string (already copied by ctypes into bytes) as str, or None."""
    return None if raw is None else raw.decode("utf-8", "replace")


def cstr(value: Optional[StrOrBytes], what: str) -> Optional[bytes]:
    """A str or bytes argument as a NUL-free C string (None stays NULL)."""
    if value is None:
        return None
    if isinstance(value, str):
        value = value.encode("utf-8")
    elif not isinstance(value, bytes):
        raise TypeError("%s must be str or bytes, not %s" % (what, type(value).__name__))
    if b"\0" in value:
        raise ValueError("%s contains a NUL byte" % what)
    return value


def cpath(value: PathLike, what: str) -> bytes:
    """A file name as bytes (file names need not be UTF-8)."""
    raw = os.fsencode(value)
    if b"\0" in raw:
        raise ValueError("%s contains a NUL byte" % what)
    return raw


def body(value: JSONBody) -> bytes:
    """A request body: a dict/list is serialised; str/bytes are sent as given."""
    if isinstance(value, (str, bytes)):
        out = cstr(value, "body")
        assert out is not None
        return out
    return json.dumps(value).encode("utf-8")


def take_string(ptr: ctypes.c_void_p) -> Optional[bytes]:
    """Copy a NUL-terminated string the library handed over, then release it with modellix_free."""
    try:
        return None if not ptr.value else ctypes.string_at(ptr.value)
    finally:
        C.free(ptr)


def take_bytes(ptr: ctypes.c_void_p, size: int) -> bytes:
    """Copy size bytes the library handed over, then release them with modellix_free."""
    try:
        return ctypes.string_at(ptr.value, size) if ptr.value and size else b""
    finally:
        C.free(ptr)
