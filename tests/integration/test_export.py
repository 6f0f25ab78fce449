"""Archive export, fixity, retention, backup and restore over the real
nginx, esurat-fcgi, esurat-worker and PostgreSQL (issue 7):

- a period with letters, scans and dispositions exported over HTTP (zip)
  and by the CLI (zip and tar): both bags pass `sha256sum -c` on both
  manifests, Payload-Oxum matches, every letter of the period and no other
  is there, and the exports hold the same payload files;
- confidential letters only in the bags of users allowed to see them, and
  the bag says how many were left out;
- an empty period gives a valid empty bag; from after to is a 400;
- the retention report (JRA) over HTTP (JSON and CSV) and the CLI;
- the worker's continuous fixity check and /api/health;
- backup, restore into a fresh cluster and scan store, export again: the
  same payload;
- an export of 2 000 letters with scans stays under a fixed memory bound;
- a scan altered on disk and one removed: `esurat fixity` names both, and
  /api/health and /metrics say so;
- an export that fails after its first bytes is cut off, never ended as if
  complete (found by scripts/soak).
"""

import csv
import hashlib
import http.client
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
import unittest
import zipfile

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import BUILD_DIR, SOURCE_DIR, Stack  # noqa: E402
from test_scans import pdf, png  # noqa: E402

PERIOD = ("2014-03-01", "2014-03-31")
MEMORY_PERIOD = ("2013-01-01", "2013-12-31")
MEMORY_LETTERS = 2000
# Peak resident memory of `esurat export` (AddressSanitizer build, its
# quarantine capped at 4 MiB): at most this much, and at most
# MEMORY_GROWTH_BOUND more for 2 000 letters (136 MB of archive) than for
# a handful of letters.
MEMORY_BOUND_KB = 96 * 1024
MEMORY_GROWTH_BOUND_KB = 16 * 1024
ASAN = "detect_leaks=0:abort_on_error=1:print_summary=1:quarantine_size_mb=4"


def unpack(archive_path, dest):
    """Unpacks a zip or tar bag into dest; returns the bag's directory."""
    if zipfile.is_zipfile(archive_path):
        with zipfile.ZipFile(archive_path) as z:
            for name in z.namelist():
                assert not name.startswith("/") and ".." not in name.split("/"), name
            z.extractall(dest)
    else:
        with tarfile.open(archive_path) as t:
            for m in t.getmembers():
                assert m.isfile() and not m.name.startswith("/") and ".." not in m.name.split("/"), m.name
            t.extractall(dest)
    entries = os.listdir(dest)
    assert len(entries) == 1, entries
    return os.path.join(dest, entries[0])


def payload(bag):
    """{path relative to the bag: bytes} of data/."""
    out = {}
    for root, _, files in os.walk(os.path.join(bag, "data")):
        for f in files:
            full = os.path.join(root, f)
            with open(full, "rb") as fh:
                out[os.path.relpath(full, bag)] = fh.read()
    return out


def register_rows(bag):
    with open(os.path.join(bag, "data", "register.csv"), "rb") as f:
        raw = f.read()
    assert raw.startswith(b"\xef\xbb\xbf"), raw[:10]
    return list(csv.DictReader(io.StringIO(raw[3:].decode("utf-8"), newline="")))


