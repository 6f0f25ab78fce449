"""Security over the real nginx, esurat-fcgi, esurat-worker and PostgreSQL
(issue 9): the access matrix of every route in fcgi/routes.c for every demo
user and anonymous callers, with confidential letters and objects of
another unit answering 404; those letters invisible through the registry
list, inbox counts, search results, totals and facets, retention counts,
exports and tracking; CSRF on every state-changing route and the session
cookie's flags; session fixation; the login throttle; upload type
spoofing; path traversal; SQL-injection and script payloads in every field
of every JSON body and in every query parameter.

One stack for the whole file. The tests run in the order of their names;
each leaves what it created for the next (all of it registered today, in a
stack of its own)."""

import csv
import io
import json
import os
import re
import secrets
import sys
import time
import unittest
import urllib.parse
import zipfile

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import SOURCE_DIR, Stack, raw_http  # noqa: E402
from test_scans import jpeg, pdf, png  # noqa: E402

MAX_FAILURES = 3  # ESURAT_LOGIN_MAX_FAILURES for this stack
LOCK_SECONDS = 3  # ESURAT_LOGIN_LOCK_SECONDS

ANON = "anonymous"
USERS = ["admin", "umum", "walikota", "sekda", "asisten1", "kabag.hukum", "arsiparis"]
EVERYONE = [ANON] + USERS
ROLES = {
    ANON: set(),
    "admin": {"admin"},
    "umum": {"front_desk"},
    "walikota": {"official"},
    "sekda": {"official"},
    "asisten1": {"official"},
    "kabag.hukum": {"official"},
    "arsiparis": {"archivist", "records"},
}
PUBLIC = "public"
SIGNED_IN = "signed in"
REGISTRARS = {"front_desk", "official"}
SIGNED = set(USERS)

# Who sees each letter of the fixture (letter_visible() in SQL): biasa and
# terbatas letters every signed-in user; rahasia and sangat_rahasia letters
# admins, the front desk of the registering unit and the holders of the
# positions they were disposed to. The Hukum letters are registered by
# tu.hukum, the front desk of Bagian Hukum (made by this test), so that
# umum is the front desk of another unit for them.
SEES = {
    "biasa": SIGNED,
    "terbatas": SIGNED,
    "rahasia": {"admin", "umum", "sekda", "asisten1"},  # routed to Sekda, who disposed it to Asisten
    "sangat_rahasia": {"admin", "umum"},  # not routed yet
    "hukum_biasa": SIGNED,
    "hukum_rahasia": {"admin"},  # registered by Bagian Hukum, not routed
    "missing": set(),
}
FIXTURE_LETTERS = ["biasa", "terbatas", "rahasia", "sangat_rahasia", "hukum_biasa", "hukum_rahasia"]
# Who may correct a letter: the front desk of its unit, or an admin.
EDITORS = {"biasa": {"admin", "umum"}, "rahasia": {"admin", "umum"}, "sangat_rahasia": {"admin", "umum"},
           "hukum_biasa": {"admin"}, "hukum_rahasia": {"admin"}, "missing": set()}
# A draft scan is seen by its uploader alone.
SCAN_SEES = dict(SEES, draft={"umum"})

PAYLOADS = [
    "' OR 1=1--",
    "'; DROP TABLE letters;--",
    '"; DROP TABLE users; --',
    "1 UNION SELECT password_hash FROM users--",
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "{{7*7}} ${7*7} %s%n $1",
    "\\' \\\" \\\\",
    "\u202eRTL \U0001F600 \u00fcn\u00efc\u00f6d\u00e9",
]


def expect(ok, roles=SIGNED_IN, sees=None, acts=None, refused=403):
    """The status each caller gets, in the order the server decides: a
    session (401), the route's roles (403, the dispatcher), whether the
    object is visible (404, in SQL), whether the caller may do this to it
    (refused), else ok."""
    out = {}
    for user in EVERYONE:
        if roles != PUBLIC and user == ANON:
            out[user] = 401
        elif isinstance(roles, set) and not ROLES[user] & roles:
            out[user] = 403
        elif sees is not None and user not in sees:
            out[user] = 404
        elif acts is not None and user not in acts:
            out[user] = refused
        else:
            out[user] = ok
    return out


class Case:
    """One row of the matrix: a route of routes.c, the object it is asked
    about, and the status of each caller. make(test, user) gives the path
    and the request's keyword arguments (run just before the request, so
    that it may create a fresh object for it)."""

    def __init__(self, method, route, label, statuses, make=None, path=None, fresh_session=False):
        self.method, self.route, self.label, self.statuses = method, route, label, statuses
        self.make = make or (lambda test, user: (path or route, {}))
        self.fresh_session = fresh_session

    def __repr__(self):
        return "%s %s (%s)" % (self.method, self.route, self.label)


def parse_routes():
    """[(method, pattern, params variable or None)] of fcgi/routes.c."""
    with open(os.path.join(SOURCE_DIR, "fcgi", "routes.c")) as f:
        text = f.read()
    found = []
    for m in re.finditer(r'\{\s*"(/[^"]*)",\s*((?:METHOD_[A-Z]+\s*\|?\s*)+),[^,]+,\s*(\w+)\s*,', text):
        params = None if m.group(3) == "NULL" else m.group(3)
        for method in re.findall(r"METHOD_([A-Z]+)", m.group(2)):
            found.append((method, m.group(1), params))
    return found


def declared_params():
    """{variable name: [parameter names]} of every *_params array in fcgi/."""
    out = {}
    fcgi = os.path.join(SOURCE_DIR, "fcgi")
    for name in os.listdir(fcgi):
        if name.endswith(".c"):
            with open(os.path.join(fcgi, name)) as f:
                for m in re.finditer(r"(\w+_params)\[\]\s*=\s*\{([^}]*)\}", f.read()):
                    out[m.group(1)] = re.findall(r'"([^"]*)"', m.group(2))
    return out


