"""The registry over the real nginx, esurat-fcgi and PostgreSQL: incoming
and outgoing registration, gap-free numbers under concurrency and after a
failed registration, numbers on both sides of a new year (ESURAT_TEST_NOW),
the confidentiality matrix, the registry list (filters, keyset pages),
corrections and their history, public tracking, field validation, and the
audit chain (intact, then tampered with)."""

import datetime
import os
import re
import sys
import threading
import time
import unittest
import zoneinfo

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Stack  # noqa: E402

JAKARTA = zoneinfo.ZoneInfo("Asia/Jakarta")
TRACKING_RE = re.compile(r"^[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{10,}$")
LETTER_FIELDS = {
    "id", "direction", "agenda_number", "agenda_year", "letter_number", "letter_date", "received_at",
    "sender", "recipient", "subject", "summary", "classification", "security", "urgency", "status",
    "tracking_code", "unit", "created_at", "updated_at",
}
OUTSIDERS = ["walikota", "asisten1", "kabag.hukum", "arsiparis"]
INSIDERS = ["umum", "sekda", "admin"]
# The User-Agent of a request whose failure a test provokes on purpose.
PROVOKED = "test-provoked-failure"


def setup_reference_data(stack):
    """Classification 005 (undangan, an older code the tests number with)
    and the ids of the demo positions by title."""
    stack.psql(
        "INSERT INTO classifications (code, title, parent_code) VALUES ('005', 'Undangan', '000')"
        " ON CONFLICT DO NOTHING"
    )
    rows = stack.psql("SELECT title || '|' || id FROM positions")
    return dict(line.split("|") for line in rows.splitlines())


class LettersCase(unittest.TestCase):
    maxDiff = None
    counter = 0
    counter_lock = threading.Lock()

    @classmethod
    def unique(cls, prefix):
        with cls.counter_lock:
            cls.counter += 1
            return "%s-%d-%d" % (prefix, os.getpid(), cls.counter)

    def login(self, username):
        s = self.stack.session()
        r = s.login(username)
        self.assertEqual(r.status, 200, "login as %s: %r" % (username, r))
        return s

    def assertError(self, r, status, code, field=None):
        self.assertEqual(r.status, status, r)
        self.assertIsInstance(r.json, dict, r)
        err = r.json.get("error")
        self.assertIsInstance(err, dict, r)
        self.assertEqual(err.get("code"), code, r)
        self.assertTrue(err.get("message"), r)
        if field is not None:
            self.assertEqual(err.get("field"), field, r)

    def incoming(self, **kw):
        body = {
            "direction": "in",
            "letter_number": self.unique("005/123/Disdik/2015"),
            "letter_date": "2015-01-20",
            "sender": "Dinas Pendidikan",
            "recipient": "Walikota Pekanbaru",
            "subject": "Undangan Rapat Koordinasi",
            "summary": "Rapat koordinasi penerimaan siswa baru.",
            "classification": "005",
            "security": "biasa",
            "urgency": "segera",
        }
        body.update(kw)
        return {k: v for k, v in body.items() if v is not ...}

    def register(self, session, body, status=201):
        r = session.post("/api/letters", json=body)
        self.assertEqual(r.status, status, r)
        return r.json


