"""Archive search over the real nginx, esurat-fcgi, esurat-worker (its
indexer thread) and PostgreSQL: Indonesian stemming, letter numbers whole
and by parts, prefixes, phrases from the OCR text of an uploaded scan with
the phrase marked in the snippet, date and classification filters, the
spelling suggestion, rights before ranking (results, totals and facets),
a disposition that opens a confidential letter to a new position, hostile
queries, the index directory deleted and rebuilt, `esurat reindex`, and
100 concurrent searches while the indexer writes.

The OCR worker is not part of this branch: the text of a scan is written
into page_texts by SQL, as the OCR worker does (its trigger queues the
letter for the indexer), after the scan itself was uploaded through the
API."""

import os
import re
import shutil
import struct
import sys
import threading
import time
import unittest
import urllib.parse
import zlib

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Stack  # noqa: E402

OCR_PAGE_1 = (
    "PEMERINTAH KOTA PEKANBARU\nDINAS PEKERJAAN UMUM\n"
    "Dengan hormat, bersama ini kami sampaikan bahwa perbaikan saluran drainase "
    "di Jalan Sudirman akan dimulai pada minggu depan."
)
OCR_PAGE_2 = (
    "Sehubungan dengan hal tersebut kami mohon dukungan Bapak agar pengalihan arus "
    "lalu lintas dapat dikoordinasikan dengan Dinas Perhubungan & <Satpol PP>.\n"
    "Demikian disampaikan, atas perhatian Bapak diucapkan terima kasih."
)


def png(seed=0):
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    rows = b"".join(b"\x00" + bytes((x * 16 + y + seed) & 0xFF for x in range(16)) for y in range(16))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 16, 16, 8, 0, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def q(**params):
    return "/api/search?" + urllib.parse.urlencode(params)