class SecurityTest(unittest.TestCase):
    maxDiff = None
    seq = 0

    @classmethod
    def setUpClass(cls):
        cls.stack = Stack(
            env={
                "ESURAT_LOGIN_MAX_FAILURES": str(MAX_FAILURES),
                "ESURAT_LOGIN_LOCK_SECONDS": str(LOCK_SECONDS),
                # This file signs in often from one address; nginx's own
                # limits per address are test_http's.
                "ESURAT_LOGIN_BURST": "1000",
                "ESURAT_TRACK_BURST": "1000",
                "ESURAT_INDEX_POLL_MS": "100",
                "ESURAT_OCR_THREADS": "1",
            }
        )
        cls.addClassCleanup(cls.stack.stop)
        st = cls.stack
        st.psql("INSERT INTO classifications (code, title, parent_code) VALUES ('005', 'Undangan', '000')"
                " ON CONFLICT DO NOTHING")
        cls.pos = dict(line.split("|") for line in st.psql("SELECT title || '|' || id FROM positions").splitlines())
        cls.pos = {k: int(v) for k, v in cls.pos.items()}
        # tu.hukum: the front desk of Bagian Hukum, with the demo password.
        st.psql(
            "WITH p AS (INSERT INTO positions (unit_id, title, parent_id)"
            "   SELECT u.id, 'Kepala Subbagian Tata Usaha Hukum', k.id FROM units u, positions k"
            "   WHERE u.code = 'Hukum' AND k.title = 'Kepala Bagian Hukum' RETURNING id),"
            " n AS (INSERT INTO users (username, name, password_hash)"
            "   SELECT 'tu.hukum', 'Staf TU Bagian Hukum', password_hash FROM users WHERE username = 'umum'"
            "   RETURNING id),"
            " r AS (INSERT INTO user_roles (user_id, role) SELECT id, 'front_desk' FROM n)"
            "INSERT INTO position_holders (position_id, user_id, kind) SELECT p.id, n.id, 'definitif' FROM p, n"
        )
        cls.uid = dict(line.split("|") for line in st.psql("SELECT username || '|' || id FROM users").splitlines())
        cls.sessions = {}
        cls.tag = "uji" + secrets.token_hex(4)
        # A word only the confidential letter of Bagian Hukum has.
        cls.secret = "zamrud" + "".join(secrets.choice("bcdfghjklmnpqrstvwxz") for _ in range(6))
        cls.letters, cls.scans, cls.dispositions = {}, {}, {}
        for name in FIXTURE_LETTERS:
            security = name.replace("hukum_", "")
            registrar = "tu.hukum" if name.startswith("hukum_") else "umum"
            routed = name in ("biasa", "terbatas", "rahasia")
            cls.letters[name] = cls.register(registrar, security=security,
                                             to_position_id=cls.pos["Sekretaris Daerah"] if routed else None,
                                             sender="Dinas Uji %s" % cls.tag,
                                             subject="Surat %s %s%s" % (name.replace("_", " "), cls.tag,
                                                                         " " + cls.secret if name == "hukum_rahasia"
                                                                         else ""))
            if name != "terbatas":
                cls.scans[name] = cls.upload(registrar, "/api/letters/%d/scans" % cls.letters[name]["id"])
        for name in ("biasa", "rahasia"):
            lid = cls.letters[name]["id"]
            r = cls.s("sekda").post("/api/letters/%d/dispositions" % lid,
                                    json={"to": [cls.pos["Asisten Pemerintahan"]], "note": "Mohon ditelaah"})
            assert r.status == 201, r
            cls.dispositions[name + "_child"] = r.json["items"][0]["id"]
            cls.dispositions[name + "_root"] = r.json["items"][0]["parent_id"]
        cls.scans["draft"] = cls.upload("umum", "/api/scans")

    # ------------------------------------------------------------ helpers
    @classmethod
    def s(cls, user):
        """The signed-in session of user (one per user), or a new one
        without a cookie for anonymous."""
        if user == ANON:
            return cls.stack.session()
        if user not in cls.sessions:
            sess = cls.stack.session()
            r = sess.login(user)
            assert r.status == 200, "login as %s: %r" % (user, r)
            cls.sessions[user] = sess
        return cls.sessions[user]

    @classmethod
    def unique(cls):
        cls.seq += 1
        return cls.seq

    @classmethod
    def incoming(cls, **kw):
        body = {"direction": "in", "letter_number": "005/%d/Uji/2015" % cls.unique(), "letter_date": "2015-01-20",
                "sender": "Dinas Matriks", "recipient": "Walikota Pekanbaru", "subject": "Surat uji matriks",
                "classification": "005", "security": "biasa", "urgency": "biasa"}
        for k, v in kw.items():  # None leaves the field out
            if v is None:
                body.pop(k, None)
            else:
                body[k] = v
        return body

    @classmethod
    def register(cls, user, **kw):
        r = cls.s(user).post("/api/letters", json=cls.incoming(**kw))
        assert r.status == 201, r
        return r.json

    @classmethod
    def upload(cls, user, path):
        r = cls.s(user).post(path, data=png(seed=cls.unique() % 256, width=17 + cls.seq // 256),
                             headers={"Content-Type": "image/png"})
        assert r.status == 201, r
        return r.json["id"]

    def count(self, table):
        return int(self.stack.psql("SELECT count(*) FROM %s" % table))

    def counts(self):
        """Rows of every table a request may change, and the audit chain."""
        return {t: self.count(t) for t in ("letters", "users", "sessions", "scans", "dispositions", "instructions",
                                            "audit_log", "ocr_jobs", "classifications", "positions", "units",
                                            "position_holders", "user_roles")}

    def visible_ids(self, user):
        """Every letter user may see, as PostgreSQL decides."""
        rows = self.stack.psql("SELECT id FROM letters WHERE letter_visible(id, security, unit_id, %s)"
                               % self.uid[user])
        return {int(x) for x in rows.split()}

    def assertError(self, r, status, code=None, field=None):
        self.assertEqual(r.status, status, r)
        self.assertIsInstance(r.json, dict, r)
        err = r.json.get("error")
        self.assertIsInstance(err, dict, r)
        self.assertTrue(err.get("message"), r)
        if code:
            self.assertEqual(err.get("code"), code, r)
        if field:
            self.assertEqual(err.get("field"), field, r)

    def today(self):
        return self.stack.psql("SELECT to_char(now() AT TIME ZONE 'Asia/Jakarta', 'YYYY-MM-DD')")

    # ------------------------------------------------------------ the matrix
    def fresh_letter(self, security, routed=True, registrar="umum"):
        """A new letter for a state-changing row, routed to Sekda."""
        return self.register(registrar, security=security,
                             to_position_id=self.pos["Sekretaris Daerah"] if routed else None)["id"]

    def dispose_body(self, user):
        """Who disposes to whom: Sekda forwards down, the front desk routes
        to a leader (an entry point); anyone else asks for Kabag Hukum."""
        to = {"sekda": "Asisten Pemerintahan", "umum": "Walikota Pekanbaru"}.get(user, "Kepala Bagian Hukum")
        return {"to": [self.pos[to]], "instructions": ["ketahui"], "note": "Matriks"}

    def matrix(self):
        L, S, D = self.letters, self.scans, self.dispositions
        letter_path = lambda name: "/api/letters/%d" % (L[name]["id"] if name != "missing" else 999999999)  # noqa
        scan_path = lambda name, part: "/api/scans/%d/%s" % (S.get(name, 999999999), part)  # noqa
        rows = [
            Case("GET", "/api/health", "", expect(200, PUBLIC)),
            Case("GET", "/metrics", "from 127.0.0.1", expect(200, PUBLIC)),
            Case("POST", "/api/auth/login", "one's own name and password; anonymous: a wrong one",
                 expect(200, PUBLIC, acts=SIGNED, refused=401), fresh_session=True,
                 make=lambda t, u: ("/api/auth/login", {"json": {"username": u if u != ANON else "tidak.ada",
                                                                 "password": t.stack.password}})),
            Case("POST", "/api/auth/logout", "", expect(204), fresh_session=True),
            Case("GET", "/api/me", "", expect(200)),
            Case("GET", "/api/letters", "", expect(200), path="/api/letters?limit=5"),
            Case("POST", "/api/letters", "incoming: the front desk only",
                 expect(201, REGISTRARS, acts={"umum"}),
                 make=lambda t, u: ("/api/letters", {"json": t.incoming()})),
            Case("POST", "/api/letters", "outgoing: front desk and officials, for their unit",
                 expect(201, REGISTRARS),
                 make=lambda t, u: ("/api/letters", {"json": t.incoming(direction="out", letter_number=None,
                                                                        sender=None)})),
            Case("GET", "/api/numbering/preview", "", expect(200, REGISTRARS),
                 path="/api/numbering/preview?classification=005"),
            Case("GET", "/api/track/{code}", "a rahasia letter's code: status only", expect(200, PUBLIC),
                 path="/api/track/%s" % L["rahasia"]["tracking_code"]),
            Case("GET", "/api/track/{code}", "an unknown code", expect(404, PUBLIC), path="/api/track/ZZZZZZZZZZZZ"),
            Case("GET", "/api/positions", "", expect(200)),
            Case("GET", "/api/classifications", "", expect(200)),
            Case("GET", "/api/instructions", "", expect(200)),
            Case("POST", "/api/instructions", "", expect(201, {"admin"}),
                 make=lambda t, u: ("/api/instructions", {"json": {"code": "uji_%d" % t.unique(), "label": "Uji"}})),
            Case("PATCH", "/api/instructions/{code}", "its label as it is", expect(200, {"admin"}),
                 make=lambda t, u: ("/api/instructions/ketahui", {"json": {"label": "Untuk diketahui"}})),
            Case("POST", "/api/scans", "a draft", expect(201, REGISTRARS),
                 make=lambda t, u: ("/api/scans", {"data": png(seed=t.unique() % 256, width=40),
                                                   "headers": {"Content-Type": "image/png"}})),
            Case("POST", "/api/letters/{id}/scans", "one's own draft, to a biasa letter", expect(200, REGISTRARS),
                 make=lambda t, u: ("/api/letters/%d/scans" % L["biasa"]["id"],
                                    {"json": {"scan_id": t.upload(u, "/api/scans") if ROLES[u] & REGISTRARS
                                              else S["draft"]}})),
            Case("POST", "/api/letters/{id}/scans", "umum's draft, by anyone else",
                 expect(200, REGISTRARS, acts={"umum"}, refused=409),
                 make=lambda t, u: ("/api/letters/%d/scans" % L["biasa"]["id"],
                                    {"json": {"scan_id": S["draft"] if u != "umum" else t.upload(u, "/api/scans")}})),
            Case("GET", "/api/inbox", "", expect(200)),
            Case("GET", "/api/inbox/counts", "", expect(200)),
            Case("GET", "/api/export", "", expect(200, {"archivist", "records", "admin"}),
                 make=lambda t, u: ("/api/export?from=%s&to=%s" % (t.today(), t.today()), {})),
            Case("GET", "/api/retention", "", expect(200, {"records", "admin"})),
            Case("GET", "/api/search", "", expect(200), path="/api/search?q=surat"),
        ]
        rows += self.admin_rows()
        for name in FIXTURE_LETTERS + ["missing"]:
            rows.append(Case("GET", "/api/letters/{id}", name, expect(200, sees=SEES[name]), path=letter_path(name)))
        for name in ("biasa", "rahasia", "sangat_rahasia", "hukum_biasa", "hukum_rahasia", "missing"):
            rows.append(Case("PATCH", "/api/letters/{id}", name + ", its subject as it is",
                             expect(200, sees=SEES[name], acts=EDITORS[name]),
                             make=lambda t, u, n=name: (letter_path(n), {"json": {
                                 "subject": L[n]["subject"] if n != "missing" else "X"}})))
        for name in ("biasa", "rahasia", "hukum_rahasia", "missing"):
            rows.append(Case("POST", "/api/letters/{id}/scans", name + ", a new file",
                             expect(201, REGISTRARS, sees=SEES[name]),
                             make=lambda t, u, n=name: ("%s/scans" % letter_path(n), {
                                 "data": png(seed=t.unique() % 256, width=30),
                                 "headers": {"Content-Type": "image/png"}})))
        for name in ("biasa", "rahasia", "sangat_rahasia", "hukum_rahasia", "draft", "missing"):
            for part in ("file", "text", "suggestions"):
                rows.append(Case("GET", "/api/scans/{id}/" + part, name, expect(200, sees=SCAN_SEES[name]),
                                 path=scan_path(name, part)))
        for name in ("biasa", "rahasia", "hukum_rahasia", "draft", "missing"):
            rows.append(Case("POST", "/api/scans/{id}/ocr/retry", name + ", its OCR failed",
                             expect(200, {"front_desk", "admin"}, sees=SCAN_SEES[name]),
                             make=lambda t, u, n=name: t.failed_scan(n)))
        # Disposing: the holder of a position that received the letter
        # forwards it; the front desk of its unit routes it to a leader.
        for name, sees in (("biasa", SIGNED), ("rahasia", {"admin", "umum", "sekda"})):
            rows.append(Case("POST", "/api/letters/{id}/dispositions", "a new %s letter routed to Sekda" % name,
                             expect(201, sees=sees, acts={"sekda", "umum"}),
                             make=lambda t, u, n=name: ("/api/letters/%d/dispositions" % t.fresh_letter(n),
                                                        {"json": t.dispose_body(u)})))
        rows.append(Case("POST", "/api/letters/{id}/dispositions", "a new rahasia letter of Bagian Hukum",
                         expect(201, sees={"admin"}, acts=set()),
                         make=lambda t, u: ("/api/letters/%d/dispositions" % t.fresh_letter(
                             "rahasia", routed=False, registrar="tu.hukum"), {"json": t.dispose_body(u)})))
        for name in ("biasa_child", "rahasia_root", "rahasia_child", "missing"):
            sees = SEES[name.split("_")[0]]
            rows.append(Case("GET", "/api/dispositions/{id}", name, expect(200, sees=sees),
                             path="/api/dispositions/%d" % D.get(name, 999999999)))
        for name, sees in (("biasa", SIGNED), ("rahasia", {"admin", "umum", "sekda"})):
            rows.append(Case("POST", "/api/dispositions/{id}/complete", "a new %s letter's routing to Sekda" % name,
                             expect(200, sees=sees, acts={"sekda"}),
                             make=lambda t, u, n=name: t.routing_to_complete(n)))
        return rows

    def admin_rows(self):
        """The administrator's routes: admin only. What a row changes is
        made afresh for the admin's request (the others are refused before
        anything is looked at), or changed to what it was."""
        admin = self.s("admin")
        hukum_unit = int(self.stack.psql("SELECT id FROM units WHERE code = 'Hukum'"))

        def fresh(kind):
            n = self.unique()
            if kind == "user":
                body = {"username": "uji.%d" % n, "name": "Pegawai Uji %d" % n, "roles": ["official"],
                        "password": "kata-sandi-uji"}
                return self.created(admin.post("/api/users", json=body))
            if kind == "position":
                body = {"title": "Staf Uji %d" % n, "unit_id": hukum_unit, "parent_id": self.pos["Kepala Bagian Hukum"]}
                return self.created(admin.post("/api/positions", json=body))
            position, user = fresh("position"), fresh("user")
            return position, self.created(admin.post("/api/positions/%d/holders" % position,
                                                      json={"user_id": user, "kind": "plt", "until": "2099-12-31"}))

        def row(method, route, label, ok, make, refused):
            """make(test) for the admin's request; the others, refused for
            their role before anything is read, send refused (path, kw)."""
            return Case(method, route, label, expect(ok, {"admin"}),
                        make=lambda t, u: make(t) if u == "admin" else refused)

        umum_id, setda = int(self.uid["umum"]), int(self.stack.psql("SELECT id FROM units WHERE code = 'Setda'"))
        sekda_pos = self.pos["Sekretaris Daerah"]
        names = dict(line.split("|", 1) for line in self.stack.psql(
            "SELECT 'user' || '|' || name FROM users WHERE username = 'umum'"
            " UNION ALL SELECT 'unit' || '|' || name FROM units WHERE code = 'Setda'").splitlines())
        tmpl = "/api/numbering/template-preview?" + urllib.parse.urlencode(
            {"template": "{klasifikasi}/{urut}/{unit}/{tahun}", "classification": "005"})
        return [
            Case("GET", "/api/users", "", expect(200, {"admin"})),
            Case("GET", "/api/users/{id}", "umum", expect(200, {"admin"}), path="/api/users/%d" % umum_id),
            Case("GET", "/api/users/{id}", "missing", expect(404, {"admin"}), path="/api/users/999999999"),
            Case("GET", "/api/units", "", expect(200, {"admin"})),
            Case("GET", "/api/numbering/template-preview", "", expect(200, {"admin"}), path=tmpl),
            Case("GET", "/api/positions/{id}/holders", "Sekretaris Daerah", expect(200, {"admin"}),
                 path="/api/positions/%d/holders" % sekda_pos),
            row("POST", "/api/users", "a new user", 201,
                lambda t: ("/api/users", {"json": {"username": "baru.%d" % t.unique(), "name": "Pegawai Baru",
                                                   "roles": ["archivist"], "password": "kata-sandi-baru"}}),
                ("/api/users", {"json": {}})),
            row("PATCH", "/api/users/{id}", "umum, its name as it is", 200,
                lambda t: ("/api/users/%d" % umum_id, {"json": {"name": names["user"]}}),
                ("/api/users/%d" % umum_id, {"json": {"name": "X"}})),
            row("POST", "/api/units", "a new unit", 201,
                lambda t: ("/api/units", {"json": {"code": "Uji%d" % t.unique(), "name": "Unit Uji",
                                                   "parent_id": setda}}),
                ("/api/units", {"json": {}})),
            row("PATCH", "/api/units/{id}", "Setda, its name as it is", 200,
                lambda t: ("/api/units/%d" % setda, {"json": {"name": names["unit"]}}),
                ("/api/units/%d" % setda, {"json": {"name": "X"}})),
            row("POST", "/api/positions", "a new position", 201,
                lambda t: ("/api/positions", {"json": {"title": "Staf Baru %d" % t.unique(), "unit_id": hukum_unit}}),
                ("/api/positions", {"json": {}})),
            row("PATCH", "/api/positions/{id}", "Sekretaris Daerah, its title as it is", 200,
                lambda t: ("/api/positions/%d" % sekda_pos, {"json": {"title": "Sekretaris Daerah"}}),
                ("/api/positions/%d" % sekda_pos, {"json": {"title": "X"}})),
            row("POST", "/api/positions/{id}/holders", "a Plt for a new position", 201,
                lambda t: ("/api/positions/%d/holders" % fresh("position"),
                           {"json": {"user_id": fresh("user"), "kind": "plt", "until": "2099-12-31"}}),
                ("/api/positions/%d/holders" % sekda_pos, {"json": {}})),
            row("PATCH", "/api/positions/{id}/holders/{id}", "a new appointment's end", 200,
                lambda t: ("/api/positions/%d/holders/%d" % fresh("appointment"), {"json": {"until": "2098-12-31"}}),
                ("/api/positions/%d/holders/1" % sekda_pos, {"json": {}})),
            row("DELETE", "/api/positions/{id}/holders/{id}", "a new appointment", 204,
                lambda t: ("/api/positions/%d/holders/%d" % fresh("appointment"), {}),
                ("/api/positions/%d/holders/1" % sekda_pos, {})),
            row("POST", "/api/classifications", "a new code", 201,
                lambda t: ("/api/classifications", {"json": {"code": "005.%d" % t.unique(), "title": "Uji"}}),
                ("/api/classifications", {"json": {}})),
            row("PATCH", "/api/classifications/{code}", "005, its title as it is", 200,
                lambda t: ("/api/classifications/005", {"json": {"title": "Undangan"}}),
                ("/api/classifications/005", {"json": {}})),
            row("POST", "/api/classifications/import", "005 as it is", 200,
                lambda t: ("/api/classifications/import", {"data": "code;title\n005;Undangan\n",
                                                           "headers": {"Content-Type": "text/csv"}}),
                ("/api/classifications/import", {"data": "x", "headers": {"Content-Type": "text/csv"}})),
        ]

    def created(self, r):
        self.assertIn(r.status, (200, 201), r)
        return r.json["id"]

    def failed_scan(self, name):
        scan = self.scans.get(name, 999999999)
        self.stack.psql("UPDATE ocr_jobs SET status = 'failed', error = 'uji', error_code = 'internal'"
                        " WHERE scan_id = %d" % scan)
        return "/api/scans/%d/ocr/retry" % scan, {}

    def routing_to_complete(self, security):
        lid = self.fresh_letter(security)
        did = self.stack.psql("SELECT id FROM dispositions WHERE letter_id = %d" % lid)
        return "/api/dispositions/%s/complete" % did, {"json": {"report": "Sudah ditindaklanjuti."}}

    def run_case(self, case, user):
        path, kw = case.make(self, user)
        if case.fresh_session and user != ANON:
            session = self.stack.session()
            if case.route != "/api/auth/login":
                self.assertEqual(session.login(user).status, 200)
        else:
            session = self.s(user)
        return session.request(case.method, path, **kw)

    def test_a_every_route_is_in_the_matrix(self):
        routes = {(m, p) for m, p, _ in parse_routes()}
        self.assertGreaterEqual(len(routes), 30, "fcgi/routes.c not understood")
        covered = {(c.method, c.route) for c in self.matrix()}
        self.assertEqual(sorted(routes - covered), [],
                         "routes of fcgi/routes.c without a row in the access matrix of %s" % __file__)
        self.assertEqual(sorted(covered - routes), [], "rows of the matrix for routes fcgi/routes.c does not have")

    def test_b_access_matrix(self):
        wrong = []
        for case in self.matrix():
            for user in EVERYONE:
                r = self.run_case(case, user)
                want = case.statuses[user]
                if r.status != want:
                    wrong.append("%-60s %-12s want %d, got %d %s" % (case, user, want, r.status, r.text[:120]))
                elif want >= 400:
                    code = (r.json or {}).get("error", {}).get("code") if isinstance(r.json, dict) else None
                    expected = {401: ("unauthenticated", "invalid_credentials"), 403: ("forbidden",),
                                404: ("not_found",), 409: ("conflict",)}[want]
                    if code not in expected:
                        wrong.append("%-60s %-12s want %s, got %r" % (case, user, expected, r.text[:120]))
        self.assertEqual(wrong, [], "\n" + "\n".join(wrong))

    # ------------------------------------------------------------ invisible everywhere
    def test_c_confidential_letters_invisible_through_every_view(self):
        ids = {name: self.letters[name]["id"] for name in FIXTURE_LETTERS}
        self.stack.wait_indexed()
        for user in USERS:
            with self.subTest(user=user):
                s = self.s(user)
                want = {ids[n] for n in FIXTURE_LETTERS if user in SEES[n]}
                # The registry list.
                r = s.get("/api/letters?limit=200&sender=" + urllib.parse.quote(self.tag))
                self.assertEqual({i["id"] for i in r.json["items"]}, want, r)
                # Search: results, totals, facets; by words and by number.
                res = s.get("/api/search?limit=100&q=" + self.tag).json
                self.assertEqual({i["letter"]["id"] for i in res["items"]}, want, res)
                self.assertEqual((res["total"], res["total_exact"]), (len(want), True), res)
                self.assertEqual(sum(res["facets"]["year"].values()), len(want), res["facets"])
                self.assertEqual(sum(res["facets"]["classification"].values()), len(want), res["facets"])
                # The spelling suggestion knows no word of a letter one
                # may not see: a near miss of its secret word is no hint.
                res = s.get("/api/search?q=" + self.secret[:-1]).json
                self.assertEqual(res["total"], 0, res)
                self.assertEqual(res["suggestion"], self.secret if user in SEES["hukum_rahasia"] else None, res)
                number = self.letters["hukum_rahasia"]["letter_number"]
                found = s.get("/api/search?number=" + urllib.parse.quote(number)).json
                self.assertEqual(found["total"], 1 if user in SEES["hukum_rahasia"] else 0, found)
                # The inbox: only letters one may see, counts as the items.
                visible = self.visible_ids(user)
                inbox = s.get("/api/inbox?status=all&limit=200").json
                self.assertLessEqual({i["letter"]["id"] for i in inbox["items"]}, visible)
                statuses = [i["disposition"]["status"] for i in inbox["items"]]
                counts = s.get("/api/inbox/counts").json["counts"]
                self.assertEqual((counts["unread"], counts["open"]),
                                 (statuses.count("unread"), statuses.count("unread") + statuses.count("read")))
                self.assertEqual(inbox["counts"], counts)
        # The disposition of a confidential letter is in its recipient's
        # inbox, and a letter routed to no one in nobody's.
        child = self.dispositions["rahasia_child"]
        self.assertIn(child, [i["disposition"]["id"] for i in self.s("asisten1").get("/api/inbox?limit=200").json["items"]])
        self.assertEqual(self.stack.psql("SELECT count(*) FROM dispositions WHERE letter_id = %d" % ids["hukum_rahasia"]),
                         "0")

    def test_c_letter_made_confidential_is_gone_at_once(self):
        """Letter pages are kept for a moment by each worker: a letter made
        rahasia is 404 to an outsider on the very next request, whichever
        worker answers, and so is its scan."""
        word = "safir" + secrets.token_hex(3)
        lid = self.register("umum", subject="Surat %s" % word)["id"]
        scan = self.upload("umum", "/api/letters/%d/scans" % lid)
        self.stack.wait_indexed()
        walikota = self.s("walikota")
        for _ in range(8):  # remembered by both workers (pages, search summaries)
            self.assertEqual(walikota.get("/api/letters/%d" % lid).status, 200)
            self.assertEqual([i["letter"]["id"] for i in walikota.get("/api/search?q=" + word).json["items"]], [lid])
        r = self.s("umum").patch("/api/letters/%d" % lid, json={"security": "rahasia"})
        self.assertEqual(r.status, 200, r)
        for _ in range(8):
            self.assertError(walikota.get("/api/letters/%d" % lid), 404, "not_found")
            self.assertError(walikota.get("/api/scans/%d/file" % scan), 404, "not_found")
            # The index may count it for a moment; it shows it no more.
            self.assertEqual(walikota.get("/api/search?q=" + word).json["items"], [])
        self.stack.wait_indexed()
        self.assertEqual(walikota.get("/api/search?q=" + word).json["total"], 0)
        r = walikota.get("/api/letters?limit=200&sender=Dinas%20Matriks")
        self.assertNotIn(lid, [i["id"] for i in r.json["items"]])
        self.assertEqual(self.s("umum").get("/api/letters/%d" % lid).status, 200)

    def test_c_retention_and_export_withhold_what_one_may_not_see(self):
        everything = "aktif,tanpa_jra,inaktif,musnah,permanen,dinilai_kembali"
        total = self.count("letters")
        for user in ("arsiparis", "admin"):
            with self.subTest(user=user):
                visible = self.visible_ids(user)
                r = self.s(user).get("/api/retention?limit=1000&action=" + everything)
                self.assertEqual(r.status, 200, r)
                self.assertEqual({i["letter"]["id"] for i in r.json["items"]}, visible)
                self.assertEqual(r.json["withheld"], total - len(visible))
                r = self.s(user).get("/api/export?from=%s&to=%s" % (self.today(), self.today()))
                self.assertEqual(r.status, 200, r)
                self.assertEqual(int(r.header("X-Esurat-Withheld")), total - len(visible))
                bag = zipfile.ZipFile(io.BytesIO(r.body))
                exported = {json.loads(bag.read(n))["id"] for n in bag.namelist() if n.endswith("/letter.json")}
                self.assertEqual(exported, visible)
                everything_text = b"".join(bag.read(n) for n in bag.namelist())
                for name in FIXTURE_LETTERS:
                    subject = self.letters[name]["subject"].encode()
                    self.assertEqual(subject in everything_text, self.letters[name]["id"] in visible, name)

    def test_c_tracking_tells_no_content_of_confidential_letters(self):
        for name in ("rahasia", "sangat_rahasia", "hukum_rahasia"):
            letter = self.letters[name]
            r = self.s(ANON).get("/api/track/" + letter["tracking_code"])
            self.assertEqual(r.status, 200, r)
            self.assertEqual(set(r.json), {"tracking_code", "status", "received_at", "updated_at"})
            for secret in (self.tag, "Dinas", "Walikota", "Sekretaris", letter["letter_number"]):
                self.assertNotIn(secret, r.text)

    # ------------------------------------------------------------ CSRF and the cookie
    def test_d_csrf_on_every_state_changing_route(self):
        """Without the header, with a wrong one or with another session's
        token: 403 csrf and nothing changed; with its own: done."""
        changing = sorted({(m, p) for m, p, _ in parse_routes() if m not in ("GET", "HEAD")} -
                          {("POST", "/api/auth/login")})  # no session yet: nothing to forge
        other = self.stack.session()
        self.assertEqual(other.login("admin").status, 200)
        cases = {}
        for case in self.matrix():
            key = (case.method, case.route)
            if key in changing and key not in cases:
                cases[key] = case
        self.assertEqual(sorted(cases), changing)
        for key in changing:
            case = cases[key]
            user = next(u for u in USERS if 200 <= case.statuses[u] < 300)
            with self.subTest(route=key, user=user):
                session = self.stack.session()
                self.assertEqual(session.login(user).status, 200)
                path, kw = case.make(self, user)
                before = self.counts()
                for token in (None, "", "0" * 64, session.csrf_token.upper(), other.csrf_token):
                    headers = dict(kw.get("headers", {}), **{"X-CSRF-Token": token})
                    r = session.request(case.method, path, **dict(kw, headers=headers))
                    self.assertError(r, 403, "csrf")
                self.assertEqual(self.counts(), before)
                r = session.request(case.method, path, **kw)
                self.assertEqual(r.status, case.statuses[user], r)

    def test_e_session_cookie_flags(self):
        s = self.stack.session()
        r = s.login("sekda")
        cookie = [c for c in r.headers.get_all("Set-Cookie") if c.startswith("esurat_session=")]
        self.assertEqual(len(cookie), 1, r.headers)
        attrs = {a.strip().split("=")[0].lower(): a.strip() for a in cookie[0].split(";")[1:]}
        self.assertEqual(set(attrs), {"path", "httponly", "samesite"}, cookie)  # no Secure over plain HTTP
        self.assertEqual((attrs["path"], attrs["samesite"]), ("Path=/", "SameSite=Strict"), cookie)
        # The CSRF token is never a cookie (a script of the page reads it
        # from the answer; another site cannot).
        self.assertFalse([c for c in r.headers.get_all("Set-Cookie") if r.json["csrf_token"] in c])
        r = s.logout()
        self.assertEqual(r.status, 204, r)
        cleared = [c for c in r.headers.get_all("Set-Cookie") if c.startswith("esurat_session=")]
        self.assertEqual(len(cleared), 1, r.headers)
        attrs = [a.strip() for a in cleared[0].split(";")]
        self.assertEqual(attrs[0], "esurat_session=")
        self.assertEqual(sorted(attrs[1:]), sorted(["Path=/", "HttpOnly", "SameSite=Strict", "Max-Age=0"]))

    # ------------------------------------------------------------ sessions
    def test_f_session_fixation(self):
        planted = secrets.token_hex(32)
        victim = self.stack.session()
        victim.set_cookie("esurat_session", planted)
        self.assertError(victim.get("/api/me"), 401, "unauthenticated")
        self.assertEqual(victim.login("umum").status, 200)
        token = victim.cookies["esurat_session"]
        self.assertNotEqual(token, planted)
        self.assertEqual(victim.get("/api/me").json["username"], "umum")
        attacker = self.stack.session()
        attacker.set_cookie("esurat_session", planted)
        self.assertError(attacker.get("/api/me"), 401, "unauthenticated")
        # A live session planted by an attacker (theirs) is ended by the
        # victim's login, not taken over.
        attacker = self.stack.session()
        self.assertEqual(attacker.login("walikota").status, 200)
        victim = self.stack.session()
        victim.set_cookie("esurat_session", attacker.cookies["esurat_session"])
        self.assertEqual(victim.login("umum").status, 200)
        self.assertNotEqual(victim.cookies["esurat_session"], attacker.cookies["esurat_session"])
        self.assertEqual(victim.get("/api/me").json["username"], "umum")
        self.assertError(attacker.get("/api/me"), 401, "unauthenticated")
        # Logout ends the session server-side: its row is gone, the old
        # cookie answers 401 on every worker.
        old = victim.cookies["esurat_session"]
        rows = self.count("sessions")
        self.assertEqual(victim.logout().status, 204)
        self.assertEqual(self.count("sessions"), rows - 1)
        replay = self.stack.session()
        replay.set_cookie("esurat_session", old)
        for _ in range(4):
            self.assertError(replay.get("/api/me"), 401, "unauthenticated")
        # Malformed cookies are no session, never an error.
        for value in ("", "x", old.upper() + "0", old[:-1] + "g", '"%s"' % planted, old + ";" + old):
            replay = self.stack.session()
            replay.set_cookie("esurat_session", value)
            self.assertError(replay.get("/api/me"), 401, "unauthenticated")

    def test_g_login_throttle(self):
        s = self.stack.session()
        # Failures count per name, whatever its case.
        for i, name in enumerate(("Kabag.Hukum", "KABAG.HUKUM", "kabag.hukum")[:MAX_FAILURES]):
            self.assertError(s.login(name, "salah-%d" % i), 401, "invalid_credentials")
        r = s.login("kabag.hukum")
        self.assertError(r, 429, "too_many_requests")
        self.assertTrue(1 <= int(r.header("Retry-After")) <= LOCK_SECONDS, r.headers)
        self.assertNotIn("Set-Cookie", r.headers)
        # Others sign in meanwhile; the locked name's sessions live on.
        self.assertEqual(self.stack.session().login("asisten1").status, 200)
        time.sleep(LOCK_SECONDS + 0.5)
        self.assertEqual(s.login("kabag.hukum").status, 200)
        # A success clears the count: failures before it do not add up.
        for i in range(MAX_FAILURES - 1):
            self.assertError(s.login("kabag.hukum", "salah"), 401, "invalid_credentials")
        self.assertEqual(s.login("kabag.hukum").status, 200)
        for i in range(MAX_FAILURES - 1):
            self.assertError(s.login("kabag.hukum", "salah"), 401, "invalid_credentials")
        self.assertEqual(s.login("kabag.hukum").status, 200)
        # Failures further apart than the window do not add up either.
        for i in range(MAX_FAILURES - 1):
            self.assertError(s.login("kabag.hukum", "salah"), 401, "invalid_credentials")
        time.sleep(LOCK_SECONDS + 0.5)
        self.assertError(s.login("kabag.hukum", "salah"), 401, "invalid_credentials")
        self.assertEqual(s.login("kabag.hukum").status, 200)

    # ------------------------------------------------------------ uploads
    def test_h_upload_type_spoofing(self):
        letter = self.fresh_letter("biasa")
        umum = self.s("umum")
        html = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>\n"
        svg = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>\n'
        refused = [
            ("a PNG declared as PDF", png(seed=1), "application/pdf"),
            ("HTML declared as PNG", html, "image/png"),
            ("HTML declared as PDF", html, "application/pdf"),
            ("SVG declared as PNG", svg, "image/png"),
            ("SVG declared as JPEG", svg, "image/jpeg"),
            ("SVG as itself", svg, "image/svg+xml"),
            ("HTML as itself", html, "text/html"),
            ("a GIF declared as PNG", b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04"
             b"\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;", "image/png"),
            ("HTML with a PNG signature inside", html + png(seed=2), "image/png"),
            ("a PNG signature alone, declared PDF", b"\x89PNG\r\n\x1a\n", "application/pdf"),
        ]
        before = self.counts()
        for label, data, mime in refused:
            with self.subTest(label):
                for path in ("/api/letters/%d/scans" % letter, "/api/scans"):
                    self.assertError(umum.post(path, data=data, headers={"Content-Type": mime}),
                                     415, "unsupported_media_type")
        for path in ("/api/letters/%d/scans" % letter, "/api/scans"):
            self.assertError(umum.post(path, data=b"", headers={"Content-Type": "image/png"}), 400, "empty_body")
        self.assertEqual(self.counts(), before)
        # Polyglots and truncated files that are what they claim to be at
        # their start are kept as that type and never served as anything
        # else: the type stored, nosniff, inline under the scan's own name.
        accepted = [
            ("a PNG with HTML after its end", png(seed=3) + html, "image/png"),
            ("a PDF whose body is HTML", b"%PDF-1.4\n" + html, "application/pdf"),
            ("a JPEG with a zip after it", jpeg(seed=4) + b"PK\x03\x04" + html, "image/jpeg"),
            ("a PNG cut after its header", png(seed=5)[:40], "image/png"),
            ("a PDF cut in half", pdf("Potong")[:200], "application/pdf"),
        ]
        for label, data, mime in accepted:
            with self.subTest(label):
                r = umum.post("/api/letters/%d/scans" % letter, data=data, headers={"Content-Type": mime})
                self.assertIn(r.status, (201, 415), r)
                if r.status == 415:
                    continue
                self.assertEqual(r.json["mime"], mime, r)
                d = self.s("walikota").get("/api/scans/%d/file" % r.json["id"])
                self.assertEqual(d.status, 200, d)
                self.assertEqual(d.body, data)
                self.assertEqual(d.header("Content-Type"), mime)
                self.assertEqual(d.header("X-Content-Type-Options"), "nosniff")
                self.assertRegex(d.header("Content-Disposition"), r'^inline; filename="scan-\d+\.(png|pdf|jpg)"$')
                self.assertIn("script-src 'self'", d.header("Content-Security-Policy"))

    def test_i_path_traversal(self):
        sha = self.stack.psql("SELECT sha256 FROM scans WHERE id = %d" % self.scans["rahasia"])
        biasa, secret = self.letters["biasa"]["id"], self.letters["hukum_rahasia"]["id"]
        # Whatever nginx makes of these (it decodes and resolves dots), the
        # answer is an error, or the portal's page for a path outside /api/:
        # never a file of the store or of the system, never a 5xx.
        paths = [
            "/_scans/%s/%s" % (sha[:2], sha),
            "/%%5Fscans/%s/%s" % (sha[:2], sha),
            "/api/../_scans/%s/%s" % (sha[:2], sha),
            "/api/%%2e%%2e/_scans/%s/%s" % (sha[:2], sha),
            "/api/scans/%d/file/../../../../_scans/%s/%s" % (self.scans["biasa"], sha[:2], sha),
            "/api/letters/../../../../etc/passwd",
            "/api/letters/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
            "/api/letters/..%2f..%2f..%2fetc%2fpasswd",
            "/api/scans/..%2F..%2F..%2Fetc%2Fpasswd/file",
            "/api/scans/%d%%2f..%%2f%d/file" % (self.scans["biasa"], self.scans["rahasia"]),
            "/api/track/..%2f..%2fetc%2fpasswd",
            "/api/letters/%d;/../%d" % (biasa, secret),
            "/api/letters/%d%%00" % biasa,
            "/api/letters/%d/%%2e%%2e/%d" % (biasa, secret),
        ]
        # These reach esurat-fcgi, which knows no such route: 404 in JSON
        # (a path of bytes that are no UTF-8 was a 500).
        unknown = ["/api/%FF%FE", "/api/letters/%C3%28", "/api/track/%F0%9F%98%80", "/api/letters/-1",
                   "/api/letters/0", "/api/letters/0x10", "/api/letters/1e3", "/api/letters/99999999999999999999",
                   "/api/track/%2e%2e"]
        stored = self.s("umum").get("/api/scans/%d/file" % self.scans["rahasia"]).body
        self.assertTrue(stored.startswith(b"\x89PNG"))
        portal = self.s(ANON).get("/").body
        cookie = "esurat_session=" + self.s("walikota").cookies["esurat_session"]
        for path in paths + unknown:
            with self.subTest(path=path):
                status, headers, body = raw_http(self.stack.port, (
                    "GET %s HTTP/1.1\r\nHost: localhost\r\nCookie: %s\r\nConnection: close\r\n\r\n"
                    % (path, cookie)).encode("latin-1"))
                self.assertIn(status, (200, 400, 404), (status, body[:200]))
                self.assertNotIn(b"root:", body)
                self.assertNotIn(b"\x89PNG", body)
                if status == 200:
                    self.assertEqual(body, portal, path)
                if path in unknown:
                    self.assertEqual((status, headers.get("content-type")),
                                     (404, "application/json; charset=utf-8"), body[:200])
                    self.assertEqual(json.loads(body)["error"]["code"], "not_found")
        # A name with a path in it is kept as text only; the file is named
        # by its bytes, the download by the scan.
        letter = self.fresh_letter("biasa")
        for name in ("..%2F..%2F..%2Fetc%2Fpasswd", "%2e%2e%2f%2e%2e%2fx.png", "..\\..\\boot.ini", "/etc/shadow"):
            with self.subTest(name=name):
                r = self.s("umum").post("/api/letters/%d/scans" % letter, data=png(seed=self.unique() % 256, width=50),
                                        headers={"Content-Type": "image/png", "X-File-Name": name})
                self.assertEqual(r.status, 201, r)
                kept = self.stack.psql("SELECT original_name FROM scans WHERE id = %d" % r.json["id"])
                self.assertEqual(kept, urllib.parse.unquote(name))
                d = self.s("umum").get("/api/scans/%d/file" % r.json["id"])
                self.assertEqual(d.header("Content-Disposition"), 'inline; filename="scan-%d.png"' % r.json["id"])
        store = os.path.join(self.stack.data, "scans")
        for root, _dirs, files in os.walk(store):
            for f in files:
                self.assertRegex(os.path.relpath(os.path.join(root, f), store), r"^[0-9a-f]{2}/[0-9a-f]{64}$")
        self.assertFalse(os.path.exists(os.path.join(self.stack.data, "etc")))

    # ------------------------------------------------------------ injection
    def test_j_payloads_in_every_query_parameter_find_nothing(self):
        """Every declared parameter of every route (read from the sources,
        so that a new one is tried too): 200 or 400, never a 5xx, nothing
        matched that the payload would match as SQL, nothing changed."""
        params = declared_params()
        routes = [(p, params[v]) for m, p, v in parse_routes() if v and m == "GET"]
        self.assertGreaterEqual(len(routes), 10, routes)
        statuses = {c.route: c.statuses for c in self.matrix() if c.method == "GET"}
        base = {"/api/export": {"from": self.today(), "to": self.today()},
                "/api/numbering/template-preview": {"template": "{urut}/{unit}"}}
        # Text matched in SQL (and the search's numbers): a payload that
        # would match everything as SQL matches nothing. (The payloads are
        # stored as letters by the next test only.)
        matched = {("/api/letters", "number"), ("/api/letters", "sender"), ("/api/classifications", "prefix"),
                   ("/api/search", "number"), ("/api/users", "q")}
        before = self.counts()
        for path, names in routes:
            user = next(u for u in USERS if statuses[path][u] == 200)
            for name in names:
                for payload in PAYLOADS + ["\u0000"]:
                    with self.subTest(route=path, param=name, payload=payload):
                        query = dict(base.get(path, {}), **{name: payload})
                        r = self.s(user).get(path + "?" + urllib.parse.urlencode(query))
                        if payload == "\u0000":
                            self.assertError(r, 400, "invalid_query")
                            continue
                        self.assertIn(r.status, (200, 400), r)
                        if r.status == 400:
                            self.assertError(r, 400, "invalid_query", name)
                        elif (path, name) in matched:
                            items = r.json if isinstance(r.json, list) else r.json.get("items")
                            self.assertEqual(items, [], r)
        self.assertEqual(self.counts(), before)
        # Path segments: a payload is no id or code.
        for payload in PAYLOADS:
            quoted = urllib.parse.quote(payload, safe="")
            self.assertError(self.s("admin").get("/api/track/" + quoted), 404, "not_found")
            self.assertError(self.s("admin").patch("/api/instructions/" + quoted, json={"label": "x"}), 404)
            self.assertError(self.s("admin").get("/api/letters/" + quoted), 404, "not_found")

    def test_k_payloads_in_every_json_field_are_data(self):
        umum, sekda, admin = self.s("umum"), self.s("sekda"), self.s("admin")
        users_before, positions_before = self.count("users"), self.count("positions")
        text_fields = ["letter_number", "sender", "recipient", "subject", "summary"]
        for payload in PAYLOADS:
            with self.subTest(payload=payload):
                # Registration and correction: stored and returned as they were.
                letters_before = self.count("letters")
                for field in text_fields:
                    r = umum.post("/api/letters", json=self.incoming(**{field: payload}))
                    self.assertEqual(r.status, 201, (field, r))
                    self.assertEqual(r.json[field], payload)
                    self.assertTrue(r.header("Content-Type").startswith("application/json"))
                    got = umum.get("/api/letters/%d" % r.json["id"]).json[field]
                    self.assertEqual(got, payload)
                    self.assertEqual(self.stack.psql("SELECT %s = %s FROM letters WHERE id = %d"
                                                     % (field, sql_literal(payload), r.json["id"])), "t")
                self.assertEqual(self.count("letters"), letters_before + len(text_fields))
                lid = r.json["id"]
                for field in text_fields:
                    r = umum.patch("/api/letters/%d" % lid, json={field: payload + " ralat"})
                    self.assertEqual(r.status, 200, (field, r))
                    self.assertEqual(r.json[field], payload + " ralat")
                # Fields with a form of their own refuse it, naming the field.
                for field in ("direction", "letter_date", "classification", "security", "urgency",
                              "to_position_id", "unit_id"):
                    self.assertError(umum.post("/api/letters", json=self.incoming(**{field: payload})),
                                     400, "invalid_field", field)
                    self.assertError(umum.patch("/api/letters/%d" % lid, json={field: payload}), 400)
                self.assertError(umum.post("/api/letters", json=self.incoming(**{payload: "x"})),
                                 400, "invalid_field", payload)
                self.assertEqual(self.count("letters"), letters_before + len(text_fields))
                # Dispositions: the note and the report are text; the rest refuse.
                lid = self.fresh_letter("biasa")
                r = sekda.post("/api/letters/%d/dispositions" % lid,
                               json={"to": [self.pos["Asisten Pemerintahan"]], "note": payload})
                self.assertEqual(r.status, 201, r)
                self.assertEqual(r.json["items"][0]["note"], payload)
                for field, value in (("to", [payload]), ("to", payload), ("instructions", [payload]),
                                     ("deadline", payload), ("parent_id", payload)):
                    body = {"to": [self.pos["Asisten Pemerintahan"]], field: value}
                    self.assertError(sekda.post("/api/letters/%d/dispositions" % lid, json=body),
                                     400, "invalid_field", field)
                r = self.s("asisten1").post("/api/dispositions/%d/complete" % r.json["items"][0]["id"],
                                            json={"report": payload})
                self.assertEqual(r.status, 200, r)
                self.assertEqual(r.json["report"], payload)
                # Instructions: the label is text, the code has its form.
                code = "uji_%d" % self.unique()
                r = admin.post("/api/instructions", json={"code": code, "label": payload})
                self.assertEqual((r.status, r.json["label"]), (201, payload), r)
                r = admin.patch("/api/instructions/" + code, json={"label": payload + "!"})
                self.assertEqual((r.status, r.json["label"]), (200, payload + "!"), r)
                self.assertError(admin.post("/api/instructions", json={"code": payload, "label": "x"}),
                                 400, "invalid_field", "code")
                # Sign-in: a wrong name and password, nothing else.
                r = self.stack.session().login(payload, payload)
                self.assertError(r, 401, "invalid_credentials")
                # A draft's id is an integer.
                self.assertError(umum.post("/api/letters/%d/scans" % lid, json={"scan_id": payload}),
                                 400, "invalid_field", "scan_id")
                # The file name header: kept as text.
                r = umum.post("/api/letters/%d/scans" % lid, data=png(seed=self.unique() % 256, width=60),
                              headers={"Content-Type": "image/png", "X-File-Name": urllib.parse.quote(payload)})
                self.assertEqual(r.status, 201, r)
                names = [sc["original_name"] for sc in umum.get("/api/letters/%d" % lid).json["scans"]]
                self.assertIn(payload, names)
        # The administrator's text fields, the classification table's CSV
        # (quoted as a spreadsheet writes it) too.
        hukum_unit = int(self.stack.psql("SELECT id FROM units WHERE code = 'Hukum'"))
        table = io.StringIO()
        writer = csv.writer(table, delimiter=";", lineterminator="\n")
        writer.writerow(["code", "title"])
        codes = {}
        for payload in PAYLOADS:
            with self.subTest(payload=payload, api="admin"):
                n = self.unique()
                for path, body, field in (
                    ("/api/users", {"username": "muat.%d" % n, "name": payload, "password": "kata-sandi-uji"}, "name"),
                    ("/api/units", {"code": "Muat%d" % n, "name": payload}, "name"),
                    ("/api/positions", {"title": payload, "unit_id": hukum_unit}, "title"),
                    ("/api/classifications", {"code": "009.%d" % n, "title": payload}, "title"),
                ):
                    r = admin.post(path, json=body)
                    self.assertEqual((r.status, r.json[field]), (201, payload), r)
                for path, body, field in (
                    ("/api/users", {"username": payload, "name": "x", "password": "kata-sandi-uji"}, "username"),
                    ("/api/units", {"code": payload, "name": "x"}, "code"),
                    ("/api/units", {"code": "Muat%da" % n, "name": "x", "number_template": payload},
                     "number_template"),
                    ("/api/classifications", {"code": payload, "title": "x"}, "code"),
                ):
                    self.assertError(admin.post(path, json=body), 400, "invalid_field", field)
                codes["008.%d" % n] = payload
                writer.writerow(["008.%d" % n, payload])
        r = admin.post("/api/classifications/import", data=table.getvalue().encode(),
                       headers={"Content-Type": "text/csv"})
        self.assertEqual(r.status, 200, r)
        listed = {c["code"]: c["title"] for c in admin.get("/api/classifications?prefix=008.").json}
        self.assertEqual({c: listed.get(c) for c in codes}, codes)
        # Where the payloads come out again: search snippets are HTML
        # with nothing but <mark> in them; the export's register is CSV
        # that reads back as they were.
        self.stack.wait_indexed()
        for word in ("alert", "onerror", "DROP", "UNION"):
            res = admin.get("/api/search?limit=100&q=" + word).json
            self.assertTrue(res["items"], word)
            for item in res["items"]:
                self.assertNotIn("<", item["snippet"].replace("<mark>", "").replace("</mark>", ""), item)
        r = admin.get("/api/export?from=%s&to=%s" % (self.today(), self.today()))
        self.assertEqual(r.status, 200, r)
        bag = zipfile.ZipFile(io.BytesIO(r.body))
        register = next(n for n in bag.namelist() if n.endswith("/data/register.csv"))
        rows = list(csv.DictReader(io.StringIO(bag.read(register).decode("utf-8-sig"), newline="")))
        for field in ("letter_number", "sender", "recipient", "subject"):
            self.assertLessEqual(set(PAYLOADS), {row[field] for row in rows}, field)
        # NUL, in any field, is refused with the body.
        for field in text_fields:
            r = umum.post("/api/letters", json=self.incoming(**{field: "a\u0000b"}))  # sent as \u0000
            self.assertError(r, 400, "invalid_json")
        # One user and one position per payload, the administrator's; no other.
        self.assertEqual((self.count("users"), self.count("positions")),
                         (users_before + len(PAYLOADS), positions_before + len(PAYLOADS)))
        # Tables still there, data intact.
        self.assertEqual(self.stack.psql("SELECT count(*) FROM letters WHERE id = %d" % self.letters["biasa"]["id"]),
                         "1")
        self.assertEqual(self.s("admin").get("/api/me").status, 200)

    # ------------------------------------------------------------ last
    def test_z_no_server_errors(self):
        self.assertEqual(self.stack.server_errors(), [])
        self.assertIn("/api/letters/", self.stack.log("nginx-access"))
        p = self.stack.cli("audit", "verify")
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)


def sql_literal(text):
    """text as a PostgreSQL literal (E'' with escapes)."""
    return "E'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


if __name__ == "__main__":
    unittest.main(verbosity=2)
