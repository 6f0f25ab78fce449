"""Dispositions over the real nginx, esurat-fcgi and PostgreSQL, with the
demo users: the chain umum -> walikota -> sekda -> asisten1 -> kabag.hukum
and back up with reports until the letter is `selesai`; every refusal
(403, 404, 409) changing nothing; the front desk routing only to entry
points; a confidential letter visible to each receiving position and to no
other; a position handed to a new holder, acting holders with dates, a
vacant position that waits for its holder; the inbox (order, filters,
pages, counts, a routed letter there within a second); input validation;
instructions edited by the admin; overdue counting on both sides of a
deadline (ESURAT_TEST_NOW); the audit chain."""

import datetime
import json
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
# psql's own TimeZone is the cluster's: calendar days are asked in Jakarta.
TODAY_SQL = "(now() AT TIME ZONE 'Asia/Jakarta')::date"
DISPOSITION_FIELDS = {
    "id", "letter_id", "parent_id", "from_position", "to_position", "instructions", "note", "deadline",
    "status", "read_at", "done_at", "report", "created_at",
}
# An inbox item is a summary: what the inbox shows and a reader needs to
# decide what to open (the disposition's and the letter's own pages have
# the rest).
INBOX_DISPOSITION_FIELDS = {
    "id", "letter_id", "parent_id", "from_position", "to_position", "instructions", "note", "deadline",
    "overdue", "status", "read_at", "done_at", "created_by", "created_at",
}
INBOX_LETTER_FIELDS = {
    "id", "direction", "unit", "agenda_number", "agenda_year", "letter_number", "letter_date", "received_at",
    "sender", "subject", "security", "urgency", "status",
}
TIMESTAMP_RE = r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?\+07:00$"
# The standard phrases of the issue, by code.
STANDARD_INSTRUCTIONS = {
    "ketahui": "Untuk diketahui",
    "tindak_lanjuti": "Untuk ditindaklanjuti",
    "hadiri": "Hadiri/wakili",
    "pelajari": "Pelajari dan beri saran",
    "jawab": "Siapkan jawaban",
    "koordinasikan": "Koordinasikan",
    "arsipkan": "Arsipkan",
}


def today():
    return datetime.datetime.now(JAKARTA).date()


def sql_text(s):
    return "'" + s.replace("'", "''") + "'"


class DispositionCase(unittest.TestCase):
    maxDiff = None
    counter = 0
    counter_lock = threading.Lock()

    @classmethod
    def unique(cls, prefix):
        with cls.counter_lock:
            cls.counter += 1
            return "%s-%d-%d" % (prefix, os.getpid(), cls.counter)

    @classmethod
    def setup_stack(cls, env=None):
        cls.stack = Stack(env=env)
        cls.addClassCleanup(cls.stack.stop)
        rows = cls.stack.psql("SELECT title || '|' || id FROM positions")
        cls.pos = {title: int(i) for title, i in (line.split("|") for line in rows.splitlines())}
        cls.sessions = {}

    def s(self, username):
        if username not in self.sessions:
            self.sessions[username] = self.login(username)
        return self.sessions[username]

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

    def register(self, to="Walikota Pekanbaru", **kw):
        body = {
            "direction": "in",
            "letter_number": self.unique("005/77/Disdik/2015"),
            "letter_date": "2015-01-20",
            "sender": "Dinas Pendidikan",
            "recipient": "Walikota Pekanbaru",
            "subject": self.unique("Undangan Rapat Koordinasi"),
            "security": "biasa",
            "urgency": "segera",
        }
        if to:
            body["to_position_id"] = self.pos[to]
        body.update(kw)
        r = self.s("umum").post("/api/letters", json=body)
        self.assertEqual(r.status, 201, r)
        return r.json

    def root(self, letter_id):
        return int(self.stack.psql(
            "SELECT id FROM dispositions WHERE letter_id = %d AND parent_id IS NULL ORDER BY id LIMIT 1" % letter_id))

    def dispose(self, user, letter_id, to, status=201, **kw):
        body = {"to": [self.pos[t] for t in ([to] if isinstance(to, str) else to)]}
        body.update(kw)
        r = self.s(user).post("/api/letters/%d/dispositions" % letter_id, json=body)
        self.assertEqual(r.status, status, r)
        return r

    def complete(self, user, disposition_id, report="Sudah dilaksanakan.", status=200):
        r = self.s(user).post("/api/dispositions/%d/complete" % disposition_id, json={"report": report})
        self.assertEqual(r.status, status, r)
        return r

    def inbox(self, user, status="all"):
        r = self.s(user).get("/api/inbox?limit=200&status=" + status)
        self.assertEqual(r.status, 200, r)
        return r.json

    def inbox_ids(self, user, status="all"):
        return [item["disposition"]["id"] for item in self.inbox(user, status)["items"]]

    def counts(self, user):
        r = self.s(user).get("/api/inbox/counts")
        self.assertEqual(r.status, 200, r)
        return r.json["counts"]

    def add_user(self, username, name, roles=("official",)):
        """A user with the demo password (the hash of another demo user)."""
        uid = self.stack.psql(
            "WITH u AS (INSERT INTO users (username, name, password_hash)"
            " SELECT %s, %s, password_hash FROM users WHERE username = 'sekda' RETURNING id) SELECT id FROM u"
            % (sql_text(username), sql_text(name)))
        for role in roles:
            self.stack.psql("INSERT INTO user_roles (user_id, role) VALUES (%s, %s)" % (uid, sql_text(role)))
        return int(uid)

    def add_position(self, title, unit, above):
        pid = int(self.stack.psql(
            "WITH p AS (INSERT INTO positions (unit_id, title, parent_id)"
            " SELECT u.id, %s, %d FROM units u WHERE u.code = %s RETURNING id) SELECT id FROM p"
            % (sql_text(title), self.pos[above], sql_text(unit))))
        self.pos[title] = pid
        return pid

    def appoint(self, user_id, position_id, kind="definitif", valid_from=TODAY_SQL, valid_to="NULL"):
        self.stack.psql(
            "INSERT INTO position_holders (position_id, user_id, kind, valid_from, valid_to)"
            " VALUES (%d, %d, '%s', %s, %s)" % (position_id, user_id, kind, valid_from, valid_to))

    def state(self, letter_id):
        """Everything a refusal must leave as it was."""
        return self.stack.psql(
            "SELECT (SELECT coalesce(string_agg(concat_ws(',', d.id, d.parent_id, d.from_position_id,"
            "   d.to_position_id, d.status, d.read_at, d.read_by, d.done_at, d.done_by, d.report, d.note,"
            "   d.deadline), ';' ORDER BY d.id), '') FROM dispositions d) || '|' ||"
            " (SELECT count(*) FROM disposition_instructions) || '|' ||"
            " (SELECT string_agg(status || updated_at, ',' ORDER BY id) FROM letters) || '|' ||"
            " (SELECT count(*) FROM audit_log) || '|' || (SELECT count(*) FROM index_outbox)"
        )


