"""modellix - Python binding of libmodellix (the Modellix image/video generation C SDK) via ctypes.

    import modellix

    with modellix.Client(api_key="...") as client:              # or MODELLIX_API_KEY
        task = client.submit("bytedance/seedream-4.5-t2i", {"prompt": "a red fox in the snow"})
        task.wait(timeout_ms=5 * 60 * 1000)
        for i, res in enumerate(task.resources):
            print(res["type"], res["width"], res["height"], task.download(i, "out"))

The shared library is loaded from the path in the environment variable MODELLIX_LIBRARY, else from
what ctypes.util.find_library("modellix") finds, else "libmodellix.so.1" (the dynamic loader's search
path). Every function used has its argtypes and restype declared.

Errors raise a subclass of ModellixError carrying .code (a MODELLIX_E* value), .message,
.http_status and .request_id. OutcomeUnknownError (MODELLIX_EOUTCOME_UNKNOWN) means a paid submission
was sent and its result is unknown: a task may exist and be charged; do not submit it again before
checking your account.

Threads: the library allows one thread at a time per client; this binding serialises every call on a
client (and its tasks) with a per-client lock, so a Client may be shared between threads. Only
Client.cancel() bypasses the lock (it is the one call the library allows concurrently).
"""

import ctypes
import ctypes.util
import itertools
import json as _json
import os
import sys
import threading
import weakref

__all__ = [
    "Client", "Task", "ModellixError", "OutcomeUnknownError", "TaskFailedError", "wait_all", "wait_any",
    "version", "strerror", "TaskState", "SubmitState", "LogLevel", "Download",
]

# --------------------------------------------------------------------------------------------------
# Constants (values are permanent in the C ABI)

OK = 0
EINVAL, ENOMEM, ENOKEY, ENETWORK, ETIMEOUT, ECANCELED, EAUTH, EPAYMENT, ENOTFOUND = range(-1, -10, -1)
ERATELIMIT, ESERVER, EHTTP, EPROTOCOL, ETOOLARGE, EOUTCOME_UNKNOWN, ETASK_FAILED = range(-10, -17, -1)
EUSER, EUNSAFE, EEXIST, EIO, ESTATE, EINIT, ETLS = range(-17, -24, -1)


class TaskState:
    UNKNOWN, SUBMITTING, PENDING, PROCESSING, SUCCESS, FAILED = range(6)


class SubmitState:
    NONE, QUEUED, SENDING, ACCEPTED, REJECTED, UNKNOWN, SKIPPED = range(7)


class LogLevel:
    ERROR, WARN, INFO, DEBUG = range(4)


class Download:
    OVERWRITE, ALLOW_HTTP, ALLOW_PRIVATE = 1, 2, 4


# --------------------------------------------------------------------------------------------------
# Errors


class ModellixError(Exception):
    """A libmodellix call failed. code: the MODELLIX_E* value; message: the library's detail."""

    code = None

    def __init__(self, code, message="", http_status=0, request_id=None):
        self.code = code
        self.message = message or strerror(code)
        self.http_status = http_status
        self.request_id = request_id
        text = "%s (%d): %s" % (strerror(code), code, self.message)
        if http_status:
            text += " [HTTP %d]" % http_status
        super().__init__(text)


class InvalidArgumentError(ModellixError, ValueError): pass
class OutOfMemoryError(ModellixError, MemoryError): pass
class NoKeyError(ModellixError): pass
class NetworkError(ModellixError, ConnectionError): pass
class DeadlineError(ModellixError, TimeoutError): pass
class CanceledError(ModellixError): pass
class AuthError(ModellixError, PermissionError): pass
class PaymentError(ModellixError): pass
class NotFoundError(ModellixError): pass
class RateLimitError(ModellixError): pass
class ServerError(ModellixError): pass
class HTTPError(ModellixError): pass
class ProtocolError(ModellixError): pass
class TooLargeError(ModellixError): pass
class OutcomeUnknownError(ModellixError):
    """A paid submission was sent but its result is unknown: a task may exist and be charged."""
