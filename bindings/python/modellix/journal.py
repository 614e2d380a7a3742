"""The task journal (journal.h, 1.1): reading a journal file and emptying it. A client writes one when
made with Client(journal_path=...); Client.attach_pending() resumes its unfinished tasks."""

from __future__ import annotations

import ctypes
import dataclasses
import os
from typing import Iterator, List, Optional, Union

from ._lib import need
from ._types import JournalState
from ._util import PathLike, cpath, text
from .errors import check

__all__ = ["JournalEntry", "Journal", "read", "clear"]


@dataclasses.dataclass(frozen=True)
class JournalEntry:
    """One paid submission as the journal knows it."""

    intent_id: str
    task_id: Optional[str]
    model_slug: Optional[str]
    base_url: Optional[str]
    profile: Optional[str]
    state: Union[JournalState, int]
    created_ms: int
    updated_ms: int
    pid: int


@dataclasses.dataclass(frozen=True)
class Journal:
    """A snapshot of a journal file: its entries in intent order and how many damaged lines were skipped."""

    entries: List[JournalEntry]
    skipped: int

    def __iter__(self) -> Iterator[JournalEntry]:
        return iter(self.entries)

    def __len__(self) -> int:
        return len(self.entries)


def _state(value: int) -> Union[JournalState, int]:
    try:
        return JournalState(value)
    except ValueError:
        return value


def read(path: PathLike) -> Journal:
    """Read a journal file (a missing file reads as empty). The snapshot is copied into Python objects."""
    out = ctypes.c_void_p()
    raw = cpath(path, "path")
    check(need("journal_open")(ctypes.byref(out), raw), "could not read the journal %s" % os.fsdecode(raw))
    j = out.value
    try:
        C = need
        entries = [JournalEntry(
            intent_id=text(C("journal_entry_intent_id")(j, i)) or "",
            task_id=text(C("journal_entry_task_id")(j, i)),
            model_slug=text(C("journal_entry_model_slug")(j, i)),
            base_url=text(C("journal_entry_base_url")(j, i)),
            profile=text(C("journal_entry_profile")(j, i)),
            state=_state(int(C("journal_entry_state")(j, i))),
            created_ms=int(C("journal_entry_created_ms")(j, i)),
            updated_ms=int(C("journal_entry_updated_ms")(j, i)),
            pid=int(C("journal_entry_pid")(j, i)),
        ) for i in range(int(C("journal_count")(j)))]
        return Journal(entries=entries, skipped=int(C("journal_skipped")(j)))
    finally:
        need("journal_free")(j)


def clear(path: PathLike) -> None:
    """Empty a journal file under its lock (a missing file is not an error)."""
    raw = cpath(path, "path")
    check(need("journal_clear")(raw), "could not clear the journal %s" % os.fsdecode(raw))