class LettersTest(LettersCase):
    @classmethod
    def setUpClass(cls):
        cls.stack = Stack(env={"ESURAT_TRACK_BURST": "100"})
        cls.addClassCleanup(cls.stack.stop)
        cls.positions = setup_reference_data(cls.stack)
        cls.sekda_pos = int(cls.positions["Sekretaris Daerah"])
        cls.walikota_pos = int(cls.positions["Walikota Pekanbaru"])
        cls.hukum_pos = int(cls.positions["Kepala Bagian Hukum"])
        cls.sessions = {}

    def s(self, username):
        if username not in self.sessions:
            self.sessions[username] = self.login(username)
        return self.sessions[username]

    # ------------------------------------------------------------ registration
    def test_register_incoming(self):
        umum = self.s("umum")
        body = self.incoming(to_position_id=self.walikota_pos, subject="  Undangan Rapat  ")
        letter = self.register(umum, body)
        self.assertTrue(LETTER_FIELDS <= set(letter), sorted(letter))
        self.assertEqual(letter["direction"], "in")
        self.assertEqual(letter["subject"], "Undangan Rapat")  # trimmed
        self.assertEqual(letter["letter_number"], body["letter_number"])
        self.assertEqual(letter["letter_date"], "2015-01-20")
        self.assertEqual(letter["unit"]["code"], "Umum")
        self.assertEqual(letter["status"], "didisposisi")
        self.assertEqual(letter["agenda_year"], datetime.datetime.now(JAKARTA).year)
        self.assertGreaterEqual(letter["agenda_number"], 1)
        self.assertRegex(letter["tracking_code"], TRACKING_RE)
        self.assertRegex(letter["received_at"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?\+07:00$")
        lid = letter["id"]
        self.assertEqual(
            self.stack.psql("SELECT count(*) FROM audit_log WHERE action = 'letter.register' AND object_id = '%d'" % lid),
            "1",
        )
        self.assertEqual(self.stack.psql("SELECT count(*) FROM index_outbox WHERE letter_id = %d" % lid), "1")
        self.assertEqual(
            self.stack.psql(
                "SELECT to_position_id || ',' || coalesce(from_position_id::text, '-') FROM dispositions"
                " WHERE letter_id = %d" % lid
            ),
            "%d,-" % self.walikota_pos,
        )
        # Without routing the letter stays 'baru'.
        plain = self.register(umum, self.incoming())
        self.assertEqual(plain["status"], "baru")
        self.assertEqual(plain["agenda_number"], letter["agenda_number"] + 1)
        self.assertNotEqual(plain["tracking_code"], letter["tracking_code"])
        # Read back: the same letter with scans, dispositions, history.
        r = umum.get("/api/letters/%d" % lid)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json["subject"], "Undangan Rapat")
        # The registration's reply (made by esurat-fcgi) is the letter as
        # the server shows it, field for field.
        self.assertEqual({k: r.json.get(k) for k in letter}, letter)
        self.assertEqual(r.json["scans"], [])
        self.assertEqual(len(r.json["dispositions"]), 1)
        d = r.json["dispositions"][0]
        self.assertEqual(d["to_position"]["id"], self.walikota_pos)
        self.assertIsNone(d["from_position"])
        self.assertEqual(d["status"], "unread")
        self.assertEqual([h["action"] for h in r.json["history"]], ["letter.register"])
        self.assertTrue(r.json["history"][0]["user"]["name"])

    def test_roles_for_registration(self):
        # An official registers outgoing letters, not incoming ones.
        self.assertError(self.s("sekda").post("/api/letters", json=self.incoming()), 403, "forbidden")
        # An archivist neither.
        self.assertError(self.s("arsiparis").post("/api/letters", json=self.incoming()), 403, "forbidden")
        # Admin holds no position: no registering unit.
        self.assertError(self.s("admin").post("/api/letters", json=self.incoming()), 403, "forbidden")
        # An official may not register for a unit that is not theirs.
        umum_unit = self.stack.psql("SELECT id FROM units WHERE code = 'Umum'")
        r = self.s("walikota").post(
            "/api/letters", json=self.incoming(direction="out", letter_number=..., unit_id=int(umum_unit))
        )
        self.assertError(r, 403, "forbidden", "unit_id")
        # Routing an incoming letter past the leaders is refused.
        r = self.s("umum").post("/api/letters", json=self.incoming(to_position_id=self.hukum_pos))
        self.assertError(r, 403, "forbidden", "to_position_id")
        # Without CSRF token: 403 before anything happens.
        r = self.s("umum").post("/api/letters", json=self.incoming(), csrf=False)
        self.assertError(r, 403, "csrf")

    def test_64_parallel_registrations_get_consecutive_numbers(self):
        umum = self.s("umum")
        first = self.register(umum, self.incoming())["agenda_number"]
        n = 64
        barrier = threading.Barrier(n)
        results = [None] * n

        def one(i):
            body = self.incoming(subject="Paralel %d" % i)
            barrier.wait()
            try:
                results[i] = umum.post("/api/letters", json=body, timeout=60)
            except Exception as e:  # noqa: BLE001
                results[i] = e

        threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        for r in results:
            self.assertNotIsInstance(r, Exception, r)
            self.assertEqual(r.status, 201, r)
        numbers = sorted(r.json["agenda_number"] for r in results)
        self.assertEqual(numbers, list(range(first + 1, first + n + 1)))
        self.assertEqual(len({r.json["tracking_code"] for r in results}), n)

    def test_failed_registration_gives_its_number_back(self):
        umum = self.s("umum")
        body = self.incoming()
        a = self.register(umum, body)
        # The same sender's number again: refused (409), and the next letter
        # gets the next number.
        r = umum.post("/api/letters", json=dict(body, subject="Lagi"))
        self.assertError(r, 409, "conflict", "letter_number")
        self.assertIn(body["letter_number"], r.json["error"]["message"])
        b = self.register(umum, self.incoming())
        self.assertEqual(b["agenda_number"], a["agenda_number"] + 1)
        # A failure at COMMIT, after the deferred trigger took the number and
        # wrote the audit row (a deferred trigger of the test's, named to
        # fire after it, failing as a server that shuts down would): the
        # registration fails whole (503), and the number, the letter and its
        # audit row are given back.
        self.stack.psql(
            "CREATE FUNCTION test_fail_at_commit() RETURNS trigger LANGUAGE plpgsql AS $$"
            " BEGIN IF (SELECT agenda_number FROM letters WHERE id = NEW.id) IS NOT NULL THEN"
            " RAISE EXCEPTION 'test: failing after the number was taken' USING ERRCODE = 'admin_shutdown'; END IF; RETURN NULL; END $$;"
            " CREATE CONSTRAINT TRIGGER letters_zz_test_fail AFTER INSERT ON letters"
            " DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (NEW.subject = 'Gagal di akhir')"
            " EXECUTE FUNCTION test_fail_at_commit()"
        )
        try:
            audit_rows = self.stack.psql("SELECT count(*) FROM audit_log")
            r = umum.post("/api/letters", json=self.incoming(subject="Gagal di akhir"),
                          headers={"User-Agent": PROVOKED})
            self.assertError(r, 503, "database_unavailable")
            self.assertEqual(self.stack.psql("SELECT count(*) FROM letters WHERE subject = 'Gagal di akhir'"), "0")
            self.assertEqual(self.stack.psql("SELECT count(*) FROM audit_log"), audit_rows)
        finally:
            self.stack.psql("DROP TRIGGER letters_zz_test_fail ON letters; DROP FUNCTION test_fail_at_commit()")
        b2 = self.register(umum, self.incoming())
        self.assertEqual(b2["agenda_number"], b["agenda_number"] + 1)
        b = b2
        # The same number from another sender is a different letter.
        c = self.register(umum, dict(body, sender="Dinas Kesehatan"))
        self.assertEqual(c["agenda_number"], b["agenda_number"] + 1)
        # No gap anywhere in this unit's book for this year.
        gaps = self.stack.psql(
            "SELECT count(*) FROM generate_series(1, (SELECT max(agenda_number) FROM letters l JOIN units u"
            " ON u.id = l.unit_id WHERE u.code = 'Umum' AND direction = 'in' AND agenda_year = %d)) g"
            " WHERE NOT EXISTS (SELECT 1 FROM letters l JOIN units u ON u.id = l.unit_id WHERE u.code = 'Umum'"
            " AND direction = 'in' AND agenda_year = %d AND agenda_number = g)" % ((a["agenda_year"],) * 2)
        )
        self.assertEqual(gaps, "0")

    def test_agenda_book_holds_every_number_once(self):
        """The agenda book (sql/016) keeps each given number once: the
        registrations enter theirs, a letter inserted with a number already
        given is refused, and a given number does not change."""
        umum = self.s("umum")
        a = self.register(umum, self.incoming())
        out = self.register(umum, self.incoming(direction="out", letter_number=..., sender=...))
        for letter in (a, out):
            self.assertEqual(
                self.stack.psql("SELECT b.letter_id FROM agenda_book b JOIN units u ON u.id = b.unit_id"
                                " WHERE u.code = 'Umum' AND b.direction = '%s' AND b.year = %d AND b.number = %d"
                                % (letter["direction"], letter["agenda_year"], letter["agenda_number"])),
                str(letter["id"]), letter)

        def psql_fails(sql):
            p = self.stack.stack("psql", "-At", "-c", sql, check=False)
            self.assertNotEqual(p.returncode, 0, "accepted: %s" % sql)
            return p.stderr

        err = psql_fails(
            "INSERT INTO letters (direction, unit_id, agenda_number, agenda_year, letter_number, received_at,"
            " sender, recipient, subject, created_by)"
            " SELECT 'in', unit_id, agenda_number, agenda_year, 'DUP/' || id, now(), 'Pengirim lain', recipient,"
            " subject, created_by FROM letters WHERE id = %d" % a["id"])
        self.assertIn("agenda_book_pkey", err)
        err = psql_fails("UPDATE letters SET agenda_number = agenda_number + 1000 WHERE id = %d" % a["id"])
        self.assertIn("does not change", err)
        # A blank sender breaks the column's rule (a domain) as it broke the
        # CHECK before it.
        err = psql_fails("UPDATE letters SET sender = '  ' WHERE id = %d" % a["id"])
        self.assertIn("nonblank_text", err)
        self.assertEqual(self.stack.psql("SELECT agenda_number || ' ' || sender FROM letters WHERE id = %d" % a["id"]),
                         "%d %s" % (a["agenda_number"], a["sender"]))

    def test_outgoing_numbers_and_preview(self):
        umum = self.s("umum")
        year = datetime.datetime.now(JAKARTA).year
        p1 = umum.get("/api/numbering/preview?classification=005")
        self.assertEqual(p1.status, 200, p1)
        p2 = umum.get("/api/numbering/preview?classification=005")
        self.assertEqual(p1.json, p2.json)  # a preview takes nothing
        seq = p1.json["sequence"]
        self.assertEqual(p1.json["letter_number"], "005/%d/Umum/%d" % (seq, year))
        out = self.register(
            umum, self.incoming(direction="out", letter_number=..., sender=..., recipient="Camat Sukajadi")
        )
        self.assertEqual(out["letter_number"], p1.json["letter_number"])
        self.assertEqual(out["agenda_number"], seq)
        self.assertEqual(out["sender"], "Bagian Umum")  # the unit, by default
        self.assertIsNone(out["tracking_code"])
        self.assertIsNone(out["received_at"])
        shown = umum.get("/api/letters/%d" % out["id"])
        self.assertEqual({k: shown.json.get(k) for k in out}, out)
        nxt = self.register(umum, self.incoming(direction="out", letter_number=..., classification="000"))
        self.assertEqual(nxt["letter_number"], "000/%d/Umum/%d" % (seq + 1, year))
        # The default template needs a classification.
        r = umum.post("/api/letters", json=self.incoming(direction="out", letter_number=..., classification=...))
        self.assertError(r, 400, "invalid_field", "classification")
        r = umum.get("/api/numbering/preview")
        self.assertError(r, 400, "invalid_query", "classification")
        # A unit's own template, every placeholder; an official registers.
        hukum = self.stack.psql("SELECT id FROM units WHERE code = 'Hukum'")
        self.stack.psql(
            "INSERT INTO number_templates (unit_id, template) VALUES (%s,"
            " '{sifat}-{urut}/{klasifikasi}/{unit}/{bulan}/{bulan_romawi}/{tahun}')" % hukum
        )
        kabag = self.s("kabag.hukum")
        now = datetime.datetime.now(JAKARTA)
        roman = ["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII"][now.month - 1]
        p = kabag.get("/api/numbering/preview?classification=005&security=rahasia")
        self.assertEqual(p.status, 200, p)
        self.assertEqual(p.json["letter_number"], "R-1/005/Hukum/%02d/%s/%d" % (now.month, roman, now.year))
        o = self.register(kabag, self.incoming(direction="out", letter_number=..., security="sangat_rahasia"))
        self.assertEqual(o["letter_number"], "SR-1/005/Hukum/%02d/%s/%d" % (now.month, roman, now.year))
        # An official may not register incoming letters, nor preview another unit.
        r = kabag.get("/api/numbering/preview?classification=005&unit_id=%s"
                      % self.stack.psql("SELECT id FROM units WHERE code = 'Umum'"))
        self.assertError(r, 403, "forbidden", "unit_id")
        self.assertError(self.s("arsiparis").get("/api/numbering/preview?classification=005"), 403, "forbidden")
        for bad, field in [("classification=abc", "classification"), ("security=x", "security"),
                           ("unit_id=0", "unit_id"), ("classification=999", "classification")]:
            self.assertError(umum.get("/api/numbering/preview?" + bad), 400, "invalid_query", field)

    def test_broken_template_is_a_clear_error(self):
        # A template made unusable behind the API's back (a stray brace).
        aspem = self.stack.psql("SELECT id FROM units WHERE code = 'AsPem'")
        self.stack.psql("INSERT INTO number_templates (unit_id, template) VALUES (%s, '{urut}/{tahun')" % aspem)
        r = self.s("asisten1").post("/api/letters", json=self.incoming(direction="out", letter_number=...))
        self.assertError(r, 409, "conflict")
        self.assertIn("AsPem", r.json["error"]["message"])
        r = self.s("asisten1").get("/api/numbering/preview?classification=005")
        self.assertError(r, 409, "conflict")
        # Nothing was taken: the counter row was rolled back with the rest.
        self.assertEqual(
            self.stack.psql("SELECT count(*) FROM number_counters WHERE unit_id = %s" % aspem), "0"
        )

    # ------------------------------------------------------------ validation
    def test_every_validation_error_is_400_with_the_field(self):
        umum = self.s("umum")
        cases = [
            ({"direction": ...}, "direction"),
            ({"direction": "sideways"}, "direction"),
            ({"direction": 1}, "direction"),
            ({"letter_date": "2015-02-30"}, "letter_date"),
            ({"letter_date": "2015-2-3"}, "letter_date"),
            ({"letter_date": "20-01-2015"}, "letter_date"),
            ({"letter_date": 20150120}, "letter_date"),
            ({"letter_date": "1899-12-31"}, "letter_date"),
            ({"sender": ...}, "sender"),
            ({"sender": "   "}, "sender"),
            ({"sender": "x" * 301}, "sender"),
            ({"sender": ["Dinas"]}, "sender"),
            ({"recipient": ...}, "recipient"),
            ({"subject": ...}, "subject"),
            ({"subject": ""}, "subject"),
            ({"subject": "Rapat\x1b[31m"}, "subject"),
            ({"subject": "é" * 501}, "subject"),
            ({"summary": "x" * 5001}, "summary"),
            ({"summary": 5}, "summary"),
            ({"letter_number": "x" * 101}, "letter_number"),
            ({"classification": "abc"}, "classification"),
            ({"classification": "05"}, "classification"),
            ({"classification": "999"}, "classification"),  # well-formed, does not exist
            ({"security": "geheim"}, "security"),
            ({"urgency": "kilat"}, "urgency"),
            ({"to_position_id": "abc"}, "to_position_id"),
            ({"to_position_id": -1}, "to_position_id"),
            ({"to_position_id": 0}, "to_position_id"),
            ({"to_position_id": 1.5}, "to_position_id"),
            ({"to_position_id": 999999}, "to_position_id"),  # does not exist
            ({"unit_id": "x"}, "unit_id"),
            ({"colour": "red"}, "colour"),
            ({"direction": "out"}, "letter_number"),  # outgoing numbers are the registry's
        ]
        for change, field in cases:
            with self.subTest(change=str(change)[:60]):
                r = umum.post("/api/letters", json=self.incoming(**change))
                self.assertError(r, 400, "invalid_field", field)
        r = umum.post("/api/letters", data="[1, 2]")
        self.assertError(r, 400, "invalid_json")
        r = umum.post("/api/letters", data='{"direction": "in",')
        self.assertError(r, 400, "invalid_json")
        r = umum.post("/api/letters", data="direction=in", headers={"Content-Type": "text/plain"})
        self.assertError(r, 415, "unsupported_media_type")

    def test_list_query_validation(self):
        arsiparis = self.s("arsiparis")
        for query, field in [
            ("direction=x", "direction"),
            ("status=open", "status"),
            ("from=2015-13-01", "from"),
            ("to=yesterday", "to"),
            ("from=2015-02-01&to=2015-01-01", "to"),
            ("limit=0", "limit"),
            ("limit=201", "limit"),
            ("limit=-5", "limit"),
            ("limit=ten", "limit"),
            ("cursor=garbage", "cursor"),
            ("cursor=1.0", "cursor"),
            ("cursor=.5", "cursor"),
            ("cursor=12345678901234567890.5", "cursor"),
            ("classification=abc", "classification"),
            ("number=" + "x" * 101, "number"),
        ]:
            with self.subTest(query=query):
                self.assertError(arsiparis.get("/api/letters?" + query), 400, "invalid_query", field)

    # ------------------------------------------------------------ the list
    def list_all(self, session, query="", limit=200):
        """Every page of GET /api/letters; the ids in order."""
        ids, cursor, pages = [], None, 0
        while True:
            q = "limit=%d%s%s" % (limit, "&" + query if query else "", "&cursor=" + cursor if cursor else "")
            r = session.get("/api/letters?" + q)
            self.assertEqual(r.status, 200, r)
            self.assertEqual(set(r.json), {"items", "next_cursor"}, r)
            ids += [item["id"] for item in r.json["items"]]
            cursor = r.json["next_cursor"]
            pages += 1
            self.assertLess(pages, 1000)
            if cursor is None:
                return ids

    def test_list_filters_and_pages(self):
        umum = self.s("umum")
        tag = self.unique("Filter")
        made = []
        for i, (number, sender) in enumerate(
            [("100/%s/A" % tag, "Dinas Pendidikan"), ("50%%_%s" % tag, "Badan Pendapatan Daerah"),
             ("50xx%s" % tag, "Dinas Pendidikan"), ("7/%s/Hukum" % tag, "Kecamatan Sukajadi")]
        ):
            made.append(self.register(umum, self.incoming(letter_number=number, sender=sender,
                                                          classification="005" if i % 2 else "100")))
        ids = [m["id"] for m in made]

        def q(query):
            r = umum.get("/api/letters?limit=200&" + query)
            self.assertEqual(r.status, 200, r)
            return [item["id"] for item in r.json["items"]]

        self.assertEqual(q("number=" + tag), ids[::-1])  # newest first
        self.assertEqual(q("number=100/" + tag + "/A"), [ids[0]])  # the whole number
        self.assertEqual(q("number=" + tag + "/hukum"), [ids[3]])  # a part, any case
        # % and _ are the user's characters, not wildcards.
        self.assertEqual(q("number=50%25_" + tag), [ids[1]])
        self.assertEqual(q("number=50__" + tag), [])
        self.assertEqual(set(q("number=%s&sender=pendidikan" % tag)), {ids[0], ids[2]})
        self.assertEqual(set(q("number=%s&classification=00" % tag)), {ids[1], ids[3]})
        self.assertEqual(set(q("number=%s&classification=1" % tag)), {ids[0], ids[2]})
        self.assertEqual(q("number=%s&direction=out" % tag), [])
        self.assertEqual(q("number=%s&status=didisposisi" % tag), [])
        self.assertEqual(len(q("number=%s&status=baru" % tag)), 4)
        today = datetime.datetime.now(JAKARTA).date()
        day = datetime.timedelta(days=1)
        self.assertEqual(len(q("number=%s&from=%s&to=%s" % (tag, today, today))), 4)
        self.assertEqual(q("number=%s&from=%s" % (tag, today + day)), [])
        self.assertEqual(q("number=%s&to=%s" % (tag, today - day)), [])
        # Pages of 3 give the same letters as one page, each once.
        everything = self.list_all(umum)
        self.assertEqual(self.list_all(umum, limit=3), everything)
        self.assertEqual(len(everything), len(set(everything)))
        r = umum.get("/api/letters")
        self.assertLessEqual(len(r.json["items"]), 50)

    # ------------------------------------------------------------ corrections
    def test_patch_corrects_and_shows_in_history(self):
        umum = self.s("umum")
        letter = self.register(umum, self.incoming())
        path = "/api/letters/%d" % letter["id"]
        r = umum.patch(path, json={"subject": "Undangan Rapat Koordinasi PPDB", "summary": None,
                                   "urgency": "sangat_segera", "letter_date": "2015-01-21"})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json["subject"], "Undangan Rapat Koordinasi PPDB")
        self.assertIsNone(r.json["summary"])
        self.assertEqual(r.json["urgency"], "sangat_segera")
        self.assertEqual(r.json["letter_date"], "2015-01-21")
        self.assertEqual(r.json["agenda_number"], letter["agenda_number"])
        history = umum.get(path).json["history"]
        self.assertEqual([h["action"] for h in history], ["letter.register", "letter.update"])
        changes = history[1]["detail"]["changes"]
        self.assertEqual(changes["subject"], {"old": "Undangan Rapat Koordinasi", "new": "Undangan Rapat Koordinasi PPDB"})
        self.assertEqual(changes["letter_date"], {"old": "2015-01-20", "new": "2015-01-21"})
        self.assertEqual(changes["summary"]["new"], None)
        self.assertEqual(history[1]["detail"]["letter_id"], letter["id"])
        self.assertTrue(history[1]["user"]["name"])
        self.assertEqual(self.stack.psql("SELECT count(*) FROM index_outbox WHERE letter_id = %d" % letter["id"]), "2")
        # The same values again change nothing and add no history.
        r = umum.patch(path, json={"subject": "Undangan Rapat Koordinasi PPDB"})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(len(umum.get(path).json["history"]), 2)
        # An admin may correct; an official who sees the letter may not.
        r = self.s("admin").patch(path, json={"recipient": "Sekretaris Daerah"})
        self.assertEqual(r.status, 200, r)
        self.assertError(self.s("sekda").patch(path, json={"subject": "X"}), 403, "forbidden")
        # Bad corrections.
        for body, field in [({"agenda_number": 5}, "agenda_number"), ({"status": "selesai"}, "status"),
                            ({"sender": ""}, "sender"), ({"sender": None}, "sender"),
                            ({"security": "geheim"}, "security"), ({"letter_date": "2015-02-29"}, "letter_date"),
                            ({"classification": "999"}, "classification"), ({"subject": "a\tb"}, "subject")]:
            with self.subTest(body=body):
                self.assertError(umum.patch(path, json=body), 400, "invalid_field", field)
        self.assertError(umum.patch(path, json={}), 400, "invalid_json")
        # Another letter's (sender, number): 409.
        other = self.register(umum, self.incoming())
        r = umum.patch(path, json={"letter_number": other["letter_number"]})
        self.assertError(r, 409, "conflict", "letter_number")
        # An outgoing letter's number is not corrected by hand.
        out = self.register(umum, self.incoming(direction="out", letter_number=...))
        r = umum.patch("/api/letters/%d" % out["id"], json={"letter_number": "1/2/3"})
        self.assertError(r, 400, "invalid_field", "letter_number")
        self.assertError(umum.patch("/api/letters/99999999", json={"subject": "X"}), 404, "not_found")

    # ------------------------------------------------------------ confidentiality
    def test_confidential_letter_matrix(self):
        umum = self.s("umum")
        tag = self.unique("RHS")
        letter = self.register(umum, self.incoming(letter_number=tag, security="rahasia",
                                                   to_position_id=self.sekda_pos,
                                                   subject="Rahasia %s" % tag))
        path = "/api/letters/%d" % letter["id"]
        missing = umum.get("/api/letters/99999999")
        self.assertError(missing, 404, "not_found")
        views_before = int(self.stack.psql(
            "SELECT count(*) FROM audit_log WHERE action = 'letter.view' AND object_id = '%d'" % letter["id"]))
        for user in INSIDERS:
            with self.subTest(user=user):
                s = self.s(user)
                r = s.get(path)
                self.assertEqual(r.status, 200, r)
                self.assertEqual(r.json["subject"], "Rahasia %s" % tag)
                self.assertIn(letter["id"], self.list_all(s))
                r = s.get("/api/letters?number=" + tag)
                self.assertEqual([i["id"] for i in r.json["items"]], [letter["id"]])
        # Each reading is in the audit log.
        self.assertEqual(int(self.stack.psql(
            "SELECT count(*) FROM audit_log WHERE action = 'letter.view' AND object_id = '%d'" % letter["id"])),
            views_before + len(INSIDERS))
        for user in OUTSIDERS:
            with self.subTest(user=user):
                s = self.s(user)
                r = s.get(path)
                self.assertEqual((r.status, r.json), (missing.status, missing.json))
                r = s.patch(path, json={"subject": "X"})
                self.assertEqual((r.status, r.json), (missing.status, missing.json))
                r = s.patch("/api/letters/99999999", json={"subject": "X"})
                self.assertEqual((r.status, r.json), (missing.status, missing.json))
                self.assertNotIn(letter["id"], self.list_all(s))
                r = s.get("/api/letters?number=" + tag)
                self.assertEqual(r.json, {"items": [], "next_cursor": None})
                r = s.get("/api/letters?sender=Dinas&limit=200")
                self.assertNotIn(tag, r.text)
        # Unchanged by the outsiders' attempts.
        self.assertEqual(umum.get(path).json["subject"], "Rahasia %s" % tag)

    # ------------------------------------------------------------ tracking
    def test_tracking_tells_nothing_of_the_content(self):
        umum = self.s("umum")
        tag = self.unique("TRK")
        letter = self.register(umum, self.incoming(letter_number="900/%s" % tag, sender="Sender %s" % tag,
                                                   subject="Subject %s" % tag, to_position_id=self.sekda_pos))
        anon = self.stack.session()
        r = anon.get("/api/track/" + letter["tracking_code"])
        self.assertEqual(r.status, 200, r)
        self.assertEqual(set(r.json), {"tracking_code", "status", "received_at", "updated_at"})
        self.assertEqual(r.json["status"], "didisposisi")
        self.assertEqual(r.json["tracking_code"], letter["tracking_code"])
        for secret in (tag, "Dinas", "Walikota", "Sender", "Subject"):
            self.assertNotIn(secret, r.text)
        self.assertEqual(anon.get("/api/track/" + letter["tracking_code"].lower()).json, r.json)
        self.assertError(anon.get("/api/track/ZZZZZZZZZZZZ"), 404, "not_found")
        self.assertError(anon.get("/api/track/abc"), 404, "not_found")
        self.assertError(anon.get("/api/track/" + "A" * 60), 404, "not_found")
        # Without a session, the registry itself is closed.
        self.assertError(anon.get("/api/letters/%d" % letter["id"]), 401, "unauthenticated")
        self.assertError(anon.get("/api/letters"), 401, "unauthenticated")

    # ------------------------------------------------------------ audit, logs (run last)
    def test_zz_audit_chain_verifies_and_names_a_tampered_row(self):
        p = self.stack.cli("audit", "verify")
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        victim = self.stack.psql("SELECT min(id) FROM audit_log WHERE action = 'letter.register'")
        self.stack.psql(
            "ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update;"
            " UPDATE audit_log SET detail = detail || '{\"agenda_number\": 999999}' WHERE id = %s;"
            " ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_update" % victim
        )
        p = self.stack.cli("audit", "verify", check=False)
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        self.assertIn("broken at row %s" % victim, p.stdout + p.stderr)

    def test_zzz_no_server_errors(self):
        time.sleep(1.5)  # nginx flushes its access log every second
        log = self.stack.log("nginx-access")
        self.assertIn("/api/letters", log)
        errors = [line for line in log.splitlines() if re.search(r'" 5\d\d ', line) and PROVOKED not in line]
        self.assertEqual(errors, [])
        # The only failed statements are the unique violations the tests
        # provoke on purpose (answered 409), and the failure at COMMIT.
        failed = [line for line in self.stack.log("esurat-fcgi").splitlines()
                  if "query failed" in line and "(23505)" not in line and "(57P01)" not in line]
        self.assertEqual(failed, [])