class TaskFailedError(ModellixError): pass
class UserCallbackError(ModellixError): pass
class UnsafeDownloadError(ModellixError): pass
class ExistsError(ModellixError, FileExistsError): pass
class LocalIOError(ModellixError, OSError): pass
class StateError(ModellixError): pass
class InitError(ModellixError): pass
class TLSError(ModellixError): pass

_ERRORS = {
    EINVAL: InvalidArgumentError, ENOMEM: OutOfMemoryError, ENOKEY: NoKeyError, ENETWORK: NetworkError,
    ETIMEOUT: DeadlineError, ECANCELED: CanceledError, EAUTH: AuthError, EPAYMENT: PaymentError,
    ENOTFOUND: NotFoundError, ERATELIMIT: RateLimitError, ESERVER: ServerError, EHTTP: HTTPError,
    EPROTOCOL: ProtocolError, ETOOLARGE: TooLargeError, EOUTCOME_UNKNOWN: OutcomeUnknownError,
    ETASK_FAILED: TaskFailedError, EUSER: UserCallbackError, EUNSAFE: UnsafeDownloadError,
    EEXIST: ExistsError, EIO: LocalIOError, ESTATE: StateError, EINIT: InitError,
    ETLS: TLSError,
}


def _error(code, message="", http_status=0, request_id=None):
    return _ERRORS.get(code, ModellixError)(code, message, http_status, request_id)


# --------------------------------------------------------------------------------------------------
# Loading the library and declaring every function used

def _find_library():
    path = os.environ.get("MODELLIX_LIBRARY")
    if path:
        return path
    return ctypes.util.find_library("modellix") or "libmodellix.so.1"


_lib = ctypes.CDLL(_find_library())

_p = ctypes.c_void_p           # every opaque handle: never let ctypes truncate a pointer to int
_pp = ctypes.POINTER(ctypes.c_void_p)
_s = ctypes.c_char_p           # const char * in; borrowed const char * out (copied to bytes at once)
_i = ctypes.c_int              # plain int: the result of every fallible call
_i32, _i64, _u32, _u64, _sz = ctypes.c_int32, ctypes.c_int64, ctypes.c_uint32, ctypes.c_uint64, ctypes.c_size_t

LOG_FN = ctypes.CFUNCTYPE(None, _i32, _s, _p)     # void (*)(int32_t level, const char *msg, void *ud)
TASK_FN = ctypes.CFUNCTYPE(None, _p, _p)          # void (*)(modellix_task *t, void *ud)
DESTROY_FN = ctypes.CFUNCTYPE(None, _p)           # void (*)(void *ud)

