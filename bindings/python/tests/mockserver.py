"""The standalone mock server (tests/mock: modellix-mock) for the binding's tests, and test settings.

Environment (meson sets them; suite 'python'): MODELLIX_LIBRARY = the built libmodellix.so.1,
MODELLIX_MOCK = the modellix-mock program. By hand, from the source root:

    MODELLIX_LIBRARY=build/lib/libmodellix.so.1 MODELLIX_MOCK=build/tests/mock/modellix-mock \\
        python3 -m unittest discover -s bindings/python/tests -v
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import unittest
import urllib.request
from typing import Any, Optional

HERE = os.path.dirname(os.path.abspath(__file__))
PACKAGE_ROOT = os.path.dirname(HERE)          # bindings/python: holds the modellix package
if PACKAGE_ROOT not in sys.path:
    sys.path.insert(0, PACKAGE_ROOT)

SLUG = "bytedance/seedream-4.5-t2i"
PNG = b"\x89PNG\r\n\x1a\n"
KEY = "SENTINEL-7f3a9c1e5b-py"   # the CI scan looks for SENTINEL-7f3a9c1e5b in every output


def _die_with_parent() -> None:
    """In the mock's process: get SIGTERM when the test process dies, even by a crash (no orphan server)."""
    import ctypes
    ctypes.CDLL(None).prctl(1, signal.SIGTERM)   # PR_SET_PDEATHSIG


class Mock:
    """A modellix-mock process; its base URL is the first line it prints."""

    def __init__(self, *args: str) -> None:
        exe = os.environ.get("MODELLIX_MOCK")
        if not exe:
            raise RuntimeError("set MODELLIX_MOCK to the modellix-mock program")
        self.proc = subprocess.Popen([exe, "--port", "0"] + list(args), stdout=subprocess.PIPE,
                                     stdin=subprocess.DEVNULL, preexec_fn=_die_with_parent)
        assert self.proc.stdout is not None
        self.url = self.proc.stdout.readline().decode().strip()
        if not self.url.startswith(("http://", "https://")):
            self.stop()
            raise RuntimeError("modellix-mock did not print its URL (got %r)" % self.url)

    def control(self, method: str, path: str, body: Optional[Any] = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.url + path, data=data, method=method)
        with urllib.request.urlopen(req, timeout=5) as r:
            return json.loads(r.read())

    def counters(self) -> Any:
        return self.control("GET", "/_mock/counters")["data"]

    def requests(self, route: str) -> int:
        return int(self.counters()["requests"][route])

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)   # by PID
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        if self.proc.stdout is not None:
            self.proc.stdout.close()


class MockTestCase(unittest.TestCase):
    """A test class sharing one mock, started with MOCK_ARGS before its first test and stopped after
    its last."""

    MOCK_ARGS: "tuple[str, ...]" = ()
    mock: Mock

    @classmethod
    def setUpClass(cls) -> None:
        cls.mock = Mock(*cls.MOCK_ARGS)

    @classmethod
    def tearDownClass(cls) -> None:
        cls.mock.stop()
