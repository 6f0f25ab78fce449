"""The portal in Debian's Chromium (tests/browser, node --test with
playwright-core) against a real stack: every *.test.mjs there (login, the
registry, dispositions, search, archive, each role's main flow at desktop
and phone sizes, script payloads). Screenshots go to
build/test/test-output/browser (the role tests' to its screenshots/)."""

import os
import shutil
import subprocess
import sys
import unittest

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import BUILD_DIR, SOURCE_DIR, Stack  # noqa: E402

BROWSER_DIR = os.path.join(SOURCE_DIR, "tests", "browser")
USER = "walikota"


class BrowserTest(unittest.TestCase):
    def test_browser_suite(self):
        if not os.path.isdir(os.path.join(BROWSER_DIR, "node_modules", "playwright-core")):
            self.skipTest("tests/browser/node_modules is missing: run scripts/setup (it runs npm ci there)")
        node = shutil.which("node")
        self.assertIsNotNone(node, "node is not installed (scripts/setup installs it)")
        stack = Stack()
        self.addCleanup(stack.stop)
        s = stack.session()
        r = s.login(USER)
        self.assertEqual(r.status, 200, r)
        name = s.get("/api/me").json["name"]
        self.assertEqual(s.logout().status, 204)
        output = os.path.join(BUILD_DIR, "test-output", "browser")
        os.makedirs(output, exist_ok=True)
        env = dict(os.environ)
        env.update(
            {
                "ESURAT_TEST_URL": stack.url("/").rstrip("/"),
                "ESURAT_TEST_USER": USER,
                "ESURAT_TEST_PASSWORD": stack.password,
                "ESURAT_TEST_NAME": name,
                "ESURAT_TEST_OUTPUT": output,
                # SQL for the tests that need it (tests/browser/portal.mjs sql()).
                "ESURAT_DATA": stack.data,
            }
        )
        p = subprocess.run(
            [node, "--test", "tests/browser/"],
            cwd=SOURCE_DIR,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=540,
        )
        sys.stdout.write(p.stdout)
        self.assertEqual(p.returncode, 0, "node --test tests/browser/ failed (screenshots in %s)" % output)


if __name__ == "__main__":
    unittest.main(verbosity=2)