_SIGNATURES = {
    # library
    "modellix_global_init": (_i, []),
    "modellix_version_string": (_s, []),
    "modellix_version_num": (_i32, []),
    "modellix_strerror": (_s, [_i]),
    "modellix_free": (None, [_p]),
    # options
    "modellix_options_new": (_i, [_pp]),
    "modellix_options_free": (None, [_p]),
    "modellix_options_set_api_key": (_i, [_p, _s]),
    "modellix_options_set_base_url": (_i, [_p, _s]),
    "modellix_options_set_ca_file": (_i, [_p, _s]),
    "modellix_options_set_timeout_ms": (_i, [_p, _i64]),
    "modellix_options_set_call_timeout_ms": (_i, [_p, _i64]),
    "modellix_options_set_max_in_flight": (_i, [_p, _i32]),
    "modellix_options_set_log_callback": (_i, [_p, LOG_FN, _p, DESTROY_FN]),
    "modellix_options_set_log_level": (_i, [_p, _i32]),
    "modellix_options_set_user_agent": (_i, [_p, _s]),
    "modellix_options_set_continue_on_unknown": (_i, [_p, _i32]),
    "modellix_options_set_task_callback": (_i, [_p, TASK_FN, _p, DESTROY_FN]),
    "modellix_options_set_retry_policy": (_i, [_p, _p]),
    "modellix_retry_policy_new_default": (_i, [_pp]),
    "modellix_retry_policy_new_none": (_i, [_pp]),
    "modellix_retry_policy_new_seed": (_i, [_pp]),
    "modellix_retry_policy_free": (None, [_p]),
    # client
    "modellix_client_new": (_i, [_pp, _p]),
    "modellix_client_free": (None, [_p]),
    "modellix_client_cancel": (_i, [_p]),
    "modellix_client_errcode": (_i32, [_p]),
    "modellix_client_errmsg": (_s, [_p]),
    "modellix_client_http_status": (_i32, [_p]),
    "modellix_client_request_id": (_s, [_p]),
    "modellix_client_base_url": (_s, [_p]),
    "modellix_client_step": (_i, [_p, ctypes.POINTER(_sz)]),
    "modellix_client_backend_fd": (_i32, [_p]),
    "modellix_client_backend_timeout": (_i64, [_p]),
    "modellix_client_wait_all": (_i, [_p, _pp, _sz, _i64]),
    "modellix_client_wait_any": (_i, [_p, _pp, _sz, _i64, ctypes.POINTER(_sz)]),
    # tasks
    "modellix_task_submit": (_i, [_pp, _p, _s, _s]),
    "modellix_task_submit_async": (_i, [_pp, _p, _s, _s]),
    "modellix_task_submit_state": (_i32, [_p]),
    "modellix_task_watch": (_i, [_p]),
    "modellix_task_done": (_i32, [_p]),
    "modellix_task_attach": (_i, [_pp, _p, _s]),
    "modellix_task_poll": (_i, [_p]),
    "modellix_task_wait": (_i, [_p, _i64]),
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
    # downloads: char ** and uint8_t ** out-parameters as void ** so that the pointer survives
    # (a c_char_p result would be copied to bytes and the library's memory could never be freed)
    "modellix_task_download": (_i, [_p, _sz, _s, _u32, _pp]),
    "modellix_task_download_mem": (_i, [_p, _sz, _u32, _pp, ctypes.POINTER(_sz)]),
}

for _name, (_restype, _argtypes) in _SIGNATURES.items():
    _f = getattr(_lib, _name)
    _f.restype = _restype
    _f.argtypes = _argtypes


class _C:
    """The declared functions without their modellix_ prefix: _C.task_wait(...)."""


for _name in _SIGNATURES:
    setattr(_C, _name[len("modellix_"):], staticmethod(getattr(_lib, _name)))


def _str(b):
    """A borrowed C string (already copied by ctypes into bytes) as str, or None."""
    return None if b is None else b.decode("utf-8", "replace")


def _bytes(s, what):
    if s is None:
        return None
    if isinstance(s, bytes):
        return s
    if isinstance(s, str):
        return s.encode("utf-8")
    raise TypeError("%s must be str or bytes" % what)


def strerror(code):
    """A short English description of a result code."""
    return _str(_C.strerror(code))


def version():
    """The run-time library version, e.g. "1.0.0"."""
    return _str(_C.version_string())


def _check_plain(rc):
    """For calls whose failure has no object to carry details (options setters)."""
    if rc != OK:
        raise _error(rc)


# --------------------------------------------------------------------------------------------------
# Callbacks: a registry of Python callables keyed by a token passed as user_data. The C trampolines
# are module-level CFUNCTYPE objects, alive as long as the module; each registration's callable is
# dropped by the library's destroy call, exactly when the library says it will not call it again.

_registry = {}
_registry_lock = threading.Lock()
_tokens = itertools.count(1)


def _register(obj):
    with _registry_lock:
        token = next(_tokens)
        _registry[token] = obj
    return token


def _release(user_data):
    try:
        with _registry_lock:
            _registry.pop(user_data, None)
    except Exception:  # interpreter shutdown: module globals may already be gone
        pass


def _report(where):
    try:
        sys.stderr.write("modellix: exception in %s callback ignored:\n" % where)
        import traceback
        traceback.print_exc()
    except Exception:
        pass