class SearchTest(unittest.TestCase):
    maxDiff = None

    @classmethod
    def setUpClass(cls):
        cls.stack = Stack(env={"ESURAT_INDEX_POLL_MS": "100"})
        cls.addClassCleanup(cls.stack.stop)
        st = cls.stack
        st.psql(
            "INSERT INTO classifications (code, title, parent_code) VALUES"
            " ('005', 'Undangan', '000'), ('090', 'Perjalanan Dinas', '000'), ('800', 'Kepegawaian', NULL)"
            " ON CONFLICT DO NOTHING"
        )
        cls.positions = dict(line.split("|") for line in st.psql("SELECT title || '|' || id FROM positions").splitlines())
        cls.sessions = {}
        umum = cls.s("umum")
        walikota_pos = int(cls.positions["Walikota Pekanbaru"])

        def register(**kw):
            body = {
                "direction": "in",
                "letter_date": "2015-01-20",
                "sender": "Dinas Pendidikan",
                "recipient": "Walikota Pekanbaru",
                "classification": "005",
                "security": "biasa",
                "to_position_id": walikota_pos,
            }
            body.update(kw)
            r = umum.post("/api/letters", json=body)
            assert r.status == 201, r
            return r.json

        cls.l_undangan = register(
            letter_number="005/123/Disdik/2015",
            subject="Undangan Rapat Koordinasi Penerimaan Siswa Baru",
            summary="Kami mengundang Bapak menghadiri rapat koordinasi.",
        )
        cls.l_pelaksanaan = register(
            letter_number="090/77/Bappeda/2014",
            sender="Badan Perencanaan Pembangunan Daerah",
            subject="Laporan kegiatan yang dilaksanakan triwulan pertama",
            summary="Rekapitulasi program kerja.",
            classification="090",
        )
        cls.l_scan = register(
            letter_number="600/45/PU/2015",
            sender="Dinas Pekerjaan Umum",
            subject="Pemberitahuan perbaikan saluran",
            summary="Pemberitahuan jadwal pekerjaan.",
            classification="800",
        )
        cls.l_secret = register(
            letter_number="R-800/9/BKD/2015",
            sender="Badan Kepegawaian Daerah",
            subject="Usulan mutasi pejabat eselon zamrudrahasia",
            summary="Daftar nama pejabat yang diusulkan.",
            classification="800",
            security="rahasia",
        )
        # The scan, through the API; its OCR text as the OCR worker writes it.
        r = umum.post(
            "/api/letters/%d/scans" % cls.l_scan["id"],
            data=png(3),
            headers={"Content-Type": "image/png", "X-File-Name": "surat-pu.png"},
        )
        assert r.status == 201, r
        cls.scan_id = r.json["id"]
        st.psql(
            "INSERT INTO page_texts (scan_id, page, text, confidence) VALUES (%d, 1, %s, 91), (%d, 2, %s, 88)"
            % (cls.scan_id, sql_literal(OCR_PAGE_1), cls.scan_id, sql_literal(OCR_PAGE_2))
        )
        cls.wait_indexed()

    @classmethod
    def s(cls, username):
        if username not in cls.sessions:
            sess = cls.stack.session()
            r = sess.login(username)
            assert r.status == 200, r
            cls.sessions[username] = sess
        return cls.sessions[username]

    @classmethod
    def wait_indexed(cls, timeout=20):
        """Until the indexer has processed every outbox row."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            if cls.stack.psql("SELECT count(*) FROM index_outbox WHERE processed_at IS NULL") == "0":
                return
            time.sleep(0.05)
        raise AssertionError("index outbox not drained in %ss:\n%s" % (timeout, cls.stack.log("esurat-worker")[-3000:]))

    def search(self, user="arsiparis", status=200, **params):
        r = self.s(user).get(q(**params))
        self.assertEqual(r.status, status, r)
        return r.json

    def ids(self, user="arsiparis", **params):
        return [item["letter"]["id"] for item in self.search(user, **params)["items"]]

    # ------------------------------------------------------------ words
    def test_stemming(self):
        self.assertIn(self.l_undangan["id"], self.ids(q="mengundang"))  # subject: Undangan
        self.assertIn(self.l_undangan["id"], self.ids(q="undangan"))
        self.assertIn(self.l_pelaksanaan["id"], self.ids(q="pelaksanaan"))  # subject: dilaksanakan
        self.assertIn(self.l_pelaksanaan["id"], self.ids(q="dilaksanakan"))

    def test_number_whole_and_parts(self):
        lid = self.l_undangan["id"]
        for number in ("005/123/Disdik/2015", "123/Disdik", "Disdik/2015", "123/disdik"):
            self.assertEqual(self.ids(number=number), [lid], number)
        self.assertEqual(self.ids(number="124/Disdik"), [])
        self.assertEqual(self.ids(q="123/Disdik")[0], lid)
        self.assertEqual(self.ids(q="005/123/Disdik/2015")[0], lid)

    def test_prefix_phrase_boolean(self):
        self.assertIn(self.l_undangan["id"], self.ids(q="koordin*"))
        self.assertEqual(self.ids(q='"rapat koordinasi"'), [self.l_undangan["id"]])
        self.assertEqual(self.ids(q='"koordinasi rapat"'), [])
        self.assertEqual(self.ids(q="rapat -koordinasi"), [])
        both = set(self.ids(q="siswa OR triwulan"))
        self.assertEqual(both, {self.l_undangan["id"], self.l_pelaksanaan["id"]})

    def test_phrase_from_ocr_text_first_and_marked(self):
        res = self.search(q='"saluran drainase"')
        self.assertGreaterEqual(res["total"], 1)
        first = res["items"][0]
        self.assertEqual(first["letter"]["id"], self.l_scan["id"])
        self.assertIn("<mark>saluran drainase</mark>", first["snippet"])
        self.assertEqual((first["scan_id"], first["page"]), (self.scan_id, 1))
        # A word of page 2: the snippet stands on page 2, escaped.
        res = self.search(q="pengalihan")
        first = res["items"][0]
        self.assertEqual((first["letter"]["id"], first["page"]), (self.l_scan["id"], 2))
        self.assertIn("<mark>pengalihan</mark>", first["snippet"])
        res = self.search(q="Satpol")
        snippet = res["items"][0]["snippet"]
        self.assertIn("&amp;", snippet)
        self.assertIn("&lt;", snippet)
        self.assertNotIn("<Satpol", snippet)
        # Nothing but <mark> is markup.
        self.assertEqual(set(re.findall(r"</?([a-zA-Z]+)", snippet)), {"mark"})

    def test_filters_narrow(self):
        both = {self.l_undangan["id"], self.l_pelaksanaan["id"]}
        self.assertEqual(set(self.ids(q="siswa OR triwulan", classification="0")), both)
        self.assertEqual(self.ids(q="siswa OR triwulan", classification="00"), [self.l_undangan["id"]])
        self.assertEqual(self.ids(q="siswa OR triwulan", classification="09"), [self.l_pelaksanaan["id"]])
        self.assertEqual(self.ids(q="siswa OR triwulan", classification="8"), [])
        self.assertEqual(self.ids(q="siswa OR triwulan", direction="out"), [])
        self.assertEqual(self.ids(q="siswa", sender="dinas pendidikan"), [self.l_undangan["id"]])
        self.assertEqual(self.ids(q="siswa", sender="Bappeda"), [])
        # Registration dates: move one letter into 2014 (as registered then)
        # and queue it, as any change does.
        lid = self.l_pelaksanaan["id"]
        self.stack.psql(
            "UPDATE letters SET created_at = '2014-03-15 10:00+07' WHERE id = %d;"
            " INSERT INTO index_outbox (letter_id) VALUES (%d)" % (lid, lid)
        )
        self.wait_indexed()
        self.assertEqual(self.ids(q="siswa OR triwulan", **{"from": "2014-01-01", "to": "2014-12-31"}), [lid])
        self.assertEqual(self.ids(q="siswa OR triwulan", **{"from": "2014-03-15", "to": "2014-03-15"}), [lid])
        self.assertEqual(self.ids(q="siswa OR triwulan", **{"from": "2014-03-16", "to": "2014-12-31"}), [])
        self.assertEqual(self.ids(q="siswa OR triwulan", **{"from": "2015-01-01"}), [self.l_undangan["id"]])
        res = self.search(q="siswa OR triwulan")
        self.assertEqual(res["facets"]["year"].get("2014"), 1)
        self.assertEqual(res["facets"]["classification"], {"0": 2})  # main classes
        res = self.search(q="siswa OR triwulan", classification="0")
        self.assertEqual(res["facets"]["classification"], {"00": 1, "09": 1})  # one level down
        res = self.search(q="siswa OR triwulan", classification="00")
        self.assertEqual(res["facets"]["classification"], {"005": 1})
        dated = self.ids(q="siswa OR triwulan", sort="date")
        self.assertEqual(dated, [self.l_undangan["id"], lid])  # newest first
        r = self.s("arsiparis").get(q(q="x", **{"from": "2015-02-30"}))
        self.assertEqual(r.status, 400, r)

    def test_spelling_suggestion(self):
        res = self.search(q="kordinasi")
        self.assertEqual(res["suggestion"], "koordinasi")

    def test_totals_estimated_flag(self):
        res = self.search(q="undangan")
        self.assertIn("total_exact", res)
        self.assertIsInstance(res["took_ms"], (int, float))

    # ------------------------------------------------------------ rights
    def test_confidential_letter_rights_before_ranking(self):
        lid = self.l_secret["id"]
        for user in ("asisten1", "arsiparis", "kabag.hukum", "sekda"):
            res = self.search(user, q="zamrudrahasia")
            self.assertEqual((res["total"], res["items"]), (0, []), user)
            self.assertEqual(res["facets"], {"year": {}, "classification": {}}, user)
            # Also as a number and in a broad search with facets.
            self.assertEqual(self.search(user, number="9/BKD")["total"], 0, user)
            broad = self.search(user, q="pejabat OR mutasi OR saluran")
            self.assertNotIn(lid, [i["letter"]["id"] for i in broad["items"]], user)
        for user in ("walikota", "umum", "admin"):
            self.assertEqual(self.ids(user, q="zamrudrahasia"), [lid], user)
        # The facet of class 8 counts only the scan's letter for an outsider.
        self.assertEqual(self.search("asisten1", q="pejabat OR saluran")["facets"]["classification"], {"8": 1})
        self.assertEqual(self.search("walikota", q="pejabat OR saluran")["facets"]["classification"], {"8": 2})
        self.assertEqual(self.search("asisten1", q="pejabat OR saluran", classification="80")["facets"]["classification"],
                         {"800": 1})

    def test_disposition_opens_letter_to_new_position(self):
        # A letter of its own: the other test reads l_secret for sekda.
        umum = self.s("umum")
        r = umum.post(
            "/api/letters",
            json={
                "direction": "in",
                "letter_number": "R-800/10/BKD/2015",
                "sender": "Badan Kepegawaian Daerah",
                "recipient": "Walikota Pekanbaru",
                "subject": "Berkas kepegawaian safirdisposisi",
                "classification": "800",
                "security": "sangat_rahasia",
                "to_position_id": int(self.positions["Walikota Pekanbaru"]),
            },
        )
        self.assertEqual(r.status, 201, r)
        lid = r.json["id"]
        self.wait_indexed()
        self.assertEqual(self.ids("sekda", q="safirdisposisi"), [])
        # Walikota disposes to Sekda (the dispositions API is another
        # branch; its rows, as it writes them).
        walikota_user = self.stack.psql("SELECT id FROM users WHERE username = 'walikota'")
        self.stack.psql(
            "INSERT INTO dispositions (letter_id, parent_id, from_position_id, to_position_id, note, created_by)"
            " SELECT %d, d.id, d.to_position_id, %s, 'Mohon ditelaah kelengkapannya', %s"
            " FROM dispositions d WHERE d.letter_id = %d"
            % (lid, self.positions["Sekretaris Daerah"], walikota_user, lid)
        )
        self.wait_indexed()
        self.assertEqual(self.ids("sekda", q="safirdisposisi"), [lid])
        self.assertEqual(self.ids("sekda", q="ditelaah"), [lid])  # the note is searched
        self.assertEqual(self.ids("asisten1", q="safirdisposisi"), [])

    def test_outbox_one_row_per_letter_and_transaction(self):
        lid = self.l_undangan["id"]
        count = "SELECT count(*) FROM index_outbox WHERE letter_id = %d" % lid
        before = int(self.stack.psql(count))
        # Code that queues the letter itself, twice, and a trigger (the
        # routing's note changes): one row.
        self.stack.psql(
            "BEGIN; INSERT INTO index_outbox (letter_id) VALUES (%d); INSERT INTO index_outbox (letter_id) VALUES (%d);"
            " UPDATE dispositions SET note = 'Segera hadiri' WHERE letter_id = %d; COMMIT" % (lid, lid, lid)
        )
        self.assertEqual(int(self.stack.psql(count)), before + 1)
        self.wait_indexed()
        self.assertEqual(self.ids(q="hadiri"), [lid])  # the note is searched
        # Another transaction queues it again.
        self.stack.psql("INSERT INTO index_outbox (letter_id) VALUES (%d)" % lid)
        self.assertEqual(int(self.stack.psql(count)), before + 2)

    # ------------------------------------------------------------ hostile input
    def test_hostile_queries(self):
        pids = self.stack.fcgi_worker_pids()
        hostile = [
            '"', "*", "NEAR(", "AND OR", "((((", "))))", "-", "+", "a" * 10000, "kata " * 2000,
            "\x01\x02\x1f\x7f rapat", "rapat\ttab\nnewline", "NEAR/3 ADJ/2", '"rapat', "OR", "NOT",
            "undangan*" * 50, "a*", "*a", "a* b* c* d* e*", "💡🚀 ünïcödé", "'; DROP TABLE letters; --",
            "<script>alert(1)</script>", "%00", "\\", "koordinasi~", "subject:rapat", "(rapat OR) AND",
        ]
        for text in hostile:
            r = self.s("arsiparis").get(q(q=text))
            self.assertEqual(r.status, 200, "%r: %r" % (text[:40], r))
            self.assertIsInstance(r.json.get("items"), list)
        for params in ({"number": "////"}, {"sender": "((("}, {"classification": "."}, {"q": "x", "limit": "100"}):
            self.assertEqual(self.s("arsiparis").get(q(**params)).status, 200, params)
        # Invalid UTF-8 and an encoded NUL: 400 with a message.
        for raw in ("q=%FF%FE", "q=%C3", "q=a%00b"):
            r = self.s("arsiparis").get("/api/search?" + raw)
            self.assertEqual(r.status, 400, r)
            self.assertTrue(r.json["error"]["message"], r)
        for params in ({"limit": "0"}, {"limit": "x"}, {"offset": "-1"}, {"direction": "sideways"}, {"sort": "up"}):
            r = self.s("arsiparis").get(q(q="rapat", **params))
            self.assertEqual(r.status, 400, (params, r))
        self.assertEqual(self.stack.session().get(q(q="rapat")).status, 401)
        # The workers survived, and search still works.
        self.assertEqual(self.stack.fcgi_worker_pids(), pids)
        self.assertIn(self.l_undangan["id"], self.ids(q="undangan"))

    # ------------------------------------------------------------ the index itself
    def _snapshot(self):
        out = {}
        for params in ({"q": "undangan"}, {"q": '"saluran drainase"'}, {"number": "123/Disdik"},
                       {"q": "pejabat OR saluran OR siswa"}, {"q": "koordin*"}):
            res = self.search("walikota", **params)
            out[str(params)] = ([i["letter"]["id"] for i in res["items"]], res["total"], res["facets"])
        return out

    def _wait_search_ok(self, timeout=60):
        deadline = time.time() + timeout
        while time.time() < deadline:
            r = self.s("walikota").get(q(q="undangan"))
            if r.status == 200 and r.json["total"] > 0:
                return
            self.assertIn(r.status, (200, 503), r)
            time.sleep(0.2)
        self.fail("search did not come back:\n" + self.stack.log("esurat-worker")[-3000:])

    def test_index_deleted_is_rebuilt(self):
        self.wait_indexed()
        before = self._snapshot()
        index_dir = os.path.join(self.stack.data, "index")
        # While the worker runs: it notices and rebuilds.
        shutil.rmtree(index_dir)
        self._wait_search_ok()
        self.assertEqual(self._snapshot(), before)
        # While it is stopped: rebuilt at its start.
        self.stack.stack("worker_stop")
        shutil.rmtree(index_dir)
        self.stack.stack("worker_start")
        self._wait_search_ok()
        self.assertEqual(self._snapshot(), before)
        log = self.stack.log("esurat-worker")
        self.assertIn("is gone", log)
        self.assertGreaterEqual(log.count("rebuilt in"), 3)

    def test_index_check_command(self):
        r = self.s("umum").post("/api/letters", json={
            "direction": "in", "letter_number": "005/77/CEK/2015", "letter_date": "2015-01-20",
            "sender": "Dinas Pendidikan", "recipient": "Walikota Pekanbaru", "subject": "Cek indeks",
            "classification": "005", "to_position_id": int(self.positions["Walikota Pekanbaru"])})
        self.assertEqual(r.status, 201, r)
        lid = r.json["id"]
        self.wait_indexed()
        p = self.stack.cli("index", "check", check=False)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertIn("index in step with the database", p.stdout)
        # A change that went around the outbox: the index no longer says
        # what the database says, and the check names the letter.
        self.stack.psql("UPDATE letters SET subject = 'Perihal diubah tanpa antrean' WHERE id = %d" % lid)
        p = self.stack.cli("index", "check", check=False)
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        self.assertIn("0 missing, 0 extra, 1 different", p.stderr)
        self.assertIn("letter %d: term" % lid, p.stderr)
        # Queued and indexed: in step again.
        self.stack.psql("SELECT index_outbox_queue(%d)" % lid)
        self.wait_indexed()
        p = self.stack.cli("index", "check", check=False)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)

    def test_reindex_command(self):
        self.wait_indexed()
        before = self._snapshot()
        # Three threads on three id ranges, merged.
        p = self.stack.cli("reindex", env={"ESURAT_INDEX_BUILD_THREADS": "3"})
        self.assertRegex(p.stderr, r"indexed \d+ of \d+ letters")
        self.assertRegex(p.stdout, r"reindexed \d+ letters")
        # The worker follows the new generation and keeps indexing into it.
        deadline = time.time() + 20
        while "following it" not in self.stack.log("esurat-worker") and time.time() < deadline:
            time.sleep(0.1)
        self.assertIn("following it", self.stack.log("esurat-worker"))
        self.assertEqual(self._snapshot(), before)

        def gens():
            return [n for n in os.listdir(os.path.join(self.stack.data, "index")) if n.startswith("gen-")]

        deadline = time.time() + 10
        while len(gens()) > 1 and time.time() < deadline:
            time.sleep(0.1)
        self.assertEqual(len(gens()), 1, gens())
        lid = self.l_undangan["id"]
        self.stack.psql("INSERT INTO index_outbox (letter_id) VALUES (%d)" % lid)
        self.wait_indexed()
        self.assertEqual(self.ids(q="undangan")[0], lid)

    def test_searchable_within_a_second_and_concurrent_searches(self):
        umum = self.s("umum")
        stop = threading.Event()
        written = []
        errors = []

        def writer():
            # Each letter's subject and OCR text change together, in one
            # transaction: a document half-written would match one
            # marker without the other.
            n = 0
            while not stop.is_set() and n < 40:
                n += 1
                r = umum.post(
                    "/api/letters",
                    json={
                        "direction": "in",
                        "letter_number": "KONK/%d/%d" % (os.getpid(), n),
                        "sender": "Kecamatan Sukajadi",
                        "recipient": "Walikota Pekanbaru",
                        "subject": "Laporan kecamatan nomor %d" % n,
                        "classification": "005",
                    },
                )
                if r.status != 201:
                    errors.append(r)
                    return
                lid = r.json["id"]
                self.stack.psql(
                    "BEGIN; UPDATE letters SET subject = 'Laporan alfa%d gamma%d' WHERE id = %d;"
                    " INSERT INTO scans (letter_id, sha256, bytes, mime, uploaded_by)"
                    "  SELECT %d, repeat('%x', 64), 1, 'image/png', created_by FROM letters WHERE id = %d;"
                    " INSERT INTO page_texts (scan_id, page, text)"
                    "  SELECT id, 1, 'isi beta%d gamma%d' FROM scans WHERE letter_id = %d;"
                    " INSERT INTO index_outbox (letter_id) VALUES (%d); COMMIT"
                    % (n, n, lid, lid, n % 16, lid, n, n, lid, lid)
                )
                written.append((n, lid, time.time()))

        results = []
        lock = threading.Lock()

        def searcher(k):
            sess = self.stack.session()
            sess.cookies = dict(self.s("arsiparis").cookies)
            for i in range(3):
                n = (k + i) % 40 + 1
                for text in ("alfa%d -beta%d" % (n, n), "beta%d -alfa%d" % (n, n), "gamma%d" % n):
                    try:
                        r = sess.get(q(q=text), timeout=60)
                        outcome = (text, r.status, r.json["total"] if r.status == 200 else r.text[:200])
                    except Exception as e:  # noqa: BLE001
                        outcome = (text, type(e).__name__, None)
                    with lock:
                        results.append(outcome)

        w = threading.Thread(target=writer)
        w.start()
        time.sleep(0.5)
        threads = [threading.Thread(target=searcher, args=(k,)) for k in range(100)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        stop.set()
        w.join(60)
        self.assertEqual(errors, [])
        self.assertEqual(len(results), 900)
        bad = [r for r in results if r[1] != 200]
        self.assertEqual(bad, [], bad[:5])
        half = [r for r in results if not r[0].startswith("gamma") and r[2] != 0]
        self.assertEqual(half, [], "half-written letters seen: %r" % half[:5])
        # A change is searchable within a second of its commit.
        lid = self.l_undangan["id"]
        self.stack.psql(
            "UPDATE letters SET summary = 'Tambahan kata berlianbaru' WHERE id = %d;"
            " INSERT INTO index_outbox (letter_id) VALUES (%d)" % (lid, lid)
        )
        t0 = time.time()
        while self.ids(q="berlianbaru") != [lid]:
            self.assertLess(time.time() - t0, 1.0, "not searchable within a second")
            time.sleep(0.02)
        for n, lid2, _ in written[-3:]:
            self.assertEqual(self.ids(q="alfa%d beta%d" % (n, n)), [lid2])


def sql_literal(text):
    return "'" + text.replace("'", "''") + "'"


if __name__ == "__main__":
    unittest.main(verbosity=2)
