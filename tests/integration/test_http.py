"""The HTTP contract of API.md over the real nginx, esurat-fcgi and
PostgreSQL: health, login, throttle, CSRF, logout, session expiry, the
dispatcher's 404/405/400/413, security headers, /metrics, deactivation."""

import re
import sys
import threading
import time
import unittest
import os

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Stack, raw_http  # noqa: E402

MAX_FAILURES = 5  # ESURAT_LOGIN_MAX_FAILURES (the default)
LOCK_SECONDS = 4  # ESURAT_LOGIN_LOCK_SECONDS, short for the test

SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; "
    "img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}


class HttpTest(unittest.TestCase):
    maxDiff = None

    @classmethod
    def setUpClass(cls):
        cls.stack = Stack(
            env={
                "ESURAT_LOGIN_MAX_FAILURES": str(MAX_FAILURES),
                "ESURAT_LOGIN_LOCK_SECONDS": str(LOCK_SECONDS),
                "ESURAT_HEARTBEAT_SECONDS": "1",
            }
        )
        cls.addClassCleanup(cls.stack.stop)

    def assertError(self, r, status, code):
        """r has this status and the API error shape with this code."""
        self.assertEqual(r.status, status, r)
        self.assertIsInstance(r.json, dict, "not a JSON body: %r" % r)
        self.assertIsInstance(r.json.get("error"), dict, "no error object: %r" % r)
        self.assertEqual(r.json["error"].get("code"), code, r)
        self.assertIsInstance(r.json["error"].get("message"), str, r)
        self.assertTrue(r.json["error"]["message"], r)
        self.assertTrue(r.header("Content-Type", "").startswith("application/json"), r.headers)

    def login_ok(self, username):
        s = self.stack.session()
        r = s.login(username)
        self.assertEqual(r.status, 200, "login as %s: %r" % (username, r))
        return s

    # ------------------------------------------------------------ health
    def test_health(self):
        r = self.stack.session().get("/api/health")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json.get("status"), "ok", r)
        self.assertEqual(r.json.get("db"), "ok", r)
        self.assertTrue(r.header("Content-Type", "").startswith("application/json"), r.headers)

    def test_health_reports_the_ocr_queue(self):
        """esurat-worker's heartbeat carries the queue's counts into health."""
        self.stack.psql(
            "INSERT INTO letters (direction, unit_id, agenda_number, agenda_year, letter_number,"
            "  letter_date, received_at, sender, recipient, subject, created_by, tracking_code)"
            " SELECT 'in', u.id, 9001, 2015, '005/1/Disdik/2015', '2015-01-20', now(),"
            "  'Dinas Pendidikan', 'Walikota', 'Undangan', (SELECT min(id) FROM users), 'HEALTHTEST01'"
            " FROM units u ORDER BY u.id LIMIT 1;"
            "INSERT INTO scans (letter_id, sha256, bytes, mime, uploaded_by)"
            " SELECT l.id, repeat(d, 64), 10, 'image/png', l.created_by"
            " FROM letters l, (VALUES ('a'), ('b'), ('c')) AS v(d) WHERE l.tracking_code = 'HEALTHTEST01';"
            "INSERT INTO ocr_jobs (scan_id, status, error)"
            " SELECT s.id, CASE s.sha256 WHEN repeat('c', 64) THEN 'failed' ELSE 'queued' END,"
            "  CASE s.sha256 WHEN repeat('c', 64) THEN 'unreadable' END"
            " FROM scans s JOIN letters l ON l.id = s.letter_id WHERE l.tracking_code = 'HEALTHTEST01';"
        )
        deadline = time.monotonic() + 15
        while True:
            r = self.stack.session().get("/api/health")
            self.assertEqual(r.status, 200, r)
            if r.json["ocr"] == {"queued": 2, "running": 0, "failed": 1} or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        self.assertEqual(r.json["ocr"], {"queued": 2, "running": 0, "failed": 1}, r)
        self.assertTrue(r.json["worker"]["ok"], r)
        self.assertTrue(r.json["index"]["ok"], r)

    # ------------------------------------------------------------ login
    def test_login_success(self):
        s = self.stack.session()
        r = s.login("umum")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json["user"]["username"], "umum", r)
        self.assertIsInstance(r.json.get("csrf_token"), str, r)
        self.assertGreaterEqual(len(r.json["csrf_token"]), 16, r)
        cookies = [c for c in s.last_set_cookies if c.startswith("esurat_session=")]
        self.assertEqual(len(cookies), 1, s.last_set_cookies)
        attrs = [a.strip().lower() for a in cookies[0].split(";")[1:]]
        self.assertIn("httponly", attrs, cookies[0])
        self.assertIn("samesite=strict", attrs, cookies[0])
        self.assertTrue(any(a == "path=/" for a in attrs), cookies[0])
        token = cookies[0].split(";")[0].split("=", 1)[1]
        self.assertGreaterEqual(len(token), 32, "session token too short: %r" % cookies[0])
        me = s.get("/api/me")
        self.assertEqual(me.status, 200, me)
        self.assertEqual(me.json["username"], "umum", me)
        self.assertIn("front_desk", me.json.get("roles", []), me)
        # A new login gives a new token.
        s2 = self.stack.session()
        s2.login("umum")
        self.assertNotEqual(s2.cookies.get("esurat_session"), s.cookies.get("esurat_session"))

    def test_wrong_password_and_unknown_user_answer_alike(self):
        wrong = self.stack.session().login("sekda", "not-the-password")
        unknown = self.stack.session().login("tidak.ada", "not-the-password")
        self.assertError(wrong, 401, "invalid_credentials")
        self.assertError(unknown, 401, "invalid_credentials")
        self.assertEqual(wrong.json, unknown.json)
        self.assertNotIn("Set-Cookie", wrong.headers)
        self.assertNotIn("Set-Cookie", unknown.headers)

    def _throttle(self, username, known):
        s = self.stack.session()
        for i in range(MAX_FAILURES):
            r = s.login(username, "wrong-%d" % i)
            self.assertError(r, 401, "invalid_credentials")
        # Locked now, even with the right password.
        r = s.login(username, self.stack.password if known else "wrong-again")
        self.assertError(r, 429, "too_many_requests")
        # The application's answer, not nginx's address limit.
        self.assertNotIn("from this address", r.json["error"]["message"], r)
        return s

    def test_throttle_known_user(self):
        s = self._throttle("asisten1", known=True)
        time.sleep(LOCK_SECONDS + 1.5)
        r = s.login("asisten1")
        self.assertEqual(r.status, 200, "after the lock time (%ss): %r" % (LOCK_SECONDS, r))

    def test_throttle_unknown_user(self):
        self._throttle("orang.asing", known=False)
        # Another name is not locked.
        r = self.stack.session().login("orang.lain", "x")
        self.assertError(r, 401, "invalid_credentials")

    def test_nginx_login_rate_limit_is_json(self):
        # More than the burst (30) at once from one address: nginx answers
        # 429 itself, in the API's error shape.
        results = []
        lock = threading.Lock()

        def one():
            r = raw_http(
                self.stack.port,
                b"POST /api/auth/login HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                b"Content-Length: 2\r\nConnection: close\r\n\r\n{}",
            )
            with lock:
                results.append(r)

        threads = [threading.Thread(target=one) for _ in range(60)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        limited = [r for r in results if r[0] == 429 and b"from this address" in r[2]]
        self.assertTrue(limited, [r[0] for r in results])
        self.assertEqual(limited[0][1].get("content-type"), "application/json")
        self.assertIn(b'"code":"too_many_requests"', limited[0][2])
        time.sleep(4)  # let the address limit refill for the other tests

    # ------------------------------------------------------------ CSRF
    def test_csrf_required(self):
        s = self.login_ok("admin")
        r = s.post("/api/auth/logout", csrf=False)
        self.assertError(r, 403, "csrf")
        r = s.post("/api/auth/logout", headers={"X-CSRF-Token": "0" * 64})
        self.assertError(r, 403, "csrf")
        r = s.post("/api/auth/logout", headers={"X-CSRF-Token": ""})
        self.assertError(r, 403, "csrf")
        # Still signed in: the refused calls changed nothing.
        self.assertEqual(s.get("/api/me").status, 200)

    # ------------------------------------------------------------ logout, expiry
    def test_logout_ends_session_server_side(self):
        s = self.login_ok("walikota")
        token = s.cookies["esurat_session"]
        r = s.logout()
        self.assertEqual(r.status, 204, r)
        self.assertEqual(r.body, b"", r)
        # Replaying the old cookie (whatever the browser was told) fails.
        replay = self.stack.session()
        replay.set_cookie("esurat_session", token)
        self.assertError(replay.get("/api/me"), 401, "unauthenticated")

    def test_sign_in_and_out_are_audited(self):
        s = self.login_ok("asisten1")
        self.assertEqual(s.logout().status, 204)
        actions = self.stack.psql(
            "SELECT string_agg(a.action, ',' ORDER BY a.id) FROM audit_log a"
            " JOIN users u ON u.id = a.user_id WHERE u.username = 'asisten1'"
        )
        self.assertEqual(actions, "auth.login,auth.logout")
        verify = self.stack.cli("audit", "verify")
        self.assertEqual(verify.returncode, 0, verify.stdout + verify.stderr)

    # ------------------------------------------------------------ organisation
    def test_positions_classifications_instructions(self):
        s = self.login_ok("umum")
        positions = s.get("/api/positions")
        self.assertEqual(positions.status, 200, positions)
        by_title = {p["title"]: p for p in positions.json}
        walikota, sekda = by_title["Walikota Pekanbaru"], by_title["Sekretaris Daerah"]
        self.assertIsNone(walikota["parent_id"])
        self.assertEqual(sekda["parent_id"], walikota["id"])
        self.assertTrue(walikota["is_entry_point"] and sekda["is_entry_point"])
        self.assertFalse(by_title["Kepala Bagian Hukum"]["is_entry_point"])
        self.assertIsNotNone(walikota["holder"], walikota)
        self.assertEqual(set(walikota["unit"]), {"id", "code", "name"})

        codes = s.get("/api/classifications?prefix=1").json
        self.assertEqual([c["code"] for c in codes], ["100"])
        self.assertEqual(codes[0]["title"], "Pemerintahan")
        self.assertEqual(len(s.get("/api/classifications").json), 10)
        # LIKE's wildcards are taken literally, not as patterns.
        self.assertEqual(s.get("/api/classifications?prefix=%25").json, [])
        self.assertEqual(s.get("/api/classifications?prefix=_00").json, [])
        self.assertEqual(s.get("/api/classifications?prefix=" + "9" * 65).status, 400)

        instructions = {i["code"]: i["label"] for i in s.get("/api/instructions").json}
        self.assertEqual(instructions["tindak_lanjuti"], "Untuk ditindaklanjuti")
        self.assertIn("arsipkan", instructions)

        for path in ("/api/positions", "/api/classifications", "/api/instructions"):
            self.assertError(self.stack.session().get(path), 401, "unauthenticated")

    def test_tracking_is_rate_limited_by_nginx(self):
        s = self.stack.session()
        statuses = [s.get("/api/track/ZZZZZZZZZZ").status for _ in range(40)]
        self.assertIn(429, statuses, statuses)
        r = s.get("/api/track/ZZZZZZZZZZ")
        if r.status == 429:
            self.assertError(r, 429, "too_many_requests")

    def test_me_without_session(self):
        self.assertError(self.stack.session().get("/api/me"), 401, "unauthenticated")
        s = self.stack.session()
        s.set_cookie("esurat_session", "A" * 43)
        self.assertError(s.get("/api/me"), 401, "unauthenticated")

    def test_idle_session_expires(self):
        s = self.login_ok("arsiparis")
        self.assertEqual(s.get("/api/me").status, 200)
        self.stack.psql("UPDATE sessions SET last_seen_at = now() - interval '2 hours'")
        self.assertError(s.get("/api/me"), 401, "unauthenticated")

    def test_absolute_session_limit(self):
        s = self.login_ok("arsiparis")
        self.stack.psql("UPDATE sessions SET expires_at = now() - interval '1 second'")
        self.assertError(s.get("/api/me"), 401, "unauthenticated")

    # ------------------------------------------------------------ dispatcher
    def test_unknown_route(self):
        self.assertError(self.stack.session().get("/api/tidak-ada"), 404, "not_found")
        s = self.login_ok("umum")
        self.assertError(s.get("/api/tidak/ada/sama/sekali"), 404, "not_found")

    def test_wrong_method(self):
        r = self.stack.session().get("/api/auth/login")
        self.assertError(r, 405, "method_not_allowed")
        allow = r.header("Allow", "")
        self.assertIn("POST", [m.strip() for m in allow.split(",")], r.headers)
        r = self.stack.session().request("PUT", "/api/health", data="{}")
        self.assertError(r, 405, "method_not_allowed")
        self.assertIn("GET", [m.strip() for m in r.header("Allow", "").split(",")], r.headers)

    def test_malformed_json(self):
        bodies = [
            '{"username": "umum", "password": ',
            '{"username": "umum" "password": "x"}',
            "{,}",
            "not json",
        ]
        for body in bodies:
            with self.subTest(body=body):
                r = self.stack.session().post("/api/auth/login", data=body)
                self.assertError(r, 400, "invalid_json")
                msg = r.json["error"]["message"]
                self.assertRegex(msg, re.compile(r"line|column|position|offset|byte", re.I), r)

    def test_json_body_over_limit(self):
        big = '{"username": "umum", "password": "' + "a" * (1024 * 1024 + 100) + '"}'
        r = self.stack.session().post("/api/auth/login", data=big, timeout=60)
        self.assertError(r, 413, "too_large")

    def test_body_over_nginx_limit(self):
        # Content-Length over client_max_body_size (64m): nginx refuses it
        # before reading the body, in the API's error shape.
        status, headers, body = raw_http(
            self.stack.port,
            b"POST /api/auth/login HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
            b"Content-Length: 70000000\r\nConnection: close\r\n\r\n{}",
        )
        self.assertEqual(status, 413, body)
        self.assertEqual(headers.get("content-type"), "application/json")
        self.assertIn(b'"code":"too_large"', body)

    # ------------------------------------------------------------ nginx
    def test_security_headers(self):
        s = self.stack.session()
        for path in ("/", "/api/health", "/api/tidak-ada", "/masuk"):
            with self.subTest(path=path):
                r = s.get(path)
                for name, value in SECURITY_HEADERS.items():
                    self.assertEqual(r.headers.get_all(name), [value], "%s on %s" % (name, path))
                self.assertEqual(r.header("Server"), "nginx", r.headers)

    def test_portal_served(self):
        r = self.stack.session().get("/")
        self.assertEqual(r.status, 200)
        self.assertIn("text/html", r.header("Content-Type", ""))
        # The single page answers unknown portal paths too.
        r2 = self.stack.session().get("/kotak-masuk")
        self.assertEqual(r2.status, 200)
        self.assertEqual(r2.body, r.body)

    def test_scans_not_reachable_directly(self):
        r = self.stack.session().get("/_scans/anything")
        self.assertEqual(r.status, 404, r)

    def test_metrics_from_localhost(self):
        r = self.stack.session().get("/metrics")
        self.assertEqual(r.status, 200, r)
        self.assertTrue(r.header("Content-Type", "").startswith("text/plain"), r.headers)
        self.assertRegex(r.text, r"(?m)^# (TYPE|HELP) ", r.text[:500])

    # ------------------------------------------------------------ CLI
    def test_deactivated_user_loses_session(self):
        s = self.login_ok("kabag.hukum")
        self.assertEqual(s.get("/api/me").status, 200)
        self.stack.cli("user", "deactivate", "kabag.hukum")
        # PostgreSQL tells every esurat-fcgi worker at once (a notification);
        # a worker that has not read it yet trusts the session no longer than
        # ESURAT_SESSION_CACHE_MS (1 s).
        deadline = time.monotonic() + 1.5
        while s.get("/api/me").status == 200 and time.monotonic() < deadline:
            time.sleep(0.02)
        self.assertError(s.get("/api/me"), 401, "unauthenticated")
        r = self.stack.session().login("kabag.hukum")
        self.assertEqual(r.status, 401, r)
        self.assertNotIn("Set-Cookie", r.headers)


if __name__ == "__main__":
    unittest.main(verbosity=2)