def _log_trampoline(level, message, user_data):
    fn = _registry.get(user_data)
    if fn is not None:
        try:
            fn(level, _str(message))   # message is valid only during the call: copied already
        except Exception:
            _report("log")


def _task_trampoline(task_ptr, user_data):
    client_ref = _registry.get(user_data)
    client = client_ref() if client_ref is not None else None
    if client is None or client._on_done is None:
        return
    task = client._task_by_ptr(task_ptr)
    if task is not None:
        try:
            client._on_done(task)
        except Exception:
            _report("task")


_LOG_TRAMPOLINE = LOG_FN(_log_trampoline)
_TASK_TRAMPOLINE = TASK_FN(_task_trampoline)
_DESTROY = DESTROY_FN(_release)

_global_lock = threading.Lock()
_global_ready = False


def _global_init():
    global _global_ready
    with _global_lock:
        if not _global_ready:
            rc = _C.global_init()
            if rc < 0:
                raise _error(rc, "libcurl could not be initialised")
            _global_ready = True   # one reference for the life of the process (no cleanup at exit)


# --------------------------------------------------------------------------------------------------
# Client


class Client:
    """A connection to the Modellix API. Use as a context manager, or call close().

    api_key          the key (else MODELLIX_API_KEY)
    base_url         the API origin (else MODELLIX_BASE_URL, else https://api.modellix.ai)
    timeout_ms       limit of one HTTP exchange (default 30 s)
    call_timeout_ms  deadline of calls without their own timeout: submit, attach, poll (default 120 s)
    max_in_flight    submissions running at once for submit_async (default 3)
    log              callable(level: int, message: str); called on the thread inside a library call
    log_level        LogLevel.* threshold (default INFO)
    user_agent       product token, e.g. "myapp/1.0"
    continue_on_unknown  keep sending queued submissions after an unknown outcome (default False)
    retry            "default", "none" or "seed" (the last risks duplicate charges)
    ca_file          a PEM file of CA certificates to trust instead of the system store (verification
                     itself is always on); a refused certificate raises TLSError
    on_done          callable(task: Task), called once per task when it becomes done (submit_async /
                     watched tasks), from inside the call that drives the client
    """

    def __init__(self, api_key=None, base_url=None, timeout_ms=None, call_timeout_ms=None, max_in_flight=None,
                 log=None, log_level=None, user_agent=None, continue_on_unknown=None, retry=None, on_done=None,
                 ca_file=None):
        _global_init()
        self._ptr = None
        self._lock = threading.RLock()
        self._live = set()   # pointers of the tasks not yet freed: all are freed before the client,
        # whatever order the garbage collector finalises Task and Client objects in
        self._tasks = weakref.WeakValueDictionary()   # task pointer -> Task, for the on_done callback
        self._on_done = on_done
        opts = ctypes.c_void_p()
        _check_plain(_C.options_new(ctypes.byref(opts)))
        try:
            if api_key is not None:
                _check_plain(_C.options_set_api_key(opts, _bytes(api_key, "api_key")))
            if base_url is not None:
                _check_plain(_C.options_set_base_url(opts, _bytes(base_url, "base_url")))
            if timeout_ms is not None:
                _check_plain(_C.options_set_timeout_ms(opts, int(timeout_ms)))
            if call_timeout_ms is not None:
                _check_plain(_C.options_set_call_timeout_ms(opts, int(call_timeout_ms)))
            if max_in_flight is not None:
                _check_plain(_C.options_set_max_in_flight(opts, int(max_in_flight)))
            if log_level is not None:
                _check_plain(_C.options_set_log_level(opts, int(log_level)))
            if user_agent is not None:
                _check_plain(_C.options_set_user_agent(opts, _bytes(user_agent, "user_agent")))
            if ca_file is not None:
                path = os.fsencode(ca_file)   # file names need not be UTF-8
                if b"\0" in path:
                    raise ValueError("ca_file contains a NUL byte")
                _check_plain(_C.options_set_ca_file(opts, path))
            if continue_on_unknown is not None:
                _check_plain(_C.options_set_continue_on_unknown(opts, 1 if continue_on_unknown else 0))
            if retry is not None:
                self._set_retry(opts, retry)
            if log is not None:
                token = _register(log)
                rc = _C.options_set_log_callback(opts, _LOG_TRAMPOLINE, token, _DESTROY)
                if rc != OK:  # not registered: the library will not call the destroy function
                    _release(token)
                    raise _error(rc)
            if on_done is not None:
                # a weak reference: the registration lives inside the client, which must not keep
                # the Python Client alive through the registry
                token = _register(weakref.ref(self))
                rc = _C.options_set_task_callback(opts, _TASK_TRAMPOLINE, token, _DESTROY)
                if rc != OK:
                    _release(token)
                    raise _error(rc)
            ptr = ctypes.c_void_p()
            rc = _C.client_new(ctypes.byref(ptr), opts)
            if rc != OK:
                raise _error(rc, "could not create the client: %s" % strerror(rc))
            self._ptr = ptr
        finally:
            _C.options_free(opts)   # the client holds its own copy and registrations

    @staticmethod
    def _set_retry(opts, retry):
        makers = {"default": _C.retry_policy_new_default, "none": _C.retry_policy_new_none,
                  "seed": _C.retry_policy_new_seed}
        if retry not in makers:
            raise ValueError("retry must be one of %s" % ", ".join(sorted(makers)))
        pol = ctypes.c_void_p()
        _check_plain(makers[retry](ctypes.byref(pol)))
        try:
            _check_plain(_C.options_set_retry_policy(opts, pol))
        finally:
            _C.retry_policy_free(pol)

    # lifetime ---------------------------------------------------------------------------------

    def close(self):
        """Free every task of this client, then the client. Idempotent."""
        with self._lock:
            if self._ptr is None:
                return
            for ptr in list(self._live):
                _C.task_free(ptr)
            self._live.clear()
            _C.client_free(self._ptr)
            self._ptr = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass

    def _handle(self):
        if self._ptr is None:
            raise StateError(ESTATE, "the client is closed")
        return self._ptr

    def _error(self, rc, task=None):
        """An exception for rc, with the details read at once (they are borrowed until the next call)."""
        c = self._ptr
        msg = _str(_C.client_errmsg(c)) if c else ""
        status = _C.client_http_status(c) if c else 0
        rid = _str(_C.client_request_id(c)) if c else None
        if task is not None and task._ptr:
            tmsg = _str(_C.task_errmsg(task._ptr))
            if rc == ETASK_FAILED or not msg:
                msg = tmsg or msg
            status = status or _C.task_http_status(task._ptr)
            rid = rid or _str(_C.task_request_id(task._ptr))
        return _error(rc, msg, status, rid)

    def _task_by_ptr(self, ptr):
        return self._tasks.get(ptr)

    # properties -------------------------------------------------------------------------------

    @property
    def base_url(self):
        with self._lock:
            return _str(_C.client_base_url(self._handle()))

    def cancel(self):
        """Make the blocking call running on this client (in another thread) raise CanceledError.
        Safe from any thread; takes no lock."""
        ptr = self._ptr
        if ptr is not None:
            _C.client_cancel(ptr)

    # tasks ------------------------------------------------------------------------------------

    def submit(self, model, body):
        """Submit a paid task and return it once accepted (see Task.submit)."""
        return Task.submit(self, model, body)

    def submit_async(self, model, body):
        """Queue a paid submission (see Task.submit_async)."""
        return Task.submit_async(self, model, body)

    def attach(self, task_id):
        """A Task for an id submitted earlier (see Task.attach)."""
        return Task.attach(self, task_id)

    def wait_all(self, tasks, timeout_ms):
        return wait_all(tasks, timeout_ms)

    def wait_any(self, tasks, timeout_ms):
        return wait_any(tasks, timeout_ms)

    # event loop -------------------------------------------------------------------------------

    def fileno(self):
        """The backend descriptor: readable when step() has network work (for select/asyncio)."""
        with self._lock:
            return _C.client_backend_fd(self._handle())

    def backend_timeout(self):
        """Milliseconds until step() must be called anyway (0 = now), or -1 if nothing is scheduled."""
        with self._lock:
            return _C.client_backend_timeout(self._handle())

    def step(self):
        """Do the work that is ready without blocking; returns the number of tasks still active."""
        active = _sz(0)
        with self._lock:
            rc = _C.client_step(self._handle(), ctypes.byref(active))
            if rc != OK:
                raise self._error(rc)
        return active.value


