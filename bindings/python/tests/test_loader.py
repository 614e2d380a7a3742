"""Finding the library: MODELLIX_LIBRARY, the soname on the loader's path, and a clear ImportError (naming
MODELLIX_LIBRARY and where it looked) instead of a raw OSError when it is missing or wrong."""

import ctypes.util
import os
import subprocess
import sys
import unittest

from mockserver import PACKAGE_ROOT


def run(code, env_changes):
    env = dict(os.environ)
    for k, v in env_changes.items():
        if v is None:
            env.pop(k, None)
        else:
            env[k] = v
    return subprocess.run([sys.executable, "-c", "import sys; sys.path.insert(0, %r)\n%s" % (PACKAGE_ROOT, code)],
                          env=env, capture_output=True, text=True, timeout=60)


class LoaderTest(unittest.TestCase):
    built = os.environ["MODELLIX_LIBRARY"]

    def test_env_path_that_does_not_exist(self):
        r = run("import modellix", {"MODELLIX_LIBRARY": "/nonexistent/dir/libmodellix.so.1"})
        self.assertNotEqual(r.returncode, 0)
        last = r.stderr.strip().splitlines()[-1]
        self.assertTrue(last.startswith("modellix._lib.LibraryNotFoundError: "), last)
        self.assertIn("MODELLIX_LIBRARY=/nonexistent/dir/libmodellix.so.1", last)
        self.assertIn("Set MODELLIX_LIBRARY to the path of libmodellix.so.1", last)
        self.assertNotIn("\nOSError", r.stderr)

    def test_is_an_import_error(self):
        r = run("try:\n import modellix\nexcept ImportError as e:\n print(type(e).__name__, 'MODELLIX_LIBRARY' in str(e))",
                {"MODELLIX_LIBRARY": "/nonexistent.so"})
        self.assertEqual(r.stdout.split(), ["LibraryNotFoundError", "True"], r.stderr)

    def test_not_libmodellix(self):
        libm = ctypes.util.find_library("m") or "libm.so.6"
        r = run("import modellix", {"MODELLIX_LIBRARY": libm})
        self.assertIn("LibraryNotFoundError", r.stderr)
        self.assertIn("lacks modellix_", r.stderr)
        self.assertIn("it is not libmodellix 1.x", r.stderr)

    @unittest.skipIf(ctypes.util.find_library("modellix"), "a libmodellix is installed on this system")
    def test_nothing_found_lists_what_was_tried(self):
        r = run("import modellix", {"MODELLIX_LIBRARY": None, "LD_LIBRARY_PATH": None})
        last = r.stderr.strip().splitlines()[-1]
        self.assertTrue(last.startswith("modellix._lib.LibraryNotFoundError: libmodellix (libmodellix.so.1) was not found"), last)
        self.assertIn("Set the environment variable MODELLIX_LIBRARY", last)
        self.assertIn('ctypes.util.find_library("modellix"): not found', last)
        self.assertIn("libmodellix.so.1 (the dynamic loader's search path)", last)

    def test_soname_on_the_loader_path(self):
        r = run("import modellix; print(modellix.library_path(), modellix.version())",
                {"MODELLIX_LIBRARY": None, "LD_LIBRARY_PATH": os.path.dirname(self.built)})
        self.assertEqual(r.returncode, 0, r.stderr)
        path, version = r.stdout.split()
        self.assertIn(path, ("libmodellix.so.1", ctypes.util.find_library("modellix")))
        self.assertRegex(version, r"^1\.\d+\.\d+$")

    def test_env_path(self):
        r = run("import modellix; print(modellix.library_path())", {"MODELLIX_LIBRARY": self.built})
        self.assertEqual(r.stdout.strip(), self.built, r.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