class ExportCase(unittest.TestCase):
    maxDiff = None

    def login(self, username):
        s = self.stack.session()
        r = s.login(username)
        self.assertEqual(r.status, 200, r)
        return s

    def check_bag(self, bag):
        """RFC 8493 checks; returns bag-info as a dict (repeated labels: lists)."""
        with open(os.path.join(bag, "bagit.txt"), "rb") as f:
            self.assertEqual(f.read(), b"BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n")
        for manifest in ("manifest-sha256.txt", "tagmanifest-sha256.txt"):
            p = subprocess.run(["sha256sum", "--strict", "-c", manifest], cwd=bag, capture_output=True, text=True)
            self.assertEqual(p.returncode, 0, "%s: %s%s" % (manifest, p.stdout, p.stderr))
        info = {}
        with open(os.path.join(bag, "bag-info.txt"), encoding="utf-8") as f:
            for line in f:
                k, _, v = line.rstrip("\n").partition(": ")
                if k in info:
                    info[k] = info[k] if isinstance(info[k], list) else [info[k]]
                    info[k].append(v)
                else:
                    info[k] = v
        files = payload(bag)
        self.assertEqual(info["Payload-Oxum"], "%d.%d" % (sum(len(v) for v in files.values()), len(files)))
        with open(os.path.join(bag, "manifest-sha256.txt")) as f:
            listed = {line.split("  ", 1)[1].rstrip("\n"): line.split("  ", 1)[0] for line in f}
        self.assertEqual(set(listed), set(files))
        for path, data in files.items():
            self.assertEqual(listed[path], hashlib.sha256(data).hexdigest(), path)
        with open(os.path.join(bag, "tagmanifest-sha256.txt")) as f:
            tags = {line.split("  ", 1)[1].rstrip("\n") for line in f}
        self.assertEqual(tags, {"bagit.txt", "bag-info.txt", "manifest-sha256.txt"})
        for k in ("Source-Organization", "Bagging-Date", "Esurat-Period-From", "Esurat-Period-To",
                  "Esurat-Letters", "Esurat-Letters-Withheld"):
            self.assertIn(k, info)
        return info

    def http_export(self, session, frm, to, fmt=None, dest=None):
        q = "/api/export?from=%s&to=%s" % (frm, to) + ("&format=%s" % fmt if fmt else "")
        r = session.get(q, timeout=600)
        self.assertEqual(r.status, 200, r.text[:300])
        path = os.path.join(dest or self.tmp, "http-%s-%s-%s.%s" % (frm, to, time.time(), fmt or "zip"))
        with open(path, "wb") as f:
            f.write(r.body)
        return r, path

    def cli_env(self, stack):
        return dict(stack.env, ESURAT_DATABASE_URL="host=%s dbname=esurat user=esurat" % stack.run_dir,
                    ESURAT_SCAN_DIR=os.path.join(stack.data, "scans"), ASAN_OPTIONS=ASAN)

    def cli_export(self, stack, frm, to, *extra, timed=False):
        out = os.path.join(self.tmp, "cli-%s-%s-%s.bag" % (frm, to, time.time()))
        cmd = [os.path.join(BUILD_DIR, "core", "cli", "esurat"), "export", "--from", frm, "--to", to, "--out", out]
        cmd += list(extra)
        if timed:
            cmd = ["/usr/bin/time", "-v"] + cmd
        p = subprocess.run(cmd, env=self.cli_env(stack), capture_output=True, text=True, timeout=600)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertNotIn("AddressSanitizer", p.stderr)
        rss = None
        m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", p.stderr)
        if m:
            rss = int(m.group(1))
        return out, p, rss


