"""The C enumerations as IntEnum / IntFlag.

The values are permanent in the C ABI. tests/test_types.py reads include/modellix/*.h and checks every
member here against the header's value (and that no header constant is missing), so they cannot drift.
"""

from __future__ import annotations

import enum

__all__ = ["Result", "TaskState", "SubmitState", "LogLevel", "DownloadFlag", "Operation", "Fault", "SubmitPath",
           "JournalSync", "JournalState",
           "DATA_URI_MAX_INPUT"]


class Result(enum.IntEnum):
    """enum modellix_result (errors.h): MODELLIX_OK and the MODELLIX_E* codes."""

    OK = 0
    EINVAL = -1
    ENOMEM = -2
    ENOKEY = -3
    ENETWORK = -4
    ETIMEOUT = -5
    ECANCELED = -6
    EAUTH = -7
    EPAYMENT = -8
    ENOTFOUND = -9
    ERATELIMIT = -10
    ESERVER = -11
    EHTTP = -12
    EPROTOCOL = -13
    ETOOLARGE = -14
    EOUTCOME_UNKNOWN = -15
    ETASK_FAILED = -16
    EUSER = -17
    EUNSAFE = -18
    EEXIST = -19
    EIO = -20
    ESTATE = -21
    EINIT = -22
    ETLS = -23


class TaskState(enum.IntEnum):
    """enum modellix_task_state (task.h): MODELLIX_TASK_*."""

    UNKNOWN = 0
    SUBMITTING = 1
    PENDING = 2
    PROCESSING = 3
    SUCCESS = 4
    FAILED = 5


class SubmitState(enum.IntEnum):
    """enum modellix_submit_state (task.h): MODELLIX_SUBMIT_*."""

    NONE = 0
    QUEUED = 1
    SENDING = 2
    ACCEPTED = 3
    REJECTED = 4
    UNKNOWN = 5
    SKIPPED = 6


class LogLevel(enum.IntEnum):
    """enum modellix_log_level (client.h): MODELLIX_LOG_*."""

    ERROR = 0
    WARN = 1
    INFO = 2
    DEBUG = 3


class SubmitPath(enum.IntEnum):
    """enum modellix_submit_path (client.h): MODELLIX_SUBMIT_PATH_*."""

    DEFAULT = 0
    ASYNC = 1


class DownloadFlag(enum.IntFlag):
    """enum modellix_download_flags (download.h): MODELLIX_DOWNLOAD_*; combine with |."""

    OVERWRITE = 1
    ALLOW_HTTP = 2
    ALLOW_PRIVATE = 4
    RENAME = 8


class Operation(enum.IntEnum):
    """enum modellix_operation (retry.h): MODELLIX_OP_*."""

    SUBMIT = 1
    POLL = 2
    DOWNLOAD = 3
    ACCOUNT = 4


class Fault(enum.IntEnum):
    """enum modellix_fault (retry.h): MODELLIX_FAULT_*."""

    NOT_SENT = 1
    THROTTLED = 2
    UNKNOWN = 3
    REJECTED = 4


#: MODELLIX_DATA_URI_MAX_INPUT (media.h): the largest input of the data: URI helpers, in bytes.
DATA_URI_MAX_INPUT = 50330624


class JournalSync(enum.IntEnum):
    """enum modellix_journal_sync (journal.h, 1.1): MODELLIX_JOURNAL_SYNC_*."""

    NONE = 0
    MONEY = 1
    ALL = 2


class JournalState(enum.IntEnum):
    """enum modellix_journal_state (journal.h, 1.1): MODELLIX_JOURNAL_*."""

    INTENT = 1
    ACCEPTED = 2
    SUCCESS = 3
    FAILED = 4
    REJECTED = 5
    UNKNOWN = 6
