"""The package installed as its users install it, then imported from outside the source tree and used
against the mock:
- pip: `python3 -m venv --system-site-packages`, then `pip install --no-build-isolation --no-index` (offline,
  Debian's setuptools) of a copy of bindings/python;
- meson: `meson install --destdir` of this build directory (tags runtime, python-runtime), the library
  then found by its soname (the installed _config.py names the install libdir)."""

import os
import shutil
import subprocess
import sys
import tempfile
import unittest

from mockserver import KEY, PACKAGE_ROOT, SLUG, Mock

USE = """
import sys, modellix
print(modellix.__file__)
with modellix.Client(api_key=%r, base_url=sys.argv[1]) as c:
    t = c.submit(%r, {"prompt": "installed"}).wait(20000)
    print(t.id, t.status.name, len(t.download_bytes(0)))
""" % (KEY, SLUG)


class InstallTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.mock = Mock("--duration-ms", "100")

    @classmethod
    def tearDownClass(cls):
        cls.mock.stop()

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="modellix-py-install-")
        self.addCleanup(shutil.rmtree, self.tmp)

    def use(self, python, env):
        created = self.mock.counters()["tasks_created"]
        r = subprocess.run([python, "-c", USE, self.mock.url], cwd=self.tmp, env=env, capture_output=True,
                           text=True, timeout=120)
        self.assertEqual(r.returncode, 0, r.stderr)
        where, line = r.stdout.splitlines()
        task_id, status, size = line.split()
        self.assertTrue(task_id.startswith("task-"))
        self.assertEqual(status, "SUCCESS")
        self.assertGreater(int(size), 1000)
        self.assertEqual(self.mock.counters()["tasks_created"], created + 1)
        return where

    def test_pip_install_offline_in_a_venv(self):
        src = os.path.join(self.tmp, "src")   # a copy: the build writes egg-info/ and build/ beside it
        os.mkdir(src)
        for name in ("pyproject.toml", "README.md"):
            shutil.copy(os.path.join(PACKAGE_ROOT, name), src)
        shutil.copytree(os.path.join(PACKAGE_ROOT, "modellix"), os.path.join(src, "modellix"),
                        ignore=shutil.ignore_patterns("__pycache__", "*.in"))
        venv = os.path.join(self.tmp, "venv")
        subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", venv], check=True, timeout=120)
        py = os.path.join(venv, "bin", "python")
        env = dict(os.environ, PIP_NO_INDEX="1", PIP_DISABLE_PIP_VERSION_CHECK="1")
        env.pop("PYTHONPATH", None)
        offline = dict(env, http_proxy="http://127.0.0.1:9", https_proxy="http://127.0.0.1:9")   # no way out
        r = subprocess.run([py, "-m", "pip", "install", "--no-build-isolation", "--no-index", src], env=offline,
                           capture_output=True, text=True, timeout=300)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("Successfully installed modellix-1.1.0", r.stdout)
        where = self.use(py, env)
        site = subprocess.run([py, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                              capture_output=True, text=True, check=True).stdout.strip()
        self.assertEqual(where, os.path.join(site, "modellix", "__init__.py"))
        self.assertTrue(os.path.isfile(os.path.join(site, "modellix", "py.typed")))
        self.assertFalse(os.path.exists(os.path.join(site, "modellix", "_config.py.in")))
        r = subprocess.run([py, "-m", "pip", "uninstall", "-y", "modellix"], env=env, capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertFalse(os.path.exists(os.path.join(site, "modellix")))

    def test_meson_install(self):
        build = os.environ["MODELLIX_BUILD_ROOT"]
        stage = os.path.join(self.tmp, "stage")
        r = subprocess.run(["meson", "install", "-C", build, "--no-rebuild", "--destdir", stage,
                            "--tags", "runtime,python-runtime"], capture_output=True, text=True, timeout=300)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        site = stage + os.environ["MODELLIX_PYTHON_INSTALL_DIR"]
        pkg = os.path.join(site, "modellix")
        source = os.path.join(PACKAGE_ROOT, "modellix")
        wanted = sorted(f for f in os.listdir(source) if f.endswith(".py") or f == "py.typed")
        self.assertEqual(sorted(f for f in os.listdir(pkg) if f != "__pycache__"), wanted)   # meson.build's list
        with open(os.path.join(pkg, "_config.py")) as f:
            config = f.read()
        libdir = [line for line in config.splitlines() if line.startswith("LIBDIR")][0].split("=", 1)[1].strip()
        libdir = libdir.strip('"')
        self.assertTrue(os.path.isabs(libdir))
        staged_lib = stage + libdir
        self.assertTrue(os.path.exists(os.path.join(staged_lib, "libmodellix.so.1")), os.listdir(staged_lib))
        env = dict(os.environ, PYTHONPATH=site, LD_LIBRARY_PATH=staged_lib)
        env.pop("MODELLIX_LIBRARY")
        where = self.use(sys.executable, env)
        self.assertEqual(where, os.path.join(pkg, "__init__.py"))


if __name__ == "__main__":
    unittest.main(verbosity=2)