class ExportTest(ExportCase):
    @classmethod
    def setUpClass(cls):
        cls.stack = Stack(env={"ESURAT_OCR_THREADS": "0", "ESURAT_FIXITY_SECONDS": "1", "ASAN_OPTIONS": ASAN})
        cls.addClassCleanup(cls.stack.stop)
        cls.tmp = tempfile.mkdtemp(prefix="wt7-export-")
        cls.addClassCleanup(shutil.rmtree, cls.tmp, True)
        st = cls.stack
        st.psql("INSERT INTO classifications (code, title, parent_code) VALUES ('005', 'Undangan', '000')"
                " ON CONFLICT DO NOTHING")
        pos = dict(line.split("|") for line in st.psql("SELECT title || '|' || id FROM positions").splitlines())
        cls.walikota_pos, cls.sekda_pos = int(pos["Walikota Pekanbaru"]), int(pos["Sekretaris Daerah"])
        umum = st.session()
        assert umum.login("umum").status == 200
        cls.letters = {}  # id -> {"when", "scans": [bytes]}

        def register(n, when, security="biasa", scans=()):
            r = umum.post("/api/letters", json={
                "direction": "in", "letter_number": "005/%d/Disdik/2014" % n, "letter_date": "2014-02-20",
                "sender": "Dinas Pendidikan", "recipient": "Walikota Pekanbaru",
                "subject": "Undangan, \"rapat\" %d; =SUM(A1)" % n, "summary": "Ringkasan\nbaris dua",
                "classification": "005", "security": security, "to_position_id": cls.walikota_pos})
            assert r.status == 201, r
            lid = r.json["id"]
            for data, mime in scans:
                u = umum.post("/api/letters/%d/scans" % lid, data=data, headers={"Content-Type": mime})
                assert u.status == 201, u
            st.psql("UPDATE letters SET created_at = '%s' WHERE id = %d" % (when, lid))
            cls.letters[lid] = {"when": when, "scans": [d for d, _ in scans], "security": security}
            return lid

        cls.in_period = [
            register(1, "2014-03-01 00:00:00+07", scans=[(png(seed=1), "image/png"), (pdf("Satu"), "application/pdf")]),
            register(2, "2014-03-15 12:00:00+07", scans=[(png(seed=2), "image/png")]),
            register(3, "2014-03-31 23:59:59.999+07"),
        ]
        cls.confidential = register(4, "2014-03-20 09:00:00+07", security="rahasia",
                                    scans=[(png(seed=4), "image/png")])
        cls.outside = [register(5, "2014-02-28 23:59:59.999+07", scans=[(png(seed=5), "image/png")]),
                       register(6, "2014-04-01 00:00:00+07")]
        # A forwarded disposition (the tree below the routing), and OCR text.
        first = cls.in_period[0]
        st.psql(
            "WITH p AS (SELECT id FROM dispositions WHERE letter_id = %d AND parent_id IS NULL),"
            " u AS (SELECT id FROM users WHERE username = 'walikota'),"
            " d AS (INSERT INTO dispositions (letter_id, parent_id, from_position_id, to_position_id, note,"
            "        created_by) SELECT %d, p.id, %d, %d, 'Hadiri dan laporkan', u.id FROM p, u RETURNING id)"
            " INSERT INTO disposition_instructions SELECT id, 'hadiri' FROM d"
            % (first, first, cls.walikota_pos, cls.sekda_pos))
        st.psql("UPDATE ocr_jobs SET status = 'done', finished_at = now()")
        st.psql("INSERT INTO page_texts (scan_id, page, text, confidence)"
                " SELECT min(id), 1, 'Undangan rapat koordinasi', 91 FROM scans WHERE letter_id = %d" % first)
        cls.admin = st.session()
        assert cls.admin.login("admin").status == 200
        cls.arsiparis = st.session()
        assert cls.arsiparis.login("arsiparis").status == 200

    # ------------------------------------------------------------ export
    def test_a_period_over_http_and_cli_same_payload(self):
        r, http_zip = self.http_export(self.admin, *PERIOD)
        self.assertEqual(r.header("Content-Type"), "application/zip")
        self.assertIn('filename="esurat-arsip-2014-03-01_2014-03-31.zip"', r.header("Content-Disposition"))
        self.assertIsNone(r.header("Content-Length"))  # streamed
        self.assertIsNone(r.header("X-Accel-Buffering"))  # nginx's, not the client's
        self.assertEqual(r.header("X-Esurat-Letters"), "4")
        http_bag = unpack(http_zip, os.path.join(self.tmp, "http-a"))
        self.assertEqual(os.path.basename(http_bag), "esurat-arsip-2014-03-01_2014-03-31")
        info = self.check_bag(http_bag)
        self.assertEqual(info["Esurat-Letters"], "4")
        self.assertEqual(info["Esurat-Letters-Withheld"], "0")
        self.assertEqual(info["Esurat-Scans"], "4")
        self.assertEqual(info["Esurat-Period-From"], PERIOD[0])
        self.assertEqual(info["Esurat-Period-To"], PERIOD[1])
        self.assertEqual(info["Source-Organization"], "Pemerintah Kota Pekanbaru")
        self.assertEqual(info["Esurat-Exported-By"], "admin")

        rows = register_rows(http_bag)
        expected = set(self.in_period) | {self.confidential}
        self.assertEqual({int(row["id"]) for row in rows}, expected)
        files = payload(http_bag)
        folders = {os.path.dirname(p) for p in files if p.startswith("data/letters/")}
        self.assertEqual(folders, {row["folder"] for row in rows})
        for row in rows:
            lid = int(row["id"])
            self.assertRegex(row["folder"], r"^data/letters/\d{4}/Umum-masuk-\d{5}$")
            doc = json.loads(files[row["folder"] + "/letter.json"])
            self.assertEqual(doc["id"], lid)
            self.assertGreaterEqual(len(doc["history"]), 1)
            self.assertGreaterEqual(len(doc["dispositions"]), 1)
            self.assertIn(row["folder"] + "/ocr.txt", files)
            for i, data in enumerate(self.letters[lid]["scans"], 1):
                ext = "pdf" if data.startswith(b"%PDF") else "png"
                self.assertEqual(files["%s/scan-%d.%s" % (row["folder"], i, ext)], data)
        first = [row for row in rows if int(row["id"]) == self.in_period[0]][0]
        doc = json.loads(files[first["folder"] + "/letter.json"])
        # The disposition log is the tree: the routing, and the disposition
        # forwarded from it.
        self.assertEqual(len(doc["dispositions"]), 1)
        self.assertEqual(len(doc["dispositions"][0]["children"]), 1)
        self.assertEqual(doc["dispositions"][0]["children"][0]["instructions"], ["hadiri"])
        self.assertIn("Undangan rapat koordinasi", files[first["folder"] + "/ocr.txt"].decode())
        self.assertEqual(first["subject"], "Undangan, \"rapat\" 1; =SUM(A1)")

        cli_zip, p, _ = self.cli_export(self.stack, *PERIOD)
        self.assertIn("exported 4 letters", p.stdout)
        cli_bag = unpack(cli_zip, os.path.join(self.tmp, "cli-a"))
        self.check_bag(cli_bag)
        self.assertEqual(payload(cli_bag), files)
        cli_tar, _, _ = self.cli_export(self.stack, *PERIOD, "--format", "tar")
        self.assertFalse(zipfile.is_zipfile(cli_tar))
        tar_bag = unpack(cli_tar, os.path.join(self.tmp, "cli-tar-a"))
        self.check_bag(tar_bag)
        self.assertEqual(payload(tar_bag), files)
        r, http_tar = self.http_export(self.admin, *PERIOD, fmt="tar")
        self.assertEqual(r.header("Content-Type"), "application/x-tar")
        self.assertEqual(payload(unpack(http_tar, os.path.join(self.tmp, "http-tar-a"))), files)
        ExportTest.period_payload = files
        # Every export is on the record.
        self.assertGreaterEqual(int(self.stack.psql("SELECT count(*) FROM audit_log WHERE action = 'export.create'")), 4)

    def test_b_confidential_letters_only_for_those_allowed(self):
        r, path = self.http_export(self.arsiparis, *PERIOD)
        self.assertEqual(r.header("X-Esurat-Withheld"), "1")
        bag = unpack(path, os.path.join(self.tmp, "arsiparis-b"))
        info = self.check_bag(bag)
        self.assertEqual(info["Esurat-Letters"], "3")
        self.assertEqual(info["Esurat-Letters-Withheld"], "1")
        self.assertEqual({int(row["id"]) for row in register_rows(bag)}, set(self.in_period))
        out, _, _ = self.cli_export(self.stack, *PERIOD, "--as", "arsiparis")
        cli_bag = unpack(out, os.path.join(self.tmp, "arsiparis-cli-b"))
        self.assertEqual(self.check_bag(cli_bag)["Esurat-Letters-Withheld"], "1")
        self.assertEqual(payload(cli_bag), payload(bag))

    def test_c_empty_period_is_a_valid_empty_bag(self):
        for fmt in ("zip", "tar"):
            r, path = self.http_export(self.arsiparis, "1999-01-01", "1999-12-31", fmt=fmt)
            bag = unpack(path, os.path.join(self.tmp, "empty-" + fmt))
            info = self.check_bag(bag)
            self.assertEqual(info["Esurat-Letters"], "0")
            files = payload(bag)
            self.assertEqual(list(files), ["data/register.csv"])
            self.assertEqual(register_rows(bag), [])
            self.assertEqual(info["Payload-Oxum"], "%d.1" % len(files["data/register.csv"]))
        out, _, _ = self.cli_export(self.stack, "1999-01-01", "1999-01-01")
        self.check_bag(unpack(out, os.path.join(self.tmp, "empty-cli")))

    def test_d_bad_requests(self):
        def err(r, status, code, field=None):
            self.assertEqual(r.status, status, r)
            self.assertEqual(r.error_code(), code, r)
            if field:
                self.assertEqual(r.json["error"].get("field"), field, r)

        s = self.arsiparis
        err(s.get("/api/export?from=2014-04-01&to=2014-03-01"), 400, "invalid_query", "to")
        err(s.get("/api/export?to=2014-03-01"), 400, "invalid_query", "from")
        err(s.get("/api/export?from=2014-03-01"), 400, "invalid_query", "to")
        err(s.get("/api/export?from=2014-02-30&to=2014-03-01"), 400, "invalid_query", "from")
        err(s.get("/api/export?from=2014-03-01&to=x"), 400, "invalid_query", "to")
        err(s.get("/api/export?from=2014-03-01&to=2014-03-02&format=rar"), 400, "invalid_query", "format")
        umum = self.login("umum")
        err(umum.get("/api/export?from=2014-03-01&to=2014-03-02"), 403, "forbidden")
        err(self.stack.session().get("/api/export?from=2014-03-01&to=2014-03-02"), 401, "unauthenticated")
        p = self.stack.cli("export", "--from", "2014-04-01", "--to", "2014-03-01", "--out", "/dev/null",
                           check=False)
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn("before from", p.stderr)

    # ------------------------------------------------------------ retention
    def test_e_retention_report(self):
        st = self.stack
        st.psql("UPDATE classifications SET retention_active_years = 1, retention_inactive_years = 1,"
                " final_disposition = 'musnah' WHERE code = '000'")
        ours = set(self.in_period) | {self.confidential} | set(self.outside)
        expected = {"2014-06-01": "aktif", "2015-06-01": "inaktif", "2016-06-01": "musnah"}
        for as_of, action in expected.items():
            r = self.arsiparis.get("/api/retention?as_of=%s&action=%s&limit=1000" % (as_of, action))
            self.assertEqual(r.status, 200, r)
            got = {item["letter"]["id"] for item in r.json["items"]} & ours
            self.assertEqual(got, ours - {self.confidential}, as_of)
            self.assertGreaterEqual(r.json["withheld"], 1)
            item = [i for i in r.json["items"] if i["letter"]["id"] == self.in_period[1]][0]
            self.assertEqual(item["rule_code"], "000")
            self.assertEqual(item["active_until"], "2015-03-15")
            self.assertEqual(item["inactive_until"], "2016-03-15")
        # Paging with next_cursor gives every row once.
        seen, cursor = [], None
        while True:
            r = self.arsiparis.get("/api/retention?as_of=2016-06-01&limit=2" + ("&cursor=" + cursor if cursor else ""))
            self.assertEqual(r.status, 200, r)
            seen += [i["letter"]["id"] for i in r.json["items"]]
            cursor = r.json["next_cursor"]
            if not cursor:
                break
        self.assertEqual(len(seen), len(set(seen)))
        self.assertTrue(ours - {self.confidential} <= set(seen))
        r = self.arsiparis.get("/api/retention?as_of=2016-06-01&format=csv")
        self.assertEqual(r.status, 200, r)
        self.assertTrue(r.header("Content-Type").startswith("text/csv"))
        self.assertTrue(r.body.startswith(b"\xef\xbb\xbf"))
        rows = list(csv.DictReader(io.StringIO(r.body[3:].decode(), newline="")))
        self.assertTrue(ours - {self.confidential} <= {int(x["letter_id"]) for x in rows})
        self.assertEqual({x["action"] for x in rows if int(x["letter_id"]) in ours}, {"musnah"})
        p = st.cli("retention", "--as-of", "2016-06-01", "--csv")
        cli_rows = list(csv.DictReader(io.StringIO(p.stdout.lstrip("\ufeff"), newline="")))
        self.assertTrue(ours <= {int(x["letter_id"]) for x in cli_rows})
        p = st.cli("retention", "--as-of", "2015-06-01")
        self.assertIn("Pindah ke arsip inaktif", p.stdout)
        for bad in ("as_of=2015-02-30", "action=bakar", "format=xls", "limit=0", "cursor=x"):
            self.assertEqual(self.arsiparis.get("/api/retention?" + bad).status, 400, bad)
        self.assertEqual(self.login("umum").get("/api/retention").status, 403)

    # ------------------------------------------------------------ fixity (worker)
    def test_m_worker_checks_every_file_and_health_shows_it(self):
        deadline = time.time() + 90
        while time.time() < deadline:
            h = self.stack.session().get("/api/health").json
            if h["fixity"]["files"] > 0 and h["fixity"]["unchecked"] == 0:
                break
            time.sleep(1)
        self.assertEqual(h["fixity"]["unchecked"], 0, h)
        self.assertEqual(h["fixity"]["files"], int(self.stack.psql("SELECT count(DISTINCT sha256) FROM scans")))
        self.assertTrue(h["fixity"]["ok"], h)
        self.assertGreaterEqual(h["fixity"]["last_check_s"], 0)

    # ------------------------------------------------------------ backup and restore
    def test_t_backup_restore_export_again(self):
        backup = os.path.join(self.tmp, "backup")
        p = subprocess.run(["bash", os.path.join(SOURCE_DIR, "scripts", "backup"), backup], env=self.stack.env,
                           capture_output=True, text=True, timeout=300)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertEqual(subprocess.run(["sha256sum", "--quiet", "-c", "SHA256SUMS"], cwd=backup).returncode, 0)
        target = Stack(start=False)
        self.addCleanup(target.stop)
        p = subprocess.run(["bash", os.path.join(SOURCE_DIR, "scripts", "restore"), backup], env=target.env,
                           capture_output=True, text=True, timeout=300)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        target.stack("pg_start")
        out, _, _ = self.cli_export(target, *PERIOD)
        bag = unpack(out, os.path.join(self.tmp, "restored"))
        self.check_bag(bag)
        self.assertEqual(payload(bag), self.period_payload)
        # A second restore into the same place is refused.
        p = subprocess.run(["bash", os.path.join(SOURCE_DIR, "scripts", "restore"), backup], env=target.env,
                           capture_output=True, text=True, timeout=300)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("already has", p.stderr)

    # ------------------------------------------------------------ memory
    def test_x_export_of_2000_letters_in_bounded_memory(self):
        st = self.stack
        scan_dir = os.path.join(st.data, "scans")
        rows, big = [], []
        for i in range(MEMORY_LETTERS):
            data = os.urandom(24 * 1024)
            rows.append((i + 1, hashlib.sha256(data).hexdigest(), data))
        for i in range(2):  # two large scans: memory must not follow file sizes either
            data = os.urandom(40 * 1024 * 1024)
            big.append((i + 1, hashlib.sha256(data).hexdigest(), data))
        for _, sha, data in rows + big:
            os.makedirs(os.path.join(scan_dir, sha[:2]), exist_ok=True)
            with open(os.path.join(scan_dir, sha[:2], sha), "wb") as f:
                f.write(data)
        if os.getuid() == 0:
            subprocess.run(["chown", "-R", "esurat:esurat", scan_dir], check=True)
        sql = os.path.join(self.tmp, "memory.sql")
        with open(sql, "w") as f:
            f.write("BEGIN;\n"
                    "INSERT INTO letters (direction, unit_id, agenda_number, agenda_year, letter_number, letter_date,"
                    " received_at, sender, recipient, subject, classification, created_by, created_at)"
                    " SELECT 'in', (SELECT id FROM units WHERE code = 'Umum'), n, 2013, 'MEM/' || n || '/2013',"
                    " '2013-01-02', '2013-01-02 08:00+07', 'Pengirim ' || n, 'Walikota Pekanbaru',"
                    " 'Surat uji memori ' || n, '005', (SELECT id FROM users WHERE username = 'umum'),"
                    " '2013-01-02 08:00+07'::timestamptz + n * interval '1 hour'"
                    " FROM generate_series(1, %d) n;\n" % MEMORY_LETTERS)
            f.write("CREATE TEMP TABLE mem_scans (n int, sha256 text, bytes bigint);\n")
            f.write("COPY mem_scans FROM STDIN;\n")
            for n, sha, data in rows:
                f.write("%d\t%s\t%d\n" % (n, sha, len(data)))
            for n, sha, data in big:
                f.write("%d\t%s\t%d\n" % (n, sha, len(data)))
            f.write("\\.\n")
            f.write("INSERT INTO scans (letter_id, sha256, bytes, mime, uploaded_by)"
                    " SELECT l.id, m.sha256, m.bytes, 'image/png', l.created_by FROM mem_scans m"
                    " JOIN letters l ON l.letter_number = 'MEM/' || m.n || '/2013' AND l.agenda_year = 2013;\n"
                    "COMMIT;\n")
        st.stack("psql", "-f", sql)
        self.assertEqual(int(st.psql("SELECT count(*) FROM letters WHERE agenda_year = 2013")), MEMORY_LETTERS)

        _, _, small_rss = self.cli_export(st, *PERIOD, "--quiet", timed=True)
        t0 = time.time()
        out, p, big_rss = self.cli_export(st, *MEMORY_PERIOD, "--quiet", timed=True)
        took = time.time() - t0
        size = os.path.getsize(out)
        sys.stderr.write("\nexport of %d letters: %.1f MB in %.1f s; peak RSS %d kB (a few letters: %d kB)\n"
                         % (MEMORY_LETTERS, size / 1e6, took, big_rss, small_rss))
        self.assertGreater(size, 120 * 1000 * 1000)
        self.assertLess(big_rss, MEMORY_BOUND_KB, p.stderr[-2000:])
        self.assertLess(big_rss - small_rss, MEMORY_GROWTH_BOUND_KB)
        with zipfile.ZipFile(out) as z:
            names = z.namelist()
            bag = names[0].split("/")[0]
            self.assertEqual(sum(1 for n in names if n.endswith("/letter.json")), MEMORY_LETTERS)
            self.assertEqual(sum(1 for n in names if "/scan-" in n), MEMORY_LETTERS + 2)
            info = z.read(bag + "/bag-info.txt").decode()
            self.assertIn("Esurat-Letters: %d\n" % MEMORY_LETTERS, info)
            self.assertIn("Esurat-Scans-Missing: 0\n", info)
            manifest = z.read(bag + "/manifest-sha256.txt").decode().splitlines()
            self.assertEqual(len(manifest), 2 * MEMORY_LETTERS + MEMORY_LETTERS + 2 + 1)
        os.unlink(out)

        # The same over HTTP: the fcgi worker that served it grew little.
        def hwm():
            out = {}
            for pid in st.fcgi_worker_pids():
                with open("/proc/%d/status" % pid) as f:
                    out[pid] = int(re.search(r"VmHWM:\s+(\d+)", f.read()).group(1))
            return out

        before = hwm()
        r, path = self.http_export(self.admin, *MEMORY_PERIOD)
        self.assertEqual(r.header("X-Esurat-Letters"), str(MEMORY_LETTERS))
        after = hwm()
        grown = max(after[pid] - before.get(pid, 0) for pid in after)
        sys.stderr.write("HTTP export: %.1f MB; fcgi worker peak RSS grew by at most %d kB\n"
                         % (len(r.body) / 1e6, grown))
        self.assertLess(grown, MEMORY_GROWTH_BOUND_KB)
        with zipfile.ZipFile(path) as z:
            self.assertIsNone(z.testzip())
        os.unlink(path)

    # ------------------------------------------------------------ fixity (CLI)
    def test_y_fixity_names_a_changed_and_a_removed_file(self):
        st = self.stack
        scan_dir = os.path.join(st.data, "scans")
        first, second = self.letters[self.in_period[0]]["scans"]
        changed = hashlib.sha256(first).hexdigest()
        removed = hashlib.sha256(second).hexdigest()
        with open(os.path.join(scan_dir, changed[:2], changed), "r+b") as f:
            f.seek(10)
            f.write(b"X")
        os.unlink(os.path.join(scan_dir, removed[:2], removed))
        p = st.cli("fixity", check=False)
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        lines = p.stdout.splitlines()
        self.assertTrue(any(line.startswith("changed") and changed in line for line in lines), p.stdout)
        self.assertTrue(any(line.startswith("missing") and removed in line for line in lines), p.stdout)
        self.assertEqual(len([line for line in lines if line.startswith(("changed", "missing"))]), 2, p.stdout)
        self.assertRegex(p.stdout, r"checked \d+ files .*: \d+ ok, 1 missing, 1 changed")
        h = st.session().get("/api/health").json
        self.assertEqual((h["fixity"]["missing"], h["fixity"]["changed"], h["fixity"]["ok"]), (1, 1, False), h)
        r = st.session().get("/metrics")
        self.assertEqual(r.status, 200)
        self.assertIn('esurat_fixity_files{state="missing"} 1', r.text)
        self.assertIn('esurat_fixity_files{state="changed"} 1', r.text)
        # An export then says which scans it could not vouch for.
        out, p, _ = None, None, None
        cmd = [os.path.join(BUILD_DIR, "core", "cli", "esurat"), "export", "--from", PERIOD[0], "--to", PERIOD[1],
               "--out", os.path.join(self.tmp, "damaged.zip")]
        p = subprocess.run(cmd, env=self.cli_env(st), capture_output=True, text=True, timeout=300)
        self.assertEqual(p.returncode, 1, p.stderr)
        bag = unpack(os.path.join(self.tmp, "damaged.zip"), os.path.join(self.tmp, "damaged"))
        info = self.check_bag(bag)
        self.assertEqual((info["Esurat-Scans-Missing"], info["Esurat-Scans-Damaged"]), ("1", "1"))

    def test_z_export_failing_midway_is_cut_off(self):
        st = self.stack
        # Hold the pages' texts: the export sends its head (the counts do not
        # read them), then waits for them with its first letters.
        locker = subprocess.Popen(
            ["bash", os.path.join(SOURCE_DIR, "scripts", "stack"), "psql", "-c",
             "BEGIN; LOCK TABLE page_texts IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(60)"],
            env=st.env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.addCleanup(locker.kill)
        held = "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation" \
               " WHERE c.relname = 'page_texts' AND l.mode = 'AccessExclusiveLock' AND l.granted"
        deadline = time.time() + 15
        while st.psql(held) != "1" and time.time() < deadline:
            time.sleep(0.1)
        outcome = {}

        def export():
            try:
                r = self.admin.get("/api/export?from=%s&to=%s" % PERIOD, timeout=60)
                outcome["answer"] = "%d, %d bytes" % (r.status, len(r.body))
            except (http.client.IncompleteRead, ConnectionError) as e:
                outcome["cut"] = type(e).__name__

        t = threading.Thread(target=export)
        t.start()
        waiting = None
        deadline = time.time() + 15
        while not waiting and time.time() < deadline:
            waiting = st.psql("SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                              " AND query LIKE '%letter_ocr_text%' LIMIT 1")
            time.sleep(0.1)
        self.assertTrue(waiting, "the export never waited for the page texts")
        # The export's connection ends under it, after its head went out.
        st.psql("SELECT pg_terminate_backend(%s)" % waiting)
        t.join(60)
        # The lock goes with the locker's backend (psql outlives its bash).
        st.psql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE query LIKE '%LOCK TABLE page_texts%' AND pid <> pg_backend_pid()")
        locker.wait(30)
        self.assertNotIn("answer", outcome, "an export cut short was answered as complete: %s" % outcome)
        self.assertIn("cut", outcome)
        # The next export is whole again.
        r, path = self.http_export(self.admin, *PERIOD)
        self.check_bag(unpack(path, os.path.join(self.tmp, "after-cut")))

    @classmethod
    def tearDownClass(cls):
        time.sleep(1.5)
        errors = [line for line in cls.stack.log("nginx-access").splitlines()
                  if re.search(r'HTTP/1\.[01]" 5\d\d ', line)]
        if errors:
            raise AssertionError("server errors:\n" + "\n".join(errors[:20]))


if __name__ == "__main__":
    unittest.main(verbosity=2)
