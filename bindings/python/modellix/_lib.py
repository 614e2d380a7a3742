"""Finding and loading libmodellix, and declaring every C function used (argtypes and restype).

Search order:
  1. the path in the environment variable MODELLIX_LIBRARY (if set, nothing else is tried);
  2. libmodellix.so.1 in the directory `meson install` put it in (modellix/_config.py);
  3. what ctypes.util.find_library("modellix") finds (the ldconfig cache);
  4. the soname libmodellix.so.1 on the dynamic loader's search path (LD_LIBRARY_PATH, /etc/ld.so.conf).
If none loads, LibraryNotFoundError (an ImportError) names MODELLIX_LIBRARY and lists what was tried.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from . import _config

__all__ = ["C", "ENV", "SONAME", "LibraryNotFoundError", "library_path", "LOG_FN", "TASK_FN", "DESTROY_FN",
           "POLL_FN", "PROGRESS_FN", "ATTEMPT_FN", "RETRY_FN", "POLL_TASK_FN", "MISSING_1_1", "has", "need"]

ENV = "MODELLIX_LIBRARY"
SONAME = "libmodellix.so.1"


class LibraryNotFoundError(ImportError):
    """libmodellix could not be loaded. The message says where it looked and how to point at it."""


def _candidates() -> List[Tuple[str, str]]:
    """(path or name, where it came from) in search order."""
    out: List[Tuple[str, str]] = []
    if _config.LIBDIR:
        out.append((os.path.join(_config.LIBDIR, SONAME), "the directory meson installed it in"))
    found = ctypes.util.find_library("modellix")
    if found:
        out.append((found, 'ctypes.util.find_library("modellix")'))
    out.append((SONAME, "the dynamic loader's search path"))
    return out


def _load() -> Tuple[ctypes.CDLL, str]:
    explicit = os.environ.get(ENV)
    if explicit:
        try:
            return ctypes.CDLL(explicit, use_errno=True), explicit
        except OSError as e:
            raise LibraryNotFoundError(
                "libmodellix could not be loaded from %s=%s: %s. Set %s to the path of %s (for example "
                "build/lib/%s in a meson build directory), or unset it to search the installed library."
                % (ENV, explicit, e, ENV, SONAME, SONAME)) from None
    tried: List[str] = []
    for path, where in _candidates():
        try:
            return ctypes.CDLL(path, use_errno=True), path
        except OSError as e:
            tried.append("%s (%s): %s" % (path, where, e))
    if not ctypes.util.find_library("modellix"):
        tried.insert(0, 'ctypes.util.find_library("modellix"): not found')
    raise LibraryNotFoundError(
        "libmodellix (%s) was not found. Set the environment variable %s to its path, for example "
        "%s=/path/to/build/lib/%s, or install it (meson install, or the libmodellix1 package). Tried: %s"
        % (SONAME, ENV, ENV, SONAME, "; ".join(tried)))


_dll, _path = _load()


def library_path() -> str:
    """The path or name the library was loaded from."""
    return _path


_p = ctypes.c_void_p            # every opaque handle: never let ctypes truncate a pointer to int
_pp = ctypes.POINTER(ctypes.c_void_p)
_s = ctypes.c_char_p            # const char * in; borrowed const char * out (copied to bytes at once)
_i = ctypes.c_int
_i32, _i64, _u32, _u64, _sz = ctypes.c_int32, ctypes.c_int64, ctypes.c_uint32, ctypes.c_uint64, ctypes.c_size_t
_psz = ctypes.POINTER(ctypes.c_size_t)

LOG_FN = ctypes.CFUNCTYPE(None, _i32, _s, _p)                    # modellix_log_fn
TASK_FN = ctypes.CFUNCTYPE(None, _p, _p)                         # modellix_task_fn
DESTROY_FN = ctypes.CFUNCTYPE(None, _p)                          # modellix_destroy_fn
POLL_FN = ctypes.CFUNCTYPE(_i64, _i64, _i32, _p)                 # modellix_poll_fn
PROGRESS_FN = ctypes.CFUNCTYPE(_i, _p, _sz, _i64, _i64, _p)      # modellix_progress_fn
ATTEMPT_FN = ctypes.CFUNCTYPE(None, _p, _i64, _p)                # modellix_attempt_fn
RETRY_FN = ctypes.CFUNCTYPE(_i64, _p, _p)                        # modellix_retry_fn
POLL_TASK_FN = ctypes.CFUNCTYPE(_i64, _p, _i64, _i32, _p)        # modellix_poll_task_fn (1.1)

_SIG = Tuple[Any, Sequence[Any]]

# Every MODELLIX_1.0 symbol of lib/libmodellix.map. char ** and uint8_t ** out-parameters are void ** so
# the pointer survives to be given back to modellix_free (a c_char_p would be copied and lost).
_SIGNATURES: Dict[str, _SIG] = {
    # client.h: library
    "modellix_global_init": (_i, []),
    "modellix_global_cleanup": (None, []),
    "modellix_version_string": (_s, []),
    "modellix_version_num": (_i32, []),
    "modellix_free": (None, [_p]),
    "modellix_strerror": (_s, [_i]),
    # client.h: options
    "modellix_options_new": (_i, [_pp]),
    "modellix_options_free": (None, [_p]),
    "modellix_options_set_api_key": (_i, [_p, _s]),
    "modellix_options_set_base_url": (_i, [_p, _s]),
    "modellix_options_set_timeout_ms": (_i, [_p, _i64]),
    "modellix_options_set_call_timeout_ms": (_i, [_p, _i64]),
    "modellix_options_set_max_in_flight": (_i, [_p, _i32]),
    "modellix_options_set_retry_policy": (_i, [_p, _p]),
    "modellix_options_set_log_callback": (_i, [_p, LOG_FN, _p, DESTROY_FN]),
    "modellix_options_set_log_level": (_i, [_p, _i32]),
    "modellix_options_set_user_agent": (_i, [_p, _s]),
    "modellix_options_set_submit_path": (_i, [_p, _i32]),
    "modellix_options_set_ca_file": (_i, [_p, _s]),
    "modellix_options_set_poll_schedule": (_i, [_p, POLL_FN, _p, DESTROY_FN]),
    "modellix_options_set_random_seed": (_i, [_p, _u64]),
    "modellix_options_set_continue_on_unknown": (_i, [_p, _i32]),
    "modellix_options_set_task_callback": (_i, [_p, TASK_FN, _p, DESTROY_FN]),
    # client.h: client
    "modellix_client_new": (_i, [_pp, _p]),
    "modellix_client_free": (None, [_p]),
    "modellix_client_cancel": (_i, [_p]),
    "modellix_client_errcode": (_i32, [_p]),
    "modellix_client_errmsg": (_s, [_p]),
    "modellix_client_http_status": (_i32, [_p]),
    "modellix_client_request_id": (_s, [_p]),
    "modellix_client_base_url": (_s, [_p]),
    # loop.h
    "modellix_client_step": (_i, [_p, _psz]),
    "modellix_client_backend_fd": (_i32, [_p]),
    "modellix_client_backend_timeout": (_i64, [_p]),
    # account.h
    "modellix_client_validate_key": (_i, [_p, ctypes.POINTER(_i32)]),
    "modellix_client_balance": (_i, [_p, ctypes.POINTER(ctypes.c_double)]),
    "modellix_models_list": (_i, [_pp, _p]),
    "modellix_models_filter": (_i, [_pp, _p, _s, _s, _s, _sz]),
    "modellix_models_find": (_i, [_p, _s, _psz]),
    "modellix_models_free": (None, [_p]),
    "modellix_models_count": (_sz, [_p]),
    "modellix_models_slug": (_s, [_p, _sz]),
    "modellix_models_type": (_s, [_p, _sz]),
    "modellix_models_provider": (_s, [_p, _sz]),
    "modellix_models_description": (_s, [_p, _sz]),
    "modellix_models_docs_url": (_s, [_p, _sz]),
    "modellix_models_json": (_s, [_p, _sz]),
    # media.h
    "modellix_media_sniff": (_s, [_p, _sz]),
    "modellix_data_uri_from_bytes": (_i, [_pp, _p, _sz, _s]),
    "modellix_data_uri_from_file": (_i, [_pp, _s, _s]),
    # retry.h
    "modellix_retry_policy_new_default": (_i, [_pp]),
    "modellix_retry_policy_new_seed": (_i, [_pp]),
    "modellix_retry_policy_new_none": (_i, [_pp]),
    "modellix_retry_policy_new_custom": (_i, [_pp, RETRY_FN, _p, DESTROY_FN]),
    "modellix_retry_policy_set_resubmit_unknown": (_i, [_p, _i32]),
    "modellix_retry_policy_set_max_attempts": (_i, [_p, _i32]),
    "modellix_retry_policy_free": (None, [_p]),
    "modellix_options_set_attempt_callback": (_i, [_p, ATTEMPT_FN, _p, DESTROY_FN]),
    "modellix_attempt_number": (_i32, [_p]),
    "modellix_attempt_operation": (_i32, [_p]),
    "modellix_attempt_fault": (_i32, [_p]),
    "modellix_attempt_http_status": (_i32, [_p]),
    "modellix_attempt_was_sent": (_i32, [_p]),
    "modellix_attempt_retry_after_ms": (_i64, [_p]),
    "modellix_attempt_elapsed_ms": (_i64, [_p]),
    "modellix_attempt_remaining_ms": (_i64, [_p]),
    "modellix_attempt_errcode": (_i32, [_p]),
    "modellix_attempt_default_delay_ms": (_i64, [_p]),
    # task.h
    "modellix_task_submit": (_i, [_pp, _p, _s, _s]),
    "modellix_task_submit_async": (_i, [_pp, _p, _s, _s]),
    "modellix_task_submit_state": (_i32, [_p]),
    "modellix_task_watch": (_i, [_p]),
    "modellix_task_done": (_i32, [_p]),
    "modellix_task_attach": (_i, [_pp, _p, _s]),
    "modellix_task_poll": (_i, [_p]),
    "modellix_task_wait": (_i, [_p, _i64]),
    "modellix_client_wait_all": (_i, [_p, _pp, _sz, _i64]),
    "modellix_client_wait_any": (_i, [_p, _pp, _sz, _i64, _psz]),
    "modellix_task_set_user_data": (_i, [_p, _p]),
    "modellix_task_user_data": (_p, [_p]),
    "modellix_task_free": (None, [_p]),
    "modellix_task_id": (_s, [_p]),
    "modellix_task_model_slug": (_s, [_p]),
    "modellix_task_status": (_i32, [_p]),
    "modellix_task_status_text": (_s, [_p]),
    "modellix_task_errcode": (_i32, [_p]),
    "modellix_task_errmsg": (_s, [_p]),
    "modellix_task_http_status": (_i32, [_p]),
    "modellix_task_request_id": (_s, [_p]),
    "modellix_task_json": (_s, [_p]),
    "modellix_task_resource_count": (_sz, [_p]),
    "modellix_task_resource_url": (_s, [_p, _sz]),
    "modellix_task_resource_type": (_s, [_p, _sz]),
    "modellix_task_resource_format": (_s, [_p, _sz]),
    "modellix_task_resource_role": (_s, [_p, _sz]),
    "modellix_task_resource_width": (_i64, [_p, _sz]),
    "modellix_task_resource_height": (_i64, [_p, _sz]),
    # download.h
    "modellix_options_set_progress_callback": (_i, [_p, PROGRESS_FN, _p, DESTROY_FN]),
    "modellix_options_set_download_limits": (_i, [_p, _i64, _i64, _i64]),
    "modellix_task_download": (_i, [_p, _sz, _s, _u32, _pp]),
    "modellix_task_download_all": (_i, [_p, _s, _u32, _psz]),
    "modellix_task_download_path": (_s, [_p, _sz]),
    "modellix_task_download_errcode": (_i32, [_p, _sz]),
    "modellix_task_download_mem": (_i, [_p, _sz, _u32, _pp, _psz]),
}

# MODELLIX_1.1 calls this binding knows; bound when the loaded library has them (older 1.0.x libraries
# do not), else listed in MISSING_1_1 and the Python method that needs one raises StateError.
_SIGNATURES_1_1: Dict[str, _SIG] = {
    # client.h
    "modellix_options_set_poll_schedule_task": (_i, [_p, POLL_TASK_FN, _p, DESTROY_FN]),
    "modellix_options_set_proxy": (_i, [_p, _s]),
    "modellix_options_set_no_proxy": (_i, [_p, _s]),
    "modellix_options_set_proxy_from_env": (_i, [_p, _i32]),
    "modellix_options_set_api_http1": (_i, [_p, _i32]),
    "modellix_client_poll_stats_export": (_i, [_pp, _p]),
    "modellix_client_poll_stats_import": (_i, [_p, _s]),
    # journal.h
    "modellix_options_set_journal_path": (_i, [_p, _s]),
    "modellix_options_set_journal_profile": (_i, [_p, _s]),
    "modellix_options_set_journal_sync": (_i, [_p, _i32]),
    "modellix_options_set_journal_compaction": (_i, [_p, _i64, _i32]),
    "modellix_journal_open": (_i, [_pp, _s]),
    "modellix_journal_free": (None, [_p]),
    "modellix_journal_count": (_sz, [_p]),
    "modellix_journal_skipped": (_sz, [_p]),
    "modellix_journal_entry_intent_id": (_s, [_p, _sz]),
    "modellix_journal_entry_task_id": (_s, [_p, _sz]),
    "modellix_journal_entry_model_slug": (_s, [_p, _sz]),
    "modellix_journal_entry_base_url": (_s, [_p, _sz]),
    "modellix_journal_entry_profile": (_s, [_p, _sz]),
    "modellix_journal_entry_state": (_i32, [_p, _sz]),
    "modellix_journal_entry_created_ms": (_i64, [_p, _sz]),
    "modellix_journal_entry_updated_ms": (_i64, [_p, _sz]),
    "modellix_journal_entry_pid": (_i64, [_p, _sz]),
    "modellix_journal_clear": (_i, [_s]),
    "modellix_client_attach_pending": (_i, [ctypes.POINTER(_pp), _psz, _p]),
    # task.h, client.h (issue 12: lifecycle and error model)
    "modellix_client_wait_all_report": (_i, [_psz, _p, _pp, _sz, _i64]),
    "modellix_task_unwatch": (_i, [_p]),
    "modellix_task_warning": (_s, [_p]),
    "modellix_client_resume": (_i, [_p]),
    "modellix_client_halted": (_i32, [_p]),
    "modellix_client_pending_count": (_sz, [_p]),
}


class _Api:
    """The declared functions without their modellix_ prefix, as attributes: C.task_wait(...).
    Looked up at each call, so a test can wrap one (monkeypatch) to observe the binding."""

    def __getattr__(self, name: str) -> Callable[..., Any]:
        raise AttributeError("libmodellix has no (declared) function modellix_%s" % name)


C: Any = _Api()
MISSING_1_1: List[str] = []


def _bind(signatures: Dict[str, _SIG], required: bool) -> None:
    for name, (restype, argtypes) in signatures.items():
        try:
            f = getattr(_dll, name)
        except AttributeError:
            if required:
                raise LibraryNotFoundError("%s (%s) lacks %s: it is not libmodellix 1.x" % (_path, ENV, name)) from None
            MISSING_1_1.append(name)
            continue
        f.restype = restype
        f.argtypes = list(argtypes)
        setattr(C, name[len("modellix_"):], f)


_bind(_SIGNATURES, True)
_bind(_SIGNATURES_1_1, False)


def has(name: str) -> bool:
    """Whether the loaded library has (and this binding declared) modellix_<name>."""
    return name in vars(C)


def need(name: str) -> Callable[..., Any]:
    """C.<name> for a 1.1 call, or StateError (ESTATE) naming it if the loaded library lacks it."""
    f: Optional[Callable[..., Any]] = vars(C).get(name)
    if f is None:
        from .errors import StateError
        raise StateError(-21, "the loaded libmodellix (%s) has no modellix_%s (added in 1.1)" % (_path, name))
    return f