def _body(body):
    if isinstance(body, (dict, list)):
        return _json.dumps(body).encode("utf-8")
    return _bytes(body, "body")


# --------------------------------------------------------------------------------------------------
# Task


class Task:
    """One generation task. Made by Task.submit / submit_async / attach (or the Client methods)."""

    def __init__(self, client, ptr):
        self._client = client   # keeps the client alive as long as the task (the C rule: tasks first)
        self._ptr = ptr
        client._live.add(ptr)
        client._tasks[ptr] = self

    @classmethod
    def _make(cls, client, fn, *args):
        out = ctypes.c_void_p()
        with client._lock:
            rc = fn(ctypes.byref(out), client._handle(), *args)
            if rc != OK:
                raise client._error(rc)
            return cls(client, out.value)

    @classmethod
    def submit(cls, client, model, body):
        """Submit a paid task (body: a dict, or a JSON object as str/bytes) and wait until the service
        accepts it. Sent once; raises OutcomeUnknownError if it may have been processed."""
        return cls._make(client, _C.task_submit, _bytes(model, "model"), _body(body))

    @classmethod
    def submit_async(cls, client, model, body):
        """Queue a paid submission; it is sent (at most max_in_flight at a time) and then watched while
        the client is driven: wait_all / wait_any / Task.wait / Client.step."""
        return cls._make(client, _C.task_submit_async, _bytes(model, "model"), _body(body))

    @classmethod
    def attach(cls, client, task_id):
        """A Task for an existing task id. No network traffic until poll() or wait()."""
        return cls._make(client, _C.task_attach, _bytes(task_id, "task_id"))

    def _free(self):
        ptr, self._ptr = self._ptr, None
        if ptr and ptr in self._client._live:   # else the client freed it already (client closed)
            self._client._live.discard(ptr)
            self._client._tasks.pop(ptr, None)
            _C.task_free(ptr)

    def close(self):
        """Free the task object (the task on the service is not affected)."""
        with self._client._lock:
            self._free()

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass

    def _handle(self):
        if not self._ptr or self._ptr not in self._client._live:
            self._ptr = None
            raise StateError(ESTATE, "the task is closed (or its client is)")
        return self._ptr

    def _call(self, fn, *args):
        with self._client._lock:
            rc = fn(self._handle(), *args)
            if rc != OK:
                raise self._client._error(rc, self)

    def _get(self, fn, *args):
        with self._client._lock:
            return fn(self._handle(), *args)

    # actions ----------------------------------------------------------------------------------

    def poll(self):
        """Query the status once; returns the new status (TaskState.*)."""
        self._call(_C.task_poll)
        return self.status

    def wait(self, timeout_ms=5 * 60 * 1000):
        """Wait until the task is terminal. Returns self on success; raises TaskFailedError if the
        service says it failed, DeadlineError on timeout (the task keeps its id: wait again later)."""
        self._call(_C.task_wait, int(timeout_ms))
        return self

    def watch(self):
        """Poll in the background while the client is driven."""
        self._call(_C.task_watch)

    def download(self, i, dir=".", overwrite=False, flags=0):
        """Download resource i into directory dir; returns the path of the new file."""
        out = ctypes.c_void_p()
        if overwrite:
            flags |= Download.OVERWRITE
        with self._client._lock:
            rc = _C.task_download(self._handle(), i, os.fsencode(dir), flags, ctypes.byref(out))
            try:
                if rc != OK:
                    raise self._client._error(rc, self)
                return os.fsdecode(ctypes.string_at(out.value))
            finally:
                _C.free(out)   # library memory: modellix_free, never libc free from another heap

    def download_bytes(self, i, flags=0):
        """Download resource i into memory; returns bytes."""
        data = ctypes.c_void_p()
        size = _sz(0)
        with self._client._lock:
            rc = _C.task_download_mem(self._handle(), i, flags, ctypes.byref(data), ctypes.byref(size))
            try:
                if rc != OK:
                    raise self._client._error(rc, self)
                return ctypes.string_at(data.value, size.value) if size.value else b""
            finally:
                _C.free(data)

    # state ------------------------------------------------------------------------------------

    @property
    def client(self):
        return self._client

    @property
    def id(self):
        return _str(self._get(_C.task_id))

    @property
    def model(self):
        return _str(self._get(_C.task_model_slug))

    @property
    def status(self):
        return self._get(_C.task_status)

    @property
    def status_text(self):
        return _str(self._get(_C.task_status_text))

    @property
    def submit_state(self):
        return self._get(_C.task_submit_state)

    @property
    def done(self):
        return bool(self._get(_C.task_done))

    @property
    def json(self):
        """The raw body of the last successful response about the task (str), or None."""
        return _str(self._get(_C.task_json))

    @property
    def errcode(self):
        return self._get(_C.task_errcode)

    @property
    def error(self):
        """The task's last failure as an exception object (not raised), or None."""
        with self._client._lock:
            code = _C.task_errcode(self._handle())
            if code == OK:
                return None
            return _error(code, _str(_C.task_errmsg(self._ptr)), _C.task_http_status(self._ptr),
                          _str(_C.task_request_id(self._ptr)))

    @property
    def resources(self):
        """The result files: a list of dicts with url, type, format, role, width, height."""
        with self._client._lock:
            t = self._handle()
            out = []
            for i in range(_C.task_resource_count(t)):
                out.append({
                    "url": _str(_C.task_resource_url(t, i)),
                    "type": _str(_C.task_resource_type(t, i)),
                    "format": _str(_C.task_resource_format(t, i)),
                    "role": _str(_C.task_resource_role(t, i)),
                    "width": _C.task_resource_width(t, i),
                    "height": _C.task_resource_height(t, i),
                })
            return out

    def __repr__(self):
        try:
            return "<modellix.Task %s %s>" % (self.id, self.status_text)
        except StateError:
            return "<modellix.Task closed>"