class DispositionsTest(DispositionCase):
    @classmethod
    def setUpClass(cls):
        cls.setup_stack()

    # ------------------------------------------------------------ the chain
    def test_chain_down_the_hierarchy_and_back(self):
        letter = self.register()
        lid = letter["id"]
        self.assertEqual(letter["status"], "didisposisi")
        d0 = self.root(lid)
        audit_before = int(self.stack.psql("SELECT count(*) FROM audit_log"))

        # The walikota finds it in the inbox, unread.
        inbox = self.inbox("walikota", "unread")
        item = next(i for i in inbox["items"] if i["disposition"]["id"] == d0)
        self.assertEqual(item["letter"]["id"], lid)
        self.assertEqual(set(item["disposition"]), INBOX_DISPOSITION_FIELDS)
        self.assertEqual(set(item["letter"]), INBOX_LETTER_FIELDS)
        for field in INBOX_LETTER_FIELDS - {"unit"}:
            self.assertEqual(item["letter"][field], letter[field], field)
        self.assertEqual(item["letter"]["unit"], {"id": letter["unit"]["id"], "name": letter["unit"]["name"]})
        self.assertEqual(item["disposition"]["created_by"]["name"], "Rina Marlina, S.Sos.")
        self.assertEqual(item["disposition"]["status"], "unread")
        self.assertIsNone(item["disposition"]["from_position"])
        self.assertEqual(item["disposition"]["to_position"]["id"], self.pos["Walikota Pekanbaru"])
        self.assertGreaterEqual(inbox["counts"]["unread"], 1)

        # Somebody else opening it marks nothing.
        r = self.s("sekda").get("/api/dispositions/%d" % d0)
        self.assertEqual(r.status, 200, r)
        self.assertEqual((r.json["status"], r.json["read_at"]), ("unread", None))
        self.assertEqual(r.json["actions"], {"dispose": False, "complete": False})
        # The recipient's first open does, once.
        r = self.s("walikota").get("/api/dispositions/%d" % d0)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json["status"], "read")
        self.assertTrue(DISPOSITION_FIELDS <= set(r.json), sorted(r.json))
        self.assertRegex(r.json["read_at"], TIMESTAMP_RE)
        self.assertEqual(r.json["read_by"]["name"], "H. Muhammad Rizal, S.E., M.M.")
        self.assertEqual(r.json["letter"]["id"], lid)
        self.assertEqual(r.json["actions"], {"dispose": True, "complete": True})
        self.assertEqual(r.json["letterhead"], ["Pemerintah Kota Pekanbaru"])
        read_at = r.json["read_at"]
        r = self.s("walikota").get("/api/dispositions/%d" % d0)
        self.assertEqual(r.json["read_at"], read_at)
        self.assertNotIn(d0, self.inbox_ids("walikota", "unread"))
        self.assertIn(d0, self.inbox_ids("walikota", "open"))

        # Walikota -> Sekda, two instructions and a deadline.
        deadline = str(today() + datetime.timedelta(days=7))
        r = self.dispose("walikota", lid, "Sekretaris Daerah", instructions=["koordinasikan", "tindak_lanjuti"],
                         note="Mohon dikoordinasikan dengan Asisten Pemerintahan.", deadline=deadline)
        self.assertEqual(len(r.json["items"]), 1)
        d1 = r.json["items"][0]
        self.assertEqual(d1["parent_id"], d0)
        self.assertEqual(d1["from_position"]["id"], self.pos["Walikota Pekanbaru"])
        self.assertEqual(d1["to_position"]["id"], self.pos["Sekretaris Daerah"])
        self.assertEqual(d1["to_position"]["holder"]["name"], "Dr. Hendra Saputra, M.Si.")
        self.assertEqual(d1["instructions"], ["tindak_lanjuti", "koordinasikan"])  # in the sheet's order
        self.assertEqual(d1["deadline"], deadline)
        self.assertEqual(d1["status"], "unread")
        self.assertFalse(d1["overdue"])
        d1 = d1["id"]

        # The Sekda's inbox says from whom, what to do and by when.
        item = next(i for i in self.inbox("sekda", "unread")["items"] if i["disposition"]["id"] == d1)
        self.assertEqual(item["disposition"]["from_position"],
                         {"id": self.pos["Walikota Pekanbaru"], "title": "Walikota Pekanbaru"})
        self.assertEqual(item["disposition"]["to_position"],
                         {"id": self.pos["Sekretaris Daerah"], "title": "Sekretaris Daerah"})
        self.assertEqual(item["disposition"]["created_by"]["name"], "H. Muhammad Rizal, S.E., M.M.")
        self.assertEqual(item["disposition"]["instructions"], ["tindak_lanjuti", "koordinasikan"])
        self.assertEqual(item["disposition"]["note"], "Mohon dikoordinasikan dengan Asisten Pemerintahan.")
        self.assertEqual((item["disposition"]["deadline"], item["disposition"]["overdue"]), (deadline, False))
        self.assertEqual((item["letter"]["id"], item["letter"]["agenda_number"]), (lid, letter["agenda_number"]))

        # Sekda opens and forwards, naming the disposition received.
        self.assertEqual(self.s("sekda").get("/api/dispositions/%d" % d1).json["status"], "read")
        r = self.dispose("sekda", lid, "Asisten Pemerintahan", parent_id=d1, instructions=["tindak_lanjuti"],
                         note="Tindak lanjuti.")
        d2 = r.json["items"][0]["id"]
        # Asisten -> Kabag Hukum.
        self.s("asisten1").get("/api/dispositions/%d" % d2)
        r = self.dispose("asisten1", lid, "Kepala Bagian Hukum", instructions=["jawab"], note="Siapkan jawaban.")
        d3 = r.json["items"][0]["id"]

        # A branch completes from the bottom up.
        self.assertEqual(self.s("kabag.hukum").get("/api/dispositions/%d" % d3).json["status"], "read")
        r = self.complete("kabag.hukum", d3, "Jawaban telah disiapkan, nomor 180/12/Hukum/2015.")
        self.assertEqual(r.json["status"], "done")
        self.assertRegex(r.json["done_at"], TIMESTAMP_RE)
        self.assertEqual(r.json["done_by"]["name"], "Dewi Kartika Sari, S.H., M.H.")
        self.assertEqual(r.json["letter"]["status"], "didisposisi")
        self.assertEqual(r.json["actions"], {"dispose": False, "complete": False})
        self.complete("asisten1", d2, "Telah ditindaklanjuti oleh Bagian Hukum.")
        self.complete("sekda", d1, "Terkoordinasi.")
        self.assertEqual(self.s("umum").get("/api/letters/%d" % lid).json["status"], "didisposisi")
        r = self.complete("walikota", d0, "Selesai.")
        self.assertEqual(r.json["letter"]["status"], "selesai")

        # The letter is done; its tree tells who sent what to whom, when read, when done.
        r = self.s("umum").get("/api/letters/%d" % lid)
        self.assertEqual(r.json["status"], "selesai")
        tree = r.json["dispositions"]
        self.assertEqual(len(tree), 1)
        chain, node = [], tree[0]
        while node:
            chain.append(node)
            self.assertLessEqual(len(node["children"]), 1)
            node = node["children"][0] if node["children"] else None
        self.assertEqual([n["id"] for n in chain], [d0, d1, d2, d3])
        self.assertEqual([n["to_position"]["title"] for n in chain],
                         ["Walikota Pekanbaru", "Sekretaris Daerah", "Asisten Pemerintahan", "Kepala Bagian Hukum"])
        self.assertEqual([n["from_position"] and n["from_position"]["title"] for n in chain],
                         [None, "Walikota Pekanbaru", "Sekretaris Daerah", "Asisten Pemerintahan"])
        self.assertEqual([n["parent_id"] for n in chain], [None, d0, d1, d2])
        self.assertEqual([n["report"] for n in chain],
                         ["Selesai.", "Terkoordinasi.", "Telah ditindaklanjuti oleh Bagian Hukum.",
                          "Jawaban telah disiapkan, nomor 180/12/Hukum/2015."])
        self.assertEqual([n["read_by"]["name"] for n in chain],
                         ["H. Muhammad Rizal, S.E., M.M.", "Dr. Hendra Saputra, M.Si.", "Ir. Yusri Hasan, M.T.",
                          "Dewi Kartika Sari, S.H., M.H."])
        self.assertEqual(chain[0]["read_at"], read_at)
        for n in chain:
            self.assertEqual(n["status"], "done")
            self.assertRegex(n["read_at"], TIMESTAMP_RE)
            self.assertRegex(n["done_at"], TIMESTAMP_RE)
            self.assertLessEqual(n["read_at"], n["done_at"])
            self.assertFalse(n["overdue"])
        self.assertEqual(chain[1]["instructions"], ["tindak_lanjuti", "koordinasikan"])
        self.assertEqual(chain[1]["note"], "Mohon dikoordinasikan dengan Asisten Pemerintahan.")
        self.assertEqual(chain[1]["deadline"], deadline)
        self.assertEqual(chain[3]["instructions"], ["jawab"])
        # Done ones leave the open inbox and stay under "done".
        self.assertNotIn(d0, self.inbox_ids("walikota", "open"))
        self.assertIn(d0, self.inbox_ids("walikota", "done"))
        self.assertEqual(self.stack.session().get("/api/track/" + letter["tracking_code"]).json["status"], "selesai")

        # Everything on the record, in the letter's history too.
        actions = self.stack.psql(
            "SELECT string_agg(action, ',' ORDER BY id) FROM audit_log WHERE id > %d"
            " AND (detail ->> 'letter_id')::bigint = %d" % (audit_before, lid)).split(",")
        self.assertEqual(actions.count("disposition.create"), 3)
        self.assertEqual(actions.count("disposition.read"), 4)
        self.assertEqual(actions.count("disposition.complete"), 4)
        self.assertEqual(actions.count("letter.finish"), 1)
        self.assertEqual(actions[-1], "letter.finish")
        history = [h["action"] for h in r.json["history"]]
        self.assertEqual(history[0], "letter.register")
        self.assertIn("disposition.create", history)
        created = self.stack.psql(
            "SELECT detail::text FROM audit_log WHERE action = 'disposition.create' AND object_id = '%d'" % d1)
        detail = json.loads(created)
        self.assertEqual(detail["to_position"], "Sekretaris Daerah")
        self.assertEqual(detail["instructions"], ["tindak_lanjuti", "koordinasikan"])
        self.assertEqual((detail["parent_id"], detail["letter_id"]), (d0, lid))
        self.assertNotIn("acting", detail)
        self.assertEqual(self.stack.psql(
            "SELECT user_id FROM audit_log WHERE action = 'disposition.complete' AND object_id = '%d'" % d3),
            self.stack.psql("SELECT id FROM users WHERE username = 'kabag.hukum'"))

    def test_one_disposition_to_several_positions(self):
        letter = self.register()
        lid = letter["id"]
        r = self.dispose("walikota", lid, ["Sekretaris Daerah", "Asisten Pemerintahan", "Kepala Bagian Hukum"],
                         instructions=["ketahui"])
        ids = [i["id"] for i in r.json["items"]]
        self.assertEqual([i["to_position"]["title"] for i in r.json["items"]],
                         ["Sekretaris Daerah", "Asisten Pemerintahan", "Kepala Bagian Hukum"])
        # Any depth below; each branch completes on its own.
        for user, d in zip(["sekda", "asisten1", "kabag.hukum"], ids):
            self.complete(user, d)
        self.assertEqual(self.s("umum").get("/api/letters/%d" % lid).json["status"], "didisposisi")
        self.complete("walikota", self.root(lid))
        tree = self.s("umum").get("/api/letters/%d" % lid).json
        self.assertEqual(tree["status"], "selesai")
        self.assertEqual([c["id"] for c in tree["dispositions"][0]["children"]], ids)
        # Completing without opening first: read then and there.
        self.assertEqual(self.stack.psql(
            "SELECT count(*) FROM dispositions WHERE id IN (%s) AND read_at = done_at" % ",".join(map(str, ids))), "3")

    # ------------------------------------------------------------ refusals
    def test_every_refusal_changes_nothing(self):
        letter = self.register()
        lid = letter["id"]
        d0 = self.root(lid)
        d1 = self.dispose("walikota", lid, "Sekretaris Daerah", instructions=["tindak_lanjuti"]).json["items"][0]["id"]
        d2 = self.dispose("sekda", lid, "Asisten Pemerintahan").json["items"][0]["id"]
        secret = self.register(security="rahasia", subject=self.unique("Rahasia"))
        secret_root = self.root(secret["id"])
        other = self.register()
        other_root = self.root(other["id"])

        def refused(r, status, code, field=None, message=None):
            self.assertError(r, status, code, field)
            if message:
                self.assertIn(message, r.json["error"]["message"])

        cases = [
            # completing someone else's disposition
            ("kabag.hukum completes the sekda's", lambda: self.complete("kabag.hukum", d1, status=403),
             403, "forbidden", None, "only its holder"),
            ("the walikota completes the sekda's", lambda: self.complete("walikota", d1, status=403),
             403, "forbidden", None, None),
            # completing before the branch below is complete
            ("the walikota completes before the sekda", lambda: self.complete("walikota", d0, status=409),
             409, "conflict", None, "still open"),
            # disposing upward or sideways, or to oneself
            ("asisten1 disposes upward", lambda: self.dispose("asisten1", lid, "Sekretaris Daerah", status=403),
             403, "forbidden", "to", "not below"),
            ("asisten1 disposes to the top", lambda: self.dispose("asisten1", lid, "Walikota Pekanbaru", status=403),
             403, "forbidden", "to", None),
            ("asisten1 disposes sideways", lambda: self.dispose("asisten1", lid, "Kepala Bagian Umum", status=403),
             403, "forbidden", "to", "not below"),
            ("asisten1 disposes to itself", lambda: self.dispose("asisten1", lid, "Asisten Pemerintahan", status=403),
             403, "forbidden", "to", None),
            ("one good and one upward recipient",
             lambda: self.dispose("asisten1", lid, ["Kepala Bagian Hukum", "Sekretaris Daerah"], status=403),
             403, "forbidden", "to", None),
            # forwarding a disposition one never received
            ("kabag.hukum forwards the asisten's",
             lambda: self.dispose("kabag.hukum", lid, "Kepala Bagian Hukum", parent_id=d2, status=403),
             403, "forbidden", "parent_id", None),
            ("asisten1 forwards the sekda's",
             lambda: self.dispose("asisten1", lid, "Kepala Bagian Hukum", parent_id=d1, status=403),
             403, "forbidden", "parent_id", None),
            ("kabag.hukum disposes a letter never received",
             lambda: self.dispose("kabag.hukum", lid, "Kepala Bagian Hukum", status=403),
             403, "forbidden", None, "did not receive"),
            ("a position-less admin disposes", lambda: self.dispose("admin", lid, "Sekretaris Daerah", status=403),
             403, "forbidden", None, None),
            ("the archivist disposes", lambda: self.dispose("arsiparis", lid, "Sekretaris Daerah", status=403),
             403, "forbidden", None, None),
            # a confidential letter one cannot see
            ("sekda disposes a secret letter", lambda: self.dispose("sekda", secret["id"], "Asisten Pemerintahan",
                                                                    status=404), 404, "not_found", None, None),
            ("sekda opens its routing", lambda: self.s("sekda").get("/api/dispositions/%d" % secret_root),
             404, "not_found", None, None),
            ("sekda completes its routing", lambda: self.complete("sekda", secret_root, status=404),
             404, "not_found", None, None),
            ("kabag.hukum forwards it", lambda: self.dispose("kabag.hukum", secret["id"], "Kepala Bagian Hukum",
                                                             parent_id=secret_root, status=404),
             404, "not_found", None, None),
            # the same recipient twice while open; a parent of another letter
            ("the walikota disposes to the sekda again", lambda: self.dispose("walikota", lid, "Sekretaris Daerah",
                                                                              status=409),
             409, "conflict", "to", "already"),
            ("a parent of another letter", lambda: self.dispose("walikota", lid, "Sekretaris Daerah",
                                                                parent_id=other_root, status=404),
             404, "not_found", "parent_id", None),
            # the front desk routes to entry points only, once per recipient
            ("umum routes past the leaders", lambda: self.dispose("umum", other["id"], "Kepala Bagian Hukum",
                                                                  status=403), 403, "forbidden", "to", "entry point"),
            ("umum routes to the walikota again", lambda: self.dispose("umum", other["id"], "Walikota Pekanbaru",
                                                                       status=409), 409, "conflict", "to", None),
            # unknown things
            ("no such letter", lambda: self.dispose("walikota", 99999999, "Sekretaris Daerah", status=404),
             404, "not_found", None, None),
            ("no such disposition", lambda: self.s("walikota").get("/api/dispositions/99999999"),
             404, "not_found", None, None),
            ("complete no such disposition", lambda: self.complete("walikota", 99999999, status=404),
             404, "not_found", None, None),
            ("no such position", lambda: self.s("walikota").post("/api/letters/%d/dispositions" % lid,
                                                                 json={"to": [99999999]}),
             400, "invalid_field", "to", None),
            ("no such instruction", lambda: self.dispose("walikota", lid, "Asisten Pemerintahan",
                                                         instructions=["terbangkan"], status=400),
             400, "invalid_field", "instructions", "terbangkan"),
            ("a deadline in the past",
             lambda: self.dispose("walikota", lid, "Asisten Pemerintahan",
                                  deadline=str(today() - datetime.timedelta(days=1)), status=400),
             400, "invalid_field", "deadline", "past"),
            ("without the CSRF token",
             lambda: self.s("walikota").post("/api/letters/%d/dispositions" % lid,
                                             json={"to": [self.pos["Asisten Pemerintahan"]]}, csrf=False),
             403, "csrf", None, None),
        ]
        for name, call, status, code, field, message in cases:
            with self.subTest(name):
                before = self.state(lid)
                refused(call(), status, code, field, message)
                self.assertEqual(self.state(lid), before, "%s changed something" % name)

        # Completing twice; forwarding what is complete.
        d3 = self.dispose("asisten1", lid, "Kepala Bagian Hukum").json["items"][0]["id"]
        self.complete("kabag.hukum", d3)
        for name, call, status, field in [
            ("completing twice", lambda: self.complete("kabag.hukum", d3, status=409), 409, None),
            ("forwarding a complete disposition",
             lambda: self.dispose("kabag.hukum", lid, "Kepala Bagian Hukum", parent_id=d3, status=409), 409,
             "parent_id"),
            ("disposing after one's part is done", lambda: self.dispose("kabag.hukum", lid, "Kepala Bagian Hukum",
                                                                        status=409), 409, None),
        ]:
            with self.subTest(name):
                before = self.state(lid)
                self.assertError(call(), status, "conflict", field)
                self.assertEqual(self.state(lid), before, "%s changed something" % name)
        # No refusal left a trace in the audit log.
        self.assertEqual(self.stack.psql(
            "SELECT count(*) FROM audit_log WHERE action LIKE 'disposition.%%'"
            " AND (detail ->> 'letter_id')::bigint = %d" % lid), "4")  # 3 forwards, 1 completion

    def test_front_desk_routes_an_unrouted_letter_to_entry_points(self):
        letter = self.register(to=None)
        lid = letter["id"]
        self.assertEqual(letter["status"], "baru")
        # Only the front desk of the registering unit routes; only to the leaders.
        self.assertError(self.dispose("walikota", lid, "Sekretaris Daerah", status=403), 403, "forbidden")
        self.assertError(self.dispose("umum", lid, "Asisten Pemerintahan", status=403), 403, "forbidden", "to")
        r = self.dispose("umum", lid, ["Walikota Pekanbaru", "Sekretaris Daerah"])
        self.assertEqual([i["from_position"] for i in r.json["items"]], [None, None])
        self.assertEqual([i["parent_id"] for i in r.json["items"]], [None, None])
        self.assertEqual(self.s("umum").get("/api/letters/%d" % lid).json["status"], "didisposisi")
        tree = self.s("umum").get("/api/letters/%d" % lid).json["dispositions"]
        self.assertEqual([n["to_position"]["title"] for n in tree], ["Walikota Pekanbaru", "Sekretaris Daerah"])
        # Two branches: the letter is done when both are.
        self.complete("sekda", tree[1]["id"])
        self.assertEqual(self.s("umum").get("/api/letters/%d" % lid).json["status"], "didisposisi")
        self.complete("walikota", tree[0]["id"])
        self.assertEqual(self.s("umum").get("/api/letters/%d" % lid).json["status"], "selesai")
        # Routed again: work is open again.
        self.dispose("umum", lid, "Walikota Pekanbaru")
        self.assertEqual(self.s("umum").get("/api/letters/%d" % lid).json["status"], "didisposisi")

    def test_several_received_dispositions_need_parent_id(self):
        # The sekda receives the letter twice (from the front desk and from the walikota).
        letter = self.register()
        lid = letter["id"]
        self.dispose("umum", lid, "Sekretaris Daerah")
        self.dispose("walikota", lid, "Sekretaris Daerah")
        r = self.dispose("sekda", lid, "Asisten Pemerintahan", status=400)
        self.assertError(r, 400, "invalid_field", "parent_id")
        ids = sorted(int(x) for x in self.stack.psql(
            "SELECT id FROM dispositions WHERE letter_id = %d AND to_position_id = %d" % (
                lid, self.pos["Sekretaris Daerah"])).split())
        self.dispose("sekda", lid, "Asisten Pemerintahan", parent_id=ids[1])

    # ------------------------------------------------------------ confidentiality
    def test_confidential_letter_is_seen_by_each_receiving_position_only(self):
        letter = self.register(security="sangat_rahasia", subject=self.unique("Sangat Rahasia"))
        lid = letter["id"]
        path = "/api/letters/%d" % lid
        root = self.root(lid)

        def seen_by():
            return {u for u in ["umum", "walikota", "sekda", "asisten1", "kabag.hukum", "arsiparis", "admin"]
                    if self.s(u).get(path).status == 200}

        self.assertEqual(seen_by(), {"umum", "walikota", "admin"})
        self.assertNotIn(root, self.inbox_ids("sekda"))
        d1 = self.dispose("walikota", lid, "Sekretaris Daerah").json["items"][0]["id"]
        self.assertEqual(seen_by(), {"umum", "walikota", "admin", "sekda"})
        self.assertIn(d1, self.inbox_ids("sekda", "unread"))
        self.assertError(self.s("asisten1").get("/api/dispositions/%d" % d1), 404, "not_found")
        d2 = self.dispose("sekda", lid, "Asisten Pemerintahan").json["items"][0]["id"]
        self.assertEqual(seen_by(), {"umum", "walikota", "admin", "sekda", "asisten1"})
        self.assertError(self.s("kabag.hukum").get("/api/dispositions/%d" % d2), 404, "not_found")
        self.assertNotIn(lid, [i["id"] for i in self.s("kabag.hukum").get("/api/letters?limit=200").json["items"]])
        # Each reading is on the record: the first open as a read, later ones as views.
        views = int(self.stack.psql(
            "SELECT count(*) FROM audit_log WHERE action = 'letter.view' AND object_id = '%d'" % lid))
        self.s("asisten1").get("/api/dispositions/%d" % d2)
        self.s("asisten1").get("/api/dispositions/%d" % d2)
        self.assertEqual(self.stack.psql(
            "SELECT count(*) FROM audit_log WHERE action = 'disposition.read' AND object_id = '%d'" % d2), "1")
        self.assertEqual(int(self.stack.psql(
            "SELECT count(*) FROM audit_log WHERE action = 'letter.view' AND object_id = '%d'" % lid)), views + 1)

    # ------------------------------------------------------------ holders
    def test_new_holder_and_acting_holders_inherit_the_inbox(self):
        q = self.add_position("Kepala Bagian Tata Pemerintahan", "AsPem", "Asisten Pemerintahan")
        old = self.add_user("tapem.lama", "Drs. Lama")
        self.appoint(old, q, valid_from=TODAY_SQL + " - 30")
        letter = self.register()
        lid = letter["id"]
        d1 = self.dispose("walikota", lid, "Sekretaris Daerah").json["items"][0]["id"]
        d2 = self.dispose("sekda", lid, "Asisten Pemerintahan", parent_id=d1).json["items"][0]["id"]
        d3 = self.dispose("asisten1", lid, "Kepala Bagian Tata Pemerintahan", parent_id=d2).json["items"][0]["id"]
        self.assertEqual(self.inbox_ids("tapem.lama"), [d3])
        self.assertEqual(self.counts("tapem.lama"), {"unread": 1, "open": 1, "overdue": 0})

        # Handed over: the old holder's term ended yesterday, a new one starts today.
        self.stack.psql("UPDATE position_holders SET valid_to = %s - 1 WHERE user_id = %d" % (TODAY_SQL, old))
        new = self.add_user("tapem.baru", "Dra. Baru")
        self.appoint(new, q)
        self.assertEqual(self.inbox_ids("tapem.lama"), [])
        self.assertEqual(self.counts("tapem.lama"), {"unread": 0, "open": 0, "overdue": 0})
        self.assertEqual(self.inbox_ids("tapem.baru"), [d3])
        self.assertEqual(self.counts("tapem.baru"), {"unread": 1, "open": 1, "overdue": 0})
        self.assertEqual(self.s("tapem.lama").get("/api/me").json["positions"], [])
        # The old holder may still read an ordinary letter, but it is not theirs to act on.
        r = self.s("tapem.lama").get("/api/dispositions/%d" % d3)
        self.assertEqual((r.status, r.json["status"]), (200, "unread"))
        self.assertError(self.complete("tapem.lama", d3, status=403), 403, "forbidden")
        r = self.s("tapem.baru").get("/api/dispositions/%d" % d3)
        self.assertEqual((r.json["status"], r.json["read_by"]["name"]), ("read", "Dra. Baru"))
        self.assertEqual(r.json["to_position"]["holder"]["name"], "Dra. Baru")

        # Acting officials, by their dates: a Plt now, a Plh next week, a Plh that ended.
        plt, plh_next, plh_past = (self.add_user(u, n) for u, n in [
            ("tapem.plt", "Plt Tapem"), ("tapem.plh", "Plh Tapem"), ("tapem.plh.lalu", "Plh Lalu")])
        self.appoint(plt, q, "plt", TODAY_SQL + " - 1", TODAY_SQL + " + 1")
        self.appoint(plh_next, q, "plh", TODAY_SQL + " + 7", TODAY_SQL + " + 14")
        self.appoint(plh_past, q, "plh", TODAY_SQL + " - 14", TODAY_SQL + " - 7")
        self.assertEqual(self.inbox_ids("tapem.plt"), [d3])
        self.assertEqual(self.inbox_ids("tapem.plh"), [])
        self.assertEqual(self.inbox_ids("tapem.plh.lalu"), [])
        self.assertEqual(self.s("tapem.plt").get("/api/me").json["positions"][0]["acting"], "plt")
        self.assertError(self.complete("tapem.plh", d3, status=403), 403, "forbidden")
        self.assertError(self.complete("tapem.plh.lalu", d3, status=403), 403, "forbidden")
        # The Plt completes, and the audit says in which capacity.
        r = self.complete("tapem.plt", d3, "Diselesaikan oleh Plt.")
        self.assertEqual(r.json["done_by"]["name"], "Plt Tapem")
        detail = json.loads(self.stack.psql(
            "SELECT detail::text FROM audit_log WHERE action = 'disposition.complete' AND object_id = '%d'" % d3))
        self.assertEqual(detail["acting"], "plt")
        self.assertEqual(self.stack.psql(
            "SELECT u.username FROM audit_log a JOIN users u ON u.id = a.user_id"
            " WHERE a.action = 'disposition.complete' AND a.object_id = '%d'" % d3), "tapem.plt")
        self.assertIn(d3, self.inbox_ids("tapem.baru", "done"))

    def test_vacant_position_waits_for_whoever_is_appointed(self):
        v = self.add_position("Kepala Subbagian Perundang-undangan", "Hukum", "Kepala Bagian Hukum")
        letter = self.register()
        lid = letter["id"]
        d1 = self.dispose("walikota", lid, "Kepala Bagian Hukum").json["items"][0]["id"]
        r = self.dispose("kabag.hukum", lid, "Kepala Subbagian Perundang-undangan", parent_id=d1)
        d2 = r.json["items"][0]
        self.assertIsNone(d2["to_position"]["holder"])
        self.assertEqual(d2["status"], "unread")
        user = self.add_user("perundangan", "Siti Aminah, S.H.")
        self.assertEqual(self.inbox_ids("perundangan"), [])
        self.appoint(user, v)
        self.assertEqual(self.inbox_ids("perundangan", "unread"), [d2["id"]])
        self.complete("perundangan", d2["id"], "Selesai dikaji.")
        self.complete("kabag.hukum", d1)

    # ------------------------------------------------------------ the inbox
    def test_inbox_order_filters_pages_and_counts(self):
        staff = self.add_position("Staf Ahli Walikota", "Pemko", "Walikota Pekanbaru")
        user = self.add_user("staf.ahli", "Staf Ahli")
        self.appoint(user, staff)
        made = []
        for i in range(6):
            letter = self.register()
            r = self.dispose("walikota", letter["id"], "Staf Ahli Walikota",
                             deadline=str(today() + datetime.timedelta(days=i)))
            made.append(r.json["items"][0]["id"])
        # 0, 1 stay unread; 2, 3 read; 4, 5 done.
        for d in made[2:]:
            self.s("staf.ahli").get("/api/dispositions/%d" % d)
        for d in made[4:]:
            self.complete("staf.ahli", d)
        want = [made[1], made[0], made[3], made[2], made[5], made[4]]  # unread, read, done; newest first
        inbox = self.inbox("staf.ahli")
        self.assertEqual([i["disposition"]["id"] for i in inbox["items"]], want)
        self.assertEqual(inbox["counts"], {"unread": 2, "open": 4, "overdue": 0})
        self.assertIsNone(inbox["next_cursor"])
        self.assertEqual(self.counts("staf.ahli"), inbox["counts"])
        self.assertEqual(self.inbox_ids("staf.ahli", "unread"), want[:2])
        self.assertEqual(self.inbox_ids("staf.ahli", "open"), want[:4])
        self.assertEqual(self.inbox_ids("staf.ahli", "done"), want[4:])
        # Without status: all. Pages of 2 give the same, each once.
        self.assertEqual([i["disposition"]["id"] for i in self.s("staf.ahli").get("/api/inbox").json["items"]], want)
        ids, cursor = [], None
        while True:
            r = self.s("staf.ahli").get("/api/inbox?limit=2" + ("&cursor=" + cursor if cursor else ""))
            self.assertEqual(r.status, 200, r)
            self.assertLessEqual(len(r.json["items"]), 2)
            ids += [i["disposition"]["id"] for i in r.json["items"]]
            cursor = r.json["next_cursor"]
            if not cursor:
                break
        self.assertEqual(ids, want)
        # Users without positions have an empty inbox.
        self.assertEqual(self.inbox("arsiparis"), {"items": [], "counts": {"unread": 0, "open": 0, "overdue": 0},
                                                   "next_cursor": None})
        for query, field in [("status=baru", "status"), ("limit=0", "limit"), ("limit=201", "limit"),
                             ("limit=x", "limit"), ("cursor=abc", "cursor"), ("cursor=3.1.1", "cursor"),
                             ("cursor=0.1.0", "cursor")]:
            with self.subTest(query=query):
                self.assertError(self.s("walikota").get("/api/inbox?" + query), 400, "invalid_query", field)

    def test_a_routed_letter_is_in_the_inbox_within_a_second(self):
        walikota = self.s("walikota")
        before = self.counts("walikota")
        t0 = time.monotonic()
        letter = self.register()
        r = walikota.get("/api/inbox/counts")
        items = walikota.get("/api/inbox?status=unread&limit=5").json["items"]
        elapsed = time.monotonic() - t0
        self.assertEqual(r.json["counts"]["unread"], before["unread"] + 1)
        self.assertEqual(items[0]["letter"]["id"], letter["id"])
        self.assertLess(elapsed, 1.0)

    # ------------------------------------------------------------ input
    def test_bad_input_is_400_with_the_field(self):
        letter = self.register()
        path = "/api/letters/%d/dispositions" % letter["id"]
        walikota = self.s("walikota")
        sekda = self.pos["Sekretaris Daerah"]
        before = self.state(letter["id"])
        cases = [
            ({}, "to"), ({"to": None}, "to"), ({"to": sekda}, "to"), ({"to": []}, "to"), ({"to": [0]}, "to"),
            ({"to": [-1]}, "to"), ({"to": [1.5]}, "to"), ({"to": ["x"]}, "to"), ({"to": [sekda, sekda]}, "to"),
            ({"to": list(range(1, 52))}, "to"),
            ({"to": [sekda], "instructions": "ketahui"}, "instructions"),
            ({"to": [sekda], "instructions": [1]}, "instructions"),
            ({"to": [sekda], "instructions": ["Bad Code"]}, "instructions"),
            ({"to": [sekda], "instructions": ["ketahui"] * 21}, "instructions"),
            ({"to": [sekda], "note": 5}, "note"), ({"to": [sekda], "note": "x" * 2001}, "note"),
            ({"to": [sekda], "note": "a\x07b"}, "note"),
            ({"to": [sekda], "deadline": "2015-02-30"}, "deadline"), ({"to": [sekda], "deadline": 20150101}, "deadline"),
            ({"to": [sekda], "parent_id": "x"}, "parent_id"), ({"to": [sekda], "parent_id": 0}, "parent_id"),
            ({"to": [sekda], "priority": 1}, "priority"),
        ]
        for body, field in cases:
            with self.subTest(body=str(body)[:80]):
                self.assertError(walikota.post(path, json=body), 400, "invalid_field", field)
        self.assertError(walikota.post(path, data="{"), 400, "invalid_json")
        self.assertError(walikota.post(path, data="[1]"), 400, "invalid_json")
        self.assertError(walikota.post(path, data='{"to":[2]}', headers={"Content-Type": "text/plain"}),
                         415, "unsupported_media_type")
        # A multi-line note is fine and kept as it is.
        d = self.root(letter["id"])
        complete = "/api/dispositions/%d/complete" % d
        for body, field in [({}, "report"), ({"report": "  "}, "report"), ({"report": None}, "report"),
                            ({"report": "x" * 5001}, "report"), ({"report": "ok", "extra": 1}, "extra")]:
            with self.subTest(body=str(body)[:80]):
                self.assertError(walikota.post(complete, json=body), 400, "invalid_field", field)
        self.assertEqual(self.state(letter["id"]), before)
        self.assertError(walikota.get("/api/dispositions/abc"), 404, "not_found")
        self.assertError(walikota.put("/api/dispositions/%d" % d, json={}), 405, "method_not_allowed")
        self.assertError(self.stack.session().get("/api/inbox"), 401, "unauthenticated")
        r = self.dispose("walikota", letter["id"], "Sekretaris Daerah", note="Baris satu.\nBaris dua.")
        self.assertEqual(r.json["items"][0]["note"], "Baris satu.\nBaris dua.")

    # ------------------------------------------------------------ instructions
    def test_instructions_are_standard_and_editable_by_the_admin(self):
        listed = {i["code"]: i["label"] for i in self.s("walikota").get("/api/instructions").json}
        for code, label in STANDARD_INSTRUCTIONS.items():
            self.assertEqual(listed.get(code), label, code)
        admin = self.s("admin")
        self.assertError(self.s("walikota").post("/api/instructions", json={"code": "telaah", "label": "Telaah"}),
                         403, "forbidden")
        r = admin.post("/api/instructions", json={"code": "telaah", "label": "Telaah dan laporkan"})
        self.assertEqual(r.status, 201, r)
        self.assertEqual((r.json["code"], r.json["label"], r.json["active"]), ("telaah", "Telaah dan laporkan", True))
        self.assertGreater(r.json["sort_order"], max(i["sort_order"] for i in admin.get("/api/instructions").json
                                                      if i["code"] != "telaah"))
        self.assertError(admin.post("/api/instructions", json={"code": "telaah", "label": "Lagi"}), 409, "conflict",
                         "code")
        for body, field in [({"code": "Telaah", "label": "x"}, "code"), ({"code": "1a", "label": "x"}, "code"),
                            ({"code": "a b", "label": "x"}, "code"), ({"label": "x"}, "code"),
                            ({"code": "ok"}, "label"), ({"code": "ok", "label": "x", "sort_order": -1}, "sort_order"),
                            ({"code": "ok", "label": "x", "extra": 1}, "extra")]:
            with self.subTest(body=body):
                self.assertError(admin.post("/api/instructions", json=body), 400, "invalid_field", field)
        r = admin.patch("/api/instructions/telaah", json={"label": "Telaah dan beri pendapat", "sort_order": 5})
        self.assertEqual((r.status, r.json["label"], r.json["sort_order"]), (200, "Telaah dan beri pendapat", 5), r)
        self.assertEqual(self.s("walikota").get("/api/instructions").json[0]["code"], "telaah")
        # Used, then retired: no longer offered nor accepted; kept where used.
        letter = self.register()
        d = self.dispose("walikota", letter["id"], "Sekretaris Daerah", instructions=["telaah"]).json["items"][0]
        r = admin.patch("/api/instructions/telaah", json={"active": False})
        self.assertEqual((r.status, r.json["active"]), (200, False), r)
        self.assertNotIn("telaah", [i["code"] for i in self.s("walikota").get("/api/instructions").json])
        everything = self.s("walikota").get("/api/instructions?all=true").json
        self.assertIn({"code": "telaah", "label": "Telaah dan beri pendapat", "sort_order": 5, "active": False},
                      everything)
        self.assertError(self.dispose("walikota", letter["id"], "Asisten Pemerintahan", instructions=["telaah"],
                                      status=400), 400, "invalid_field", "instructions")
        self.assertEqual(self.s("sekda").get("/api/dispositions/%d" % d["id"]).json["instructions"], ["telaah"])
        # The same values change nothing; bad patches.
        audit = self.stack.psql("SELECT count(*) FROM audit_log WHERE object_type = 'instruction'")
        self.assertEqual(admin.patch("/api/instructions/telaah", json={"active": False}).status, 200)
        self.assertEqual(self.stack.psql("SELECT count(*) FROM audit_log WHERE object_type = 'instruction'"), audit)
        self.assertEqual(audit, "3")
        self.assertError(admin.patch("/api/instructions/nothing", json={"label": "x"}), 404, "not_found")
        self.assertError(admin.patch("/api/instructions/telaah", json={"code": "x"}), 400, "invalid_field", "code")
        self.assertError(admin.patch("/api/instructions/telaah", json={}), 400, "invalid_json")
        self.assertError(admin.patch("/api/instructions/telaah", json={"active": "no"}), 400, "invalid_field",
                         "active")
        self.assertError(admin.patch("/api/instructions/telaah", json={"label": ""}), 400, "invalid_field", "label")
        self.assertError(self.s("walikota").get("/api/instructions?all=maybe"), 400, "invalid_query", "all")
        changes = json.loads(self.stack.psql(
            "SELECT detail::text FROM audit_log WHERE action = 'instruction.update' ORDER BY id LIMIT 1"))["changes"]
        self.assertEqual(changes["label"], {"old": "Telaah dan laporkan", "new": "Telaah dan beri pendapat"})

    # ------------------------------------------------------------ run last
    def test_zz_audit_chain_verifies(self):
        p = self.stack.cli("audit", "verify")
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)

    def test_zzz_no_server_errors(self):
        time.sleep(1.5)  # nginx flushes its access log every second
        log = self.stack.log("nginx-access")
        self.assertIn("/api/inbox", log)
        self.assertEqual([line for line in log.splitlines() if re.search(r'" 5\d\d ', line)], [])
        # A refusal is an answer, not a failed statement.
        self.assertEqual([line for line in self.stack.log("esurat-fcgi").splitlines() if "query failed" in line], [])


