"""Integration test harness: the real stack, in a temporary directory.

A Stack starts, in a fresh directory under /tmp (never var/), a private
PostgreSQL cluster, applies the migrations, seeds the demo organisation with
a known password, and starts esurat-fcgi (2 workers), esurat-worker and
nginx on a free port of 127.0.0.1. Every step is a function of
scripts/stack, run through bash, so there is one implementation of it.

    with Stack(env={"ESURAT_LOGIN_LOCK_SECONDS": "3"}) as stack:
        s = stack.session()
        r = s.login("umum", stack.password)
        r = s.get("/api/me")
        assert r.status == 200 and r.json["username"] == "umum"

stop() stops everything and raises AssertionError when a server's log holds
a sanitizer report (AddressSanitizer, LeakSanitizer, UBSan's "runtime
error:"), or when a server did not stop on its signal.

Environment: ESURAT_BUILD_DIR (the build with the binaries, default
build/test), ESURAT_SOURCE_DIR (default: two levels up from here),
ESURAT_KEEP_DATA=1 keeps the temporary directory for a look afterwards.

Python 3 standard library only.
"""

import http.client
import json as jsonlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_DIR = os.environ.get("ESURAT_SOURCE_DIR") or os.path.abspath(os.path.join(HERE, "..", ".."))
BUILD_DIR = os.environ.get("ESURAT_BUILD_DIR") or os.path.join(SOURCE_DIR, "build", "test")
STACK_SCRIPT = os.path.join(SOURCE_DIR, "scripts", "stack")

DEMO_PASSWORD = "Uji-Integrasi-2015!"
DEMO_USERS = ["admin", "umum", "walikota", "sekda", "asisten1", "kabag.hukum", "arsiparis"]

SANITIZER_MARKERS = ("AddressSanitizer", "LeakSanitizer", "runtime error:")
SERVER_LOGS = ("esurat-fcgi", "esurat-worker", "esurat-hello", "cli")


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class StackError(Exception):
    pass


class Response:
    """status, headers (case-insensitive .get / .get_all), body (bytes),
    text, json (parsed body, or None when it is not JSON)."""

    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body
        self.text = body.decode("utf-8", "replace")
        try:
            self.json = jsonlib.loads(self.text) if self.text.strip() else None
        except ValueError:
            self.json = None

    def header(self, name, default=None):
        return self.headers.get(name, default)

    def error_code(self):
        """The API error shape's code, or None."""
        if isinstance(self.json, dict) and isinstance(self.json.get("error"), dict):
            return self.json["error"].get("code")
        return None

    def __repr__(self):
        return "<Response %d %s>" % (self.status, self.text[:300])


class Session:
    """An HTTP client with its own cookie jar and CSRF token, like one
    browser. Every request opens a new connection to nginx."""

    def __init__(self, stack):
        self.stack = stack
        self.cookies = {}
        self.csrf_token = None
        self.last_set_cookies = []

    # -- cookies
    def _store_cookies(self, headers):
        set_cookies = headers.get_all("Set-Cookie") or []
        self.last_set_cookies = set_cookies
        for sc in set_cookies:
            parts = [p.strip() for p in sc.split(";")]
            if "=" not in parts[0]:
                continue
            name, value = parts[0].split("=", 1)
            attrs = {}
            for p in parts[1:]:
                k, _, v = p.partition("=")
                attrs[k.strip().lower()] = v.strip()
            expired = value == "" or attrs.get("max-age") in ("0", "-1")
            if "expires" in attrs and not expired:
                try:
                    import email.utils

                    when = email.utils.parsedate_to_datetime(attrs["expires"]).timestamp()
                    expired = when < time.time()
                except (TypeError, ValueError, IndexError):
                    pass
            if expired:
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value

    def set_cookie(self, name, value):
        self.cookies[name] = value

    # -- requests
    def request(self, method, path, json=None, data=None, headers=None, csrf=True, timeout=30):
        hdrs = {}
        body = None
        if json is not None:
            body = jsonlib.dumps(json).encode()
            hdrs["Content-Type"] = "application/json"
        elif data is not None:
            body = data.encode() if isinstance(data, str) else data
            hdrs.setdefault("Content-Type", "application/json")
        if self.cookies:
            hdrs["Cookie"] = "; ".join("%s=%s" % kv for kv in self.cookies.items())
        if (
            csrf
            and self.csrf_token
            and method.upper() not in ("GET", "HEAD", "OPTIONS")
        ):
            hdrs["X-CSRF-Token"] = self.csrf_token
        for k, v in (headers or {}).items():
            for existing in [h for h in hdrs if h.lower() == k.lower()]:
                del hdrs[existing]
            if v is not None:
                hdrs[k] = v
        # A stack on another (test) host names its address (scripts/cluster-test).
        host = getattr(self.stack, "host", "127.0.0.1")
        conn = http.client.HTTPConnection(host, self.stack.port, timeout=timeout)
        try:
            conn.request(method, path, body=body, headers=hdrs)
            r = conn.getresponse()
            payload = r.read()
            resp = Response(r.status, r.headers, payload)
        finally:
            conn.close()
        self._store_cookies(resp.headers)
        return resp

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, **kw):
        return self.request("POST", path, **kw)

    def patch(self, path, **kw):
        return self.request("PATCH", path, **kw)

    def put(self, path, **kw):
        return self.request("PUT", path, **kw)

    def delete(self, path, **kw):
        return self.request("DELETE", path, **kw)

    def login(self, username, password=None):
        """POST /api/auth/login; on 200 keeps the csrf_token."""
        if password is None:
            password = self.stack.password
        r = self.post("/api/auth/login", json={"username": username, "password": password})
        if r.status == 200 and isinstance(r.json, dict):
            self.csrf_token = r.json.get("csrf_token")
        return r

    def logout(self):
        return self.post("/api/auth/logout")