# --------------------------------------------------------------------------------------------------
# Many tasks


def _task_array(tasks):
    tasks = list(tasks)
    if not tasks:
        raise ValueError("no tasks")
    client = tasks[0]._client
    for t in tasks:
        if t._client is not client:
            raise ValueError("all tasks must belong to the same client")
    arr = (ctypes.c_void_p * len(tasks))(*[t._handle() for t in tasks])
    return client, tasks, arr


def wait_all(tasks, timeout_ms):
    """Wait until every task is done (terminal, or its submission or polling failed for good).
    Raises DeadlineError, CanceledError or InvalidArgumentError for the call itself; each task's own
    outcome is on the task (status, submit_state, error): a failed task does not raise here."""
    client, tasks, arr = _task_array(tasks)
    with client._lock:
        rc = _C.client_wait_all(client._handle(), arr, len(tasks), int(timeout_ms))
        if rc in (ETIMEOUT, ECANCELED, EINVAL, ENOMEM):
            raise client._error(rc)
    return tasks


def wait_any(tasks, timeout_ms):
    """Wait until at least one task is done; returns its index (the lowest among those done)."""
    client, tasks, arr = _task_array(tasks)
    index = _sz(0)
    with client._lock:
        rc = _C.client_wait_any(client._handle(), arr, len(tasks), int(timeout_ms), ctypes.byref(index))
        if rc != OK:
            raise client._error(rc)
    return index.value
