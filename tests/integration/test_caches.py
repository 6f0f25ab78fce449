"""What e-Surat keeps to answer faster must never answer wrong: the letter
page kept in letter_docs (sql/009_letter_docs.sql) and the pages each
esurat-fcgi worker remembers (fcgi/view_cache.c: letter pages, inboxes,
the registrar's unit and classification check) follow every change of what they show: a change made through the API at
once, whichever worker answers next, and under concurrent reads; a change
made elsewhere (SQL here, standing for another host, the OCR worker or the
CLI) within moments, as PostgreSQL's notification arrives. Each worker's
memory of sessions (fcgi/session_cache.c) forgets a session the moment it
ends or its user's rights change; and a transaction whose COMMIT travels
with its last statement (one round trip) that fails at COMMIT leaves
nothing behind."""

import os
import sys
import threading
import unittest

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Stack, eventually  # noqa: E402
from test_scans import png  # noqa: E402

# Enough requests that both esurat-fcgi workers answer some of them.
SPREAD = 12


class CachesTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        # Sessions and pages trusted for a minute: whatever ends one sooner
        # is the notification from PostgreSQL or the shared counter, not the
        # clock.
        cls.stack = Stack(env={"ESURAT_SESSION_CACHE_MS": "60000", "ESURAT_VIEW_CACHE_MS": "60000"})
        cls.addClassCleanup(cls.stack.stop)
        rows = cls.stack.psql("SELECT title || '|' || id FROM positions")
        cls.positions = dict(line.split("|") for line in rows.splitlines())
        cls.counter = 0

    def login(self, username):
        s = self.stack.session()
        r = s.login(username)
        self.assertEqual(r.status, 200, r)
        return s

    def register(self, session, **kw):
        CachesTest.counter += 1
        body = {
            "direction": "in",
            "letter_number": "005/%d/Cache/2015" % CachesTest.counter,
            "letter_date": "2015-01-20",
            "sender": "Dinas Pendidikan",
            "recipient": "Walikota Pekanbaru",
            "subject": "Undangan Rapat",
            "security": "biasa",
        }
        body.update(kw)
        r = session.post("/api/letters", json=body)
        self.assertEqual(r.status, 201, r)
        return r.json

    def page(self, session, letter_id):
        r = session.get("/api/letters/%d" % letter_id)
        self.assertEqual(r.status, 200, r)
        return r.json

    def settled(self, session, letter_id, probe):
        """After a change made outside the API: the page, once every
        worker shows it (probe(page) true SPREAD times in a row), or the
        last page seen when that does not happen in time."""
        pages = []

        def all_show():
            pages[:] = [self.page(session, letter_id) for _ in range(SPREAD)]
            return all(probe(p) for p in pages)

        eventually(all_show)
        return pages[-1]

    def cached(self, letter_id):
        return self.stack.psql("SELECT doc IS NOT NULL FROM letter_docs WHERE letter_id = %d" % letter_id) == "t"

    # ------------------------------------------------------------ letter page
    def test_letter_page_follows_every_change(self):
        umum = self.login("umum")
        letter = self.register(umum)
        lid = letter["id"]
        first = self.page(umum, lid)
        self.assertTrue(self.cached(lid), "the page is kept once built")
        self.assertEqual(self.page(umum, lid), first, "and read back the same")

        # A correction (PATCH): new subject and one more history entry.
        r = umum.patch("/api/letters/%d" % lid, json={"subject": "Undangan Rapat Koordinasi"})
        self.assertEqual(r.status, 200, r)
        page = self.page(umum, lid)
        self.assertEqual(page["subject"], "Undangan Rapat Koordinasi")
        self.assertEqual([h["action"] for h in page["history"]], ["letter.register", "letter.update"])

        # A scan upload, then the OCR job's status as the worker sets it.
        r = umum.post("/api/letters/%d/scans" % lid, data=png(seed=7), headers={"Content-Type": "image/png"})
        self.assertEqual(r.status, 201, r)
        scan_id = r.json["id"]
        page = self.page(umum, lid)
        self.assertEqual([s["id"] for s in page["scans"]], [scan_id])
        for _ in range(SPREAD):  # every worker remembers the page
            self.page(umum, lid)
        self.stack.psql("UPDATE ocr_jobs SET status = 'failed' WHERE scan_id = %d" % scan_id)
        page = self.settled(umum, lid, lambda p: p["scans"][0]["ocr_status"] == "failed")
        self.assertEqual(page["scans"][0]["ocr_status"], "failed")

        # A disposition written by another path (SQL here), and its instruction.
        walikota = self.positions["Walikota Pekanbaru"]
        did = self.stack.psql(
            "INSERT INTO dispositions (letter_id, to_position_id, created_by)"
            " VALUES (%d, %s, (SELECT id FROM users WHERE username = 'umum')) RETURNING id" % (lid, walikota)
        ).splitlines()[0]
        page = self.settled(umum, lid, lambda p: int(did) in [d["id"] for d in p["dispositions"]])
        self.assertIn(int(did), [d["id"] for d in page["dispositions"]])
        code = self.stack.psql("SELECT code FROM instructions ORDER BY code LIMIT 1")
        self.stack.psql("INSERT INTO disposition_instructions (disposition_id, instruction_code) VALUES (%s, '%s')"
                        % (did, code))
        page = self.settled(umum, lid, lambda p: code in p["dispositions"][-1]["instructions"])
        self.assertIn(code, page["dispositions"][-1]["instructions"])

        # Names shown on every page: a user's and a position's.
        self.stack.psql("UPDATE users SET name = 'Rina Marlina, S.Sos., M.Si.' WHERE username = 'umum'")
        page = self.settled(umum, lid, lambda p: p["history"][0]["user"]["name"] == "Rina Marlina, S.Sos., M.Si.")
        self.assertEqual(page["history"][0]["user"]["name"], "Rina Marlina, S.Sos., M.Si.")
        self.stack.psql("UPDATE positions SET title = 'Wali Kota Pekanbaru' WHERE id = %s" % walikota)
        try:
            page = self.settled(
                umum, lid, lambda p: "Wali Kota Pekanbaru" in [d["to_position"]["title"] for d in p["dispositions"]])
            self.assertIn("Wali Kota Pekanbaru", [d["to_position"]["title"] for d in page["dispositions"]])
        finally:
            self.stack.psql("UPDATE positions SET title = 'Walikota Pekanbaru' WHERE id = %s" % walikota)

        # Made confidential: outsiders lose it at once, though it was kept.
        arsiparis = self.login("arsiparis")
        self.page(arsiparis, lid)
        r = umum.patch("/api/letters/%d" % lid, json={"security": "rahasia"})
        self.assertEqual(r.status, 200, r)
        for _ in range(SPREAD):
            self.assertEqual(arsiparis.get("/api/letters/%d" % lid).status, 404)
        self.assertEqual(self.page(umum, lid)["security"], "rahasia")

    def test_letter_page_is_never_stale_under_concurrent_reads(self):
        umum = self.login("umum")
        lid = self.register(umum)["id"]
        path = "/api/letters/%d" % lid
        stop = threading.Event()
        errors = []

        def reader():
            s = self.login("umum")
            while not stop.is_set():
                r = s.get(path)
                if r.status != 200:
                    errors.append(r)

        readers = [threading.Thread(target=reader) for _ in range(4)]
        for t in readers:
            t.start()
        try:
            for i in range(25):
                subject = "Perubahan ke-%d" % i
                r = umum.patch(path, json={"subject": subject})
                self.assertEqual(r.status, 200, r)
                # Read your own write, whichever worker answers.
                for _ in range(3):
                    self.assertEqual(self.page(umum, lid)["subject"], subject)
        finally:
            stop.set()
            for t in readers:
                t.join()
        self.assertEqual(errors, [])
        self.assertEqual(len(self.page(umum, lid)["history"]), 26)

    # ------------------------------------------------------------ inbox
    def inbox_ids(self, session, query=""):
        r = session.get("/api/inbox" + query)
        self.assertEqual(r.status, 200, r)
        return [item["letter"]["id"] for item in r.json["items"]], r.json["counts"]

    def test_inbox_follows_every_change(self):
        umum, walikota = self.login("umum"), self.login("walikota")
        to_walikota = int(self.positions["Walikota Pekanbaru"])
        for _ in range(SPREAD):  # every worker remembers the inbox
            before, counts = self.inbox_ids(walikota)
        # A letter routed to the Walikota: in the next inbox read, whichever
        # worker answers.
        lid = self.register(umum, to_position_id=to_walikota)["id"]
        for _ in range(SPREAD):
            ids, now = self.inbox_ids(walikota)
            self.assertIn(lid, ids)
            self.assertEqual(now["unread"], counts["unread"] + 1)
            r = walikota.get("/api/inbox/counts")
            self.assertEqual(r.json["counts"]["unread"], counts["unread"] + 1, r)
        # Opened by the Walikota (GET of the disposition marks it read).
        item = next(i for i in walikota.get("/api/inbox").json["items"] if i["letter"]["id"] == lid)
        self.assertEqual(walikota.get("/api/dispositions/%d" % item["disposition"]["id"]).status, 200)
        for _ in range(SPREAD):
            ids, now = self.inbox_ids(walikota, "?status=unread")
            self.assertNotIn(lid, ids)
        # A correction of the letter shows in the inbox entry.
        r = umum.patch("/api/letters/%d" % lid, json={"subject": "Undangan Rapat Pleno"})
        self.assertEqual(r.status, 200, r)
        for _ in range(SPREAD):
            r = walikota.get("/api/inbox")
            self.assertEqual(next(i for i in r.json["items"] if i["letter"]["id"] == lid)["letter"]["subject"],
                             "Undangan Rapat Pleno")
        # Changed in SQL (another host): every worker shows it within moments.
        self.stack.psql("UPDATE dispositions SET status = 'done', done_at = now() WHERE letter_id = %d" % lid)

        def gone_from_open():
            return all(lid not in self.inbox_ids(walikota, "?status=open")[0] for _ in range(SPREAD))

        self.assertTrue(eventually(gone_from_open), "a disposition completed in SQL leaves the open inbox")
        # Someone else's inbox is never served from the Walikota's.
        sekda = self.login("sekda")
        self.assertNotIn(lid, self.inbox_ids(sekda)[0])

    # ------------------------------------------------------------ sessions
    def test_logout_ends_the_session_in_every_worker(self):
        s = self.login("arsiparis")
        for _ in range(SPREAD):  # both workers remember it
            self.assertEqual(s.get("/api/me").status, 200)
        cookie = s.cookies["esurat_session"]
        self.assertEqual(s.logout().status, 204)
        stolen = self.stack.session()
        stolen.set_cookie("esurat_session", cookie)
        for _ in range(SPREAD):
            self.assertEqual(stolen.get("/api/me").status, 401)

    def test_rights_changed_in_sql_apply_at_once(self):
        s = self.login("umum")
        for _ in range(SPREAD):
            self.assertEqual(s.get("/api/me").status, 200)
        self.stack.psql("DELETE FROM user_roles WHERE user_id = (SELECT id FROM users WHERE username = 'umum')"
                        " AND role = 'front_desk'")
        letter = {"direction": "in", "sender": "X", "recipient": "Y", "subject": "Z", "letter_number": "1/Z"}
        try:
            self.assertTrue(eventually(lambda: s.post("/api/letters", json=letter).status == 403))
            for _ in range(SPREAD):
                r = s.post("/api/letters", json=letter)
                self.assertEqual(r.status, 403, r)
        finally:
            self.stack.psql("INSERT INTO user_roles (user_id, role) SELECT id, 'front_desk' FROM users"
                            " WHERE username = 'umum'")
        self.register(s)
        # Sessions ended in SQL (an operator, another host) end here too.
        for _ in range(SPREAD):
            self.assertEqual(s.get("/api/me").status, 200)
        self.stack.psql("DELETE FROM sessions WHERE user_id = (SELECT id FROM users WHERE username = 'umum')")
        self.assertTrue(eventually(lambda: s.get("/api/me").status == 401))
        for _ in range(SPREAD):
            self.assertEqual(s.get("/api/me").status, 401)

    def test_registrar_unit_follows_classifications(self):
        """The registrar's unit and the classification check are kept by
        each worker (VIEW_UNIT): a classification added through the API is
        usable at once, one added in SQL (another host) within moments."""
        umum = self.login("umum")
        admin = self.login("admin")
        for code, add in (("000.7", "api"), ("000.6", "sql")):
            for _ in range(SPREAD):  # every worker remembers the refusal
                r = umum.post("/api/letters", json={
                    "direction": "in", "letter_number": "1/%s" % code, "sender": "Dinas X", "recipient": "Y",
                    "subject": "Z", "classification": code})
                self.assertEqual(r.status, 400, r)
                self.assertEqual(r.json["error"]["field"], "classification", r)
            if add == "api":
                r = admin.post("/api/classifications", json={"code": code, "title": "Uji %s" % code})
                self.assertEqual(r.status, 201, r)
                for _ in range(SPREAD):
                    self.register(umum, classification=code)
            else:
                self.stack.psql("INSERT INTO classifications (code, title, parent_code) VALUES ('%s', 'Uji', '000')"
                                % code)
                body = {"direction": "in", "sender": "Dinas X", "recipient": "Y", "subject": "Z",
                        "classification": code}
                n = iter(range(1000))
                self.assertTrue(eventually(lambda: umum.post("/api/letters", json=dict(
                    body, letter_number="2/%s/%d" % (code, next(n)))).status == 201))
                for _ in range(SPREAD):
                    self.register(umum, classification=code)

    # ------------------------------------------------------------ COMMIT with the last statement
    def test_failure_at_commit_leaves_nothing(self):
        umum = self.login("umum")
        letter = self.register(umum)
        lid = letter["id"]
        before = self.page(umum, lid)
        # A deferred check that fails only at COMMIT, for this letter's corrections.
        self.stack.psql(
            "CREATE FUNCTION test_refuse() RETURNS trigger LANGUAGE plpgsql AS $$"
            " BEGIN RAISE EXCEPTION 'refused at commit'; END $$;"
            " CREATE CONSTRAINT TRIGGER test_refuse AFTER UPDATE ON letters DEFERRABLE INITIALLY DEFERRED"
            " FOR EACH ROW WHEN (NEW.subject = 'Ditolak') EXECUTE FUNCTION test_refuse();"
        )
        try:
            r = umum.patch("/api/letters/%d" % lid, json={"subject": "Ditolak"})
            self.assertEqual(r.status, 500, r)
        finally:
            self.stack.psql("DROP TRIGGER test_refuse ON letters; DROP FUNCTION test_refuse();")
        self.assertEqual(self.page(umum, lid), before, "neither the change nor its history row")
        self.assertEqual(self.stack.cli("audit", "verify").returncode, 0)
        # The connection carries on.
        r = umum.patch("/api/letters/%d" % lid, json={"subject": "Diterima"})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(self.page(umum, lid)["subject"], "Diterima")

    def test_zz_no_server_errors_but_the_refused_commit(self):
        log = open(os.path.join(self.stack.data, "log", "esurat-fcgi.log"), encoding="utf-8", errors="replace").read()
        failures = [line for line in log.splitlines() if "query failed" in line and "refused at commit" not in line]
        self.assertEqual(failures, [])


if __name__ == "__main__":
    unittest.main(verbosity=2)