class OverdueTest(DispositionCase):
    """A disposition is overdue from the first moment of the day after its
    deadline in Asia/Jakarta: the clock is set with ESURAT_TEST_NOW and
    esurat-fcgi restarted."""

    @classmethod
    def setUpClass(cls):
        cls.setup_stack(env={"ESURAT_TEST_NOW": "2015-03-10T09:00:00+07:00"})

    def set_clock(self, when):
        self.stack.fcgi_stop()
        self.stack.env["ESURAT_TEST_NOW"] = when
        self.stack.fcgi_start()
        self.stack.wait_health(60)

    def overdue_in_tree(self, letter_id):
        flags = {}

        def walk(nodes):
            for n in nodes:
                flags[n["id"]] = n["overdue"]
                walk(n["children"])

        walk(self.s("walikota").get("/api/letters/%d" % letter_id).json["dispositions"])
        return flags

    def test_overdue_on_both_sides_of_a_deadline(self):
        letter = self.register()
        lid = letter["id"]
        self.assertError(self.dispose("walikota", lid, "Sekretaris Daerah", deadline="2015-03-09", status=400),
                         400, "invalid_field", "deadline")
        d1 = self.dispose("walikota", lid, "Sekretaris Daerah", deadline="2015-03-10").json["items"][0]["id"]
        d_later = self.dispose("walikota", lid, "Asisten Pemerintahan", deadline="2015-03-11").json["items"][0]["id"]
        self.assertEqual(self.counts("sekda")["overdue"], 0)
        for when, sekda_overdue, asisten_overdue in [
            ("2015-03-10T23:59:59+07:00", 0, 0),   # the last second of the deadline
            ("2015-03-10T16:59:59Z", 0, 0),        # the same second in UTC
            ("2015-03-11T00:00:00+07:00", 1, 0),   # the first second after it
            ("2015-03-10T17:00:00Z", 1, 0),        # the same in UTC
            ("2015-03-12T00:00:00+07:00", 1, 1),
        ]:
            with self.subTest(when=when):
                self.set_clock(when)
                self.assertEqual(self.counts("sekda"), {"unread": 1, "open": 1, "overdue": sekda_overdue})
                self.assertEqual(self.counts("asisten1")["overdue"], asisten_overdue)
                self.assertEqual(self.inbox("sekda")["counts"]["overdue"], sekda_overdue)
                flags = self.overdue_in_tree(lid)
                self.assertEqual((flags[d1], flags[d_later]), (bool(sekda_overdue), bool(asisten_overdue)))
                item = next(i for i in self.inbox("sekda")["items"] if i["disposition"]["id"] == d1)
                self.assertEqual(item["disposition"]["overdue"], bool(sekda_overdue))
        # Done late is no longer overdue.
        self.complete("sekda", d1)
        self.assertEqual(self.counts("sekda")["overdue"], 0)
        self.assertFalse(self.overdue_in_tree(lid)[d1])
        self.assertEqual(self.counts("asisten1")["overdue"], 1)


if __name__ == "__main__":
    unittest.main(verbosity=2)