class Stack:
    """The whole e-Surat stack in a temporary directory.

    env: extra environment for every server and CLI call (e.g. short lock
    times). workers: esurat-fcgi workers. worker: start esurat-worker too.
    """

    def __init__(self, env=None, workers=2, worker=True, seed=True, start=True):
        self.password = DEMO_PASSWORD
        self.workers = workers
        self.with_worker = worker
        self.seed = seed
        self.port = free_port()
        self.data = tempfile.mkdtemp(prefix="esurat-it-")
        self.log_dir = os.path.join(self.data, "log")
        self.run_dir = os.path.join(self.data, "run")
        self.env = dict(os.environ)
        for k in list(self.env):
            # An outer scripts/run's settings must not leak in.
            if k.startswith("ESURAT_") and k not in ("ESURAT_BUILD_DIR", "ESURAT_SOURCE_DIR"):
                del self.env[k]
        self.env.update(
            {
                "ESURAT_DATA": self.data,
                "ESURAT_PORT": str(self.port),
                "ESURAT_BUILD_DIR": BUILD_DIR,
                "ESURAT_SOURCE_DIR": SOURCE_DIR,
                "ESURAT_FCGI_WORKERS": str(workers),
                "ESURAT_NGINX_WORKERS": "1",
                "ESURAT_DEMO_PASSWORD": self.password,
                "ESURAT_PG_FAST": "1",
                "ESURAT_SQL_DIR": os.path.join(SOURCE_DIR, "sql"),
                # Killed workers would report leaks; leaks are the unit
                # tests' and the CLI test's business.
                "ASAN_OPTIONS": "detect_leaks=0:abort_on_error=1:print_summary=1",
                "UBSAN_OPTIONS": "print_stacktrace=1:halt_on_error=1",
                "STACK_QUIET": "1",
            }
        )
        self.env.update({k: str(v) for k, v in (env or {}).items()})
        self._watchdog = None
        self._stopped = False
        self._pg_running = False
        self._cli_log = os.path.join(self.data, "cli-output.log")
        if start:
            self.start()

    # -- plumbing
    def stack(self, cmd, *args, check=True, timeout=180, capture=True):
        """Run `scripts/stack CMD ARGS` (bash) with this stack's environment."""
        p = subprocess.run(
            ["bash", STACK_SCRIPT, cmd] + [str(a) for a in args],
            env=self.env,
            cwd=SOURCE_DIR,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE if capture else None,
            stderr=subprocess.PIPE if capture else None,
            text=True,
            timeout=timeout,
        )
        if check and p.returncode != 0:
            raise StackError(
                "scripts/stack %s %s failed (exit %d)\n%s%s"
                % (cmd, " ".join(map(str, args)), p.returncode, p.stdout or "", p.stderr or "")
            )
        return p

    def start(self):
        try:
            self.stack("pg_init")
            self.stack("pg_start")
            self._pg_running = True
            self._start_watchdog()
            self.stack("db_create")
            self.cli("migrate")
            if self.seed:
                self.cli("seed-demo")
            self.stack("fcgi_start")
            if self.with_worker:
                self.stack("worker_start")
            self.stack("nginx_start")
            self.wait_health(60)
        except BaseException:
            sys.stderr.write(self.log_tails())
            self.stop(check=False)
            raise
        return self

    def _start_watchdog(self):
        # Stops the servers if this test process dies without teardown.
        self._watchdog = subprocess.Popen(
            ["bash", STACK_SCRIPT, "watchdog", str(os.getpid())],
            env=self.env,
            cwd="/",
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )

    def wait_health(self, seconds=60):
        deadline = time.time() + seconds
        last = None
        while time.time() < deadline:
            try:
                r = self.session().get("/api/health", timeout=5)
                if r.status == 200:
                    return r
                last = r
            except OSError as e:
                last = e
            time.sleep(0.2)
        raise StackError("/api/health did not answer 200 within %ss: %r" % (seconds, last))

    def url(self, path="/"):
        return "http://127.0.0.1:%d%s" % (self.port, path)

    def session(self):
        return Session(self)

    # -- database and CLI
    def psql(self, sql):
        """Run SQL in the e-Surat database; the output, unaligned, tuples only."""
        p = self.stack("psql", "-At", "-c", sql)
        return p.stdout.strip()

    def cli(self, *args, check=True, env=None):
        """Run the admin CLI `esurat ARGS` (as the current user) against this
        stack's database; its output is also scanned by stop()."""
        e = dict(self.env)
        e.update(env or {})
        p = subprocess.run(
            ["bash", STACK_SCRIPT, "cli"] + list(args),
            env=e,
            cwd=SOURCE_DIR,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=180,
        )
        with open(self._cli_log, "a") as f:
            f.write("$ esurat %s (exit %d)\n%s%s\n" % (" ".join(args), p.returncode, p.stdout, p.stderr))
        if check and p.returncode != 0:
            raise StackError("esurat %s failed (exit %d)\n%s%s" % (" ".join(args), p.returncode, p.stdout, p.stderr))
        return p

    def stop_pg(self, mode="fast"):
        """pg_ctl stop -m MODE: fast (transactions rolled back) or
        immediate (as a crash; the next start recovers from the WAL)."""
        self.stack("pg_stop", mode)
        self._pg_running = False

    def start_pg(self):
        self.stack("pg_start")
        self._pg_running = True

    def wait_indexed(self, timeout=20):
        """Until esurat-worker's indexer has processed every outbox row."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.psql("SELECT count(*) FROM index_outbox WHERE processed_at IS NULL") == "0":
                return
            time.sleep(0.05)
        raise AssertionError("index outbox not drained in %ss:\n%s" % (timeout, self.log("esurat-worker")[-3000:]))

    def server_errors(self):
        """The lines of nginx's access log with a 5xx status (after its
        buffer, flushed every second, reached the file)."""
        time.sleep(1.5)
        return [line for line in self.log("nginx-access").splitlines() if re.search(r'HTTP/1\.[01]" 5\d\d ', line)]

    # -- processes
    def _pid(self, name):
        p = self.stack("svc_pid", name, check=False)
        out = p.stdout.strip()
        return int(out) if p.returncode == 0 and out else None

    def fcgi_master_pid(self):
        return self._pid("esurat-fcgi")

    def nginx_pid(self):
        return self._pid("nginx")

    def worker_pid(self):
        return self._pid("esurat-worker")

    def fcgi_worker_pids(self):
        """The pids of esurat-fcgi's workers (the master's children)."""
        master = self.fcgi_master_pid()
        if master is None:
            return set()
        return children_of(master)

    def fcgi_stop(self):
        self.stack("fcgi_stop")

    def fcgi_start(self):
        self.stack("fcgi_start")

    def fcgi_reload(self):
        self.stack("fcgi_reload")

    # -- logs
    def log(self, name):
        path = os.path.join(self.log_dir, name + ".log")
        try:
            with open(path, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def _server_log_texts(self):
        texts = {n: self.log(n) for n in SERVER_LOGS if n != "cli"}
        try:
            with open(self._cli_log, errors="replace") as f:
                texts["cli"] = f.read()
        except OSError:
            texts["cli"] = ""
        return texts

    def sanitizer_reports(self):
        """{log name: first lines of each sanitizer report}."""
        found = {}
        for name, text in self._server_log_texts().items():
            lines = text.splitlines()
            for i, line in enumerate(lines):
                if any(m in line for m in SANITIZER_MARKERS):
                    found.setdefault(name, []).append("\n".join(lines[max(0, i - 2) : i + 25]))
        return found

    def log_tails(self, n=40):
        out = []
        for name in ("esurat-fcgi", "esurat-worker", "nginx-error", "postgresql"):
            text = self.log(name)
            if text:
                out.append("----- %s/%s.log (last %d lines)\n%s\n" % (self.log_dir, name, n, "\n".join(text.splitlines()[-n:])))
        return "".join(out)

    # -- teardown
    def stop(self, check=True):
        """Stop everything (nginx, esurat-fcgi, esurat-worker, PostgreSQL),
        then fail when a server did not stop on its signal or a log holds a
        sanitizer report."""
        if self._stopped:
            return
        self._stopped = True
        problems = []
        p = self.stack("stack_down", check=False, timeout=240)
        if p.returncode != 0:
            problems.append("stopping the stack failed:\n%s%s" % (p.stdout, p.stderr))
        if self._watchdog is not None:
            try:
                self._watchdog.terminate()
                self._watchdog.wait(5)
            except (OSError, subprocess.TimeoutExpired):
                pass
        reports = self.sanitizer_reports()
        for name, items in reports.items():
            problems.append("sanitizer report in %s:\n%s" % (name, "\n...\n".join(items[:3])))
        keep = os.environ.get("ESURAT_KEEP_DATA") == "1" or (problems and check)
        if problems and check:
            sys.stderr.write(self.log_tails())
            sys.stderr.write("harness: data kept in %s\n" % self.data)
        if not keep:
            shutil.rmtree(self.data, ignore_errors=True)
        if problems and check:
            raise AssertionError("\n\n".join(problems))

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop(check=exc[0] is None)
        return False


def children_of(pid):
    """Pids whose parent is pid (from /proc), zombies excluded."""
    kids = set()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % entry) as f:
                stat = f.read()
        except OSError:
            continue
        rest = stat[stat.rfind(")") + 2 :].split()
        if len(rest) >= 2 and rest[1] == str(pid) and rest[0] not in ("Z", "X"):
            kids.add(int(entry))
    return kids


def hammer(stack, path, threads, stop_event, results, lock, timeout=10):
    """Start `threads` threads that GET path through nginx until stop_event is
    set; each request appends (start, end, status or exception name) to
    results. Returns the threads."""

    def loop():
        while not stop_event.is_set():
            t0 = time.monotonic()
            try:
                conn = http.client.HTTPConnection("127.0.0.1", stack.port, timeout=timeout)
                conn.request("GET", path)
                r = conn.getresponse()
                r.read()
                outcome = r.status
                conn.close()
            except Exception as e:  # noqa: BLE001 — every failure counts
                outcome = type(e).__name__
            t1 = time.monotonic()
            with lock:
                results.append((t0, t1, outcome))

    ts = [threading.Thread(target=loop, daemon=True) for _ in range(threads)]
    for t in ts:
        t.start()
    return ts


def raw_http(port, request_bytes, timeout=10):
    """Send raw bytes to nginx, return (status, headers dict, body bytes)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(request_bytes)
        chunks = []
        while True:
            try:
                b = s.recv(65536)
            except (ConnectionResetError, socket.timeout):
                break
            if not b:
                break
            chunks.append(b)
    data = b"".join(chunks)
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    m = re.match(r"HTTP/1\.[01] (\d{3})", lines[0] if lines else "")
    status = int(m.group(1)) if m else 0
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        headers[k.strip().lower()] = v.strip()
    return status, headers, body


def eventually(probe, seconds=2.0, step=0.02):
    """probe() until it returns true or time runs out; its last value. The
    default suits PostgreSQL's notifications: they reach the workers within
    milliseconds, but on a loaded machine a worker may answer one request
    before it reads one."""
    deadline = time.monotonic() + seconds
    while True:
        ok = probe()
        if ok or time.monotonic() > deadline:
            return ok
        time.sleep(step)


def kill(pid, sig=signal.SIGKILL):
    os.kill(pid, sig)
