"""The model catalogue (account.h): a list fetched once, filtered and searched locally."""

from __future__ import annotations

import ctypes
import dataclasses
import json
import threading
from typing import Any, Dict, Iterator, Optional, overload

from ._lib import C
from ._types import Result
from ._util import Closeable, cstr, text
from .errors import check, closed

__all__ = ["Model", "Models"]


@dataclasses.dataclass(frozen=True)
class Model:
    """One catalogue entry (copied out of the list)."""

    slug: str
    type: Optional[str]
    provider: Optional[str]
    description: Optional[str]
    docs_url: Optional[str]
    json: str

    def data(self) -> Dict[str, Any]:
        """The whole entry, parsed."""
        out: Dict[str, Any] = json.loads(self.json)
        return out


class Models(Closeable):
    """An immutable list of models (modellix_models). Independent of the client: it may outlive it.
    A sequence of Model; close() (or a with block) frees it early."""

    def __init__(self, ptr: int) -> None:
        self._ptr: Optional[int] = ptr
        self._lock = threading.Lock()

    def _handle(self) -> int:
        if not self._ptr:
            raise closed("model list")
        return self._ptr

    def close(self) -> None:
        with self._lock:
            ptr, self._ptr = self._ptr, None
        if ptr:
            C.models_free(ptr)

    def __len__(self) -> int:
        return int(C.models_count(self._handle()))

    def _entry(self, i: int) -> Model:
        m = self._handle()
        slug = text(C.models_slug(m, i))
        if slug is None:
            raise IndexError(i)
        return Model(slug=slug, type=text(C.models_type(m, i)), provider=text(C.models_provider(m, i)),
                     description=text(C.models_description(m, i)), docs_url=text(C.models_docs_url(m, i)),
                     json=text(C.models_json(m, i)) or "{}")

    @overload
    def __getitem__(self, i: int) -> Model: ...

    @overload
    def __getitem__(self, i: str) -> Model: ...

    def __getitem__(self, i: "int | str") -> Model:
        if isinstance(i, str):
            index = self.find(i)
            if index is None:
                raise KeyError(i)
            return self._entry(index)
        n = len(self)
        if i < 0:
            i += n
        if not 0 <= i < n:
            raise IndexError("model index out of range")
        return self._entry(i)

    def __iter__(self) -> Iterator[Model]:
        for i in range(len(self)):
            yield self._entry(i)

    def __contains__(self, slug: object) -> bool:
        return isinstance(slug, str) and self.find(slug) is not None

    def find(self, slug: str) -> Optional[int]:
        """The index of the model with this slug (trimmed, ASCII case-insensitive), or None."""
        index = ctypes.c_size_t()
        rc = C.models_find(self._handle(), cstr(slug, "slug"), ctypes.byref(index))
        if rc == Result.ENOTFOUND:
            return None
        check(rc)
        return index.value

    def filter(self, type: Optional[str] = None, provider: Optional[str] = None, search: Optional[str] = None,
               limit: int = 0) -> "Models":
        """A new list of the models matching every filter given (as the official CLI's model list)."""
        out = ctypes.c_void_p()
        check(C.models_filter(ctypes.byref(out), self._handle(), cstr(type, "type"), cstr(provider, "provider"),
                              cstr(search, "search"), int(limit)))
        assert out.value is not None
        return Models(out.value)

    def __repr__(self) -> str:
        return "<modellix.Models %s>" % ("closed" if not self._ptr else "of %d" % len(self))
