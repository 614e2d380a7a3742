"""mypy --strict over the package (and the package's own py.typed marker). Skipped where mypy is not
installed (Debian: python3-mypy, in scripts/bootstrap.sh --ci)."""

import os
import subprocess
import sys
import unittest

from mockserver import PACKAGE_ROOT

try:
    import mypy  # noqa: F401
    HAVE_MYPY = True
except ImportError:
    HAVE_MYPY = False


class TypingTest(unittest.TestCase):
    def test_py_typed(self):
        self.assertTrue(os.path.isfile(os.path.join(PACKAGE_ROOT, "modellix", "py.typed")))

    @unittest.skipUnless(HAVE_MYPY, "mypy is not installed")
    def test_mypy_strict(self):
        r = subprocess.run([sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--cache-dir", os.devnull,
                            "-p", "modellix"], cwd=PACKAGE_ROOT, capture_output=True, text=True, timeout=280)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("Success: no issues found", r.stdout)


if __name__ == "__main__":
    unittest.main(verbosity=2)