class YearBoundaryTest(LettersCase):
    """Numbers turn at midnight of 1 January in Asia/Jakarta: the registry's
    clock is set with ESURAT_TEST_NOW and esurat-fcgi restarted."""

    @classmethod
    def setUpClass(cls):
        cls.stack = Stack(env={"ESURAT_TEST_NOW": "2015-12-31T23:59:59+07:00"})
        cls.addClassCleanup(cls.stack.stop)
        setup_reference_data(cls.stack)
        hukum = cls.stack.psql("SELECT id FROM units WHERE code = 'Hukum'")
        cls.stack.psql(
            "INSERT INTO number_templates (unit_id, template)"
            " VALUES (%s, '{klasifikasi}/{urut}/{unit}/{bulan}/{bulan_romawi}/{tahun}')" % hukum
        )

    def set_clock(self, when):
        self.stack.fcgi_stop()
        self.stack.env["ESURAT_TEST_NOW"] = when
        self.stack.fcgi_start()
        self.stack.wait_health(60)

    def out(self, session):
        return self.register(session, self.incoming(direction="out", letter_number=...))

    def test_numbers_on_both_sides_of_new_year(self):
        umum, kabag = self.login("umum"), self.login("kabag.hukum")
        self.assertEqual(self.out(umum)["letter_number"], "005/1/Umum/2015")
        self.assertEqual(self.out(umum)["letter_number"], "005/2/Umum/2015")
        self.assertEqual(self.out(kabag)["letter_number"], "005/1/Hukum/12/XII/2015")
        first_in = self.register(umum, self.incoming())
        self.assertEqual((first_in["agenda_year"], first_in["agenda_number"]), (2015, 1))
        # 17:00 UTC on 31 December is already 1 January in Jakarta.
        self.set_clock("2015-12-31T17:00:00Z")
        umum, kabag = self.login("umum"), self.login("kabag.hukum")
        p = umum.get("/api/numbering/preview?classification=005")
        self.assertEqual((p.status, p.json["letter_number"]), (200, "005/1/Umum/2016"), p)
        self.assertEqual(self.out(umum)["letter_number"], "005/1/Umum/2016")
        self.assertEqual(self.out(kabag)["letter_number"], "005/1/Hukum/01/I/2016")
        letter = self.register(umum, self.incoming())
        self.assertEqual((letter["agenda_year"], letter["agenda_number"]), (2016, 1))
        self.set_clock("2016-01-01T00:00:00+07:00")
        umum = self.login("umum")
        o = self.out(umum)
        self.assertEqual((o["letter_number"], o["agenda_year"]), ("005/2/Umum/2016", 2016))
        # One second before midnight is still the old year, and its book
        # continues where it stopped.
        self.set_clock("2016-12-31T16:59:59Z")
        self.assertEqual(self.out(self.login("umum"))["letter_number"], "005/3/Umum/2016")
        self.set_clock("2015-12-31T23:59:59+07:00")
        self.assertEqual(self.out(self.login("umum"))["letter_number"], "005/3/Umum/2015")


if __name__ == "__main__":
    unittest.main(verbosity=2)
