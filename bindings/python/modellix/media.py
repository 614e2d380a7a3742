"""Input media as base64 data: URIs for request bodies (media.h). No client is needed."""

from __future__ import annotations

import ctypes
import os
from typing import Optional

from ._lib import C
from ._types import DATA_URI_MAX_INPUT, Result
from ._util import PathLike, cpath, cstr, take_string, text
from .errors import error_for

__all__ = ["sniff", "data_uri_from_bytes", "data_uri_from_file", "DATA_URI_MAX_INPUT"]


def sniff(data: bytes) -> Optional[str]:
    """The media type told by the first bytes ("image/png", "video/mp4", ...), or None."""
    data = bytes(data)
    return text(C.media_sniff(data, len(data)))


def _uri(rc: int, out: ctypes.c_void_p, what: str) -> str:
    raw = take_string(out)
    if rc != Result.OK:
        msg = what
        if rc == Result.EIO:
            msg += ": " + os.strerror(ctypes.get_errno())   # the library leaves errno as the system call set it
        raise error_for(rc, msg)
    assert raw is not None
    return raw.decode("ascii")


def data_uri_from_bytes(data: bytes, mime: Optional[str] = None) -> str:
    """"data:<mime>;base64,..." for data (at most DATA_URI_MAX_INPUT bytes); mime None: sniffed."""
    data = bytes(data)
    out = ctypes.c_void_p()
    rc = C.data_uri_from_bytes(ctypes.byref(out), data, len(data), cstr(mime, "mime"))
    return _uri(rc, out, "could not encode %d bytes as a data: URI" % len(data))


def data_uri_from_file(path: PathLike, mime: Optional[str] = None) -> str:
    """The data: URI of a regular file's contents; mime None: sniffed from its first bytes."""
    raw = cpath(path, "path")
    out = ctypes.c_void_p()
    ctypes.set_errno(0)
    rc = C.data_uri_from_file(ctypes.byref(out), raw, cstr(mime, "mime"))
    return _uri(rc, out, "could not encode %s as a data: URI" % os.fsdecode(raw))
