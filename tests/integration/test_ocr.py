"""OCR end to end, over the real nginx, esurat-fcgi, PostgreSQL and
esurat-worker: letters made by scripts/gen-letters (A5 pages at 200 dpi,
lightly degraded, to keep the run short) uploaded in every format and read
back from GET /api/scans/{id}/text; pages turned by 90° and 180°; damaged
and over-limit files failed with a clear message while the worker runs on;
retries from the CLI and the API; the worker killed with SIGKILL in the
middle of a job, stopped with SIGTERM, and PostgreSQL restarted under it;
draft scans and their suggestions for the registration form."""

import json
import os
import re
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
import unittest
import zlib

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import SOURCE_DIR, Stack  # noqa: E402

GEN = os.path.join(SOURCE_DIR, "scripts", "gen-letters")
MAX_PAGES = 3


def wait_for(fn, seconds, step=0.25):
    deadline = time.time() + seconds
    while time.time() < deadline:
        v = fn()
        if v:
            return v
        time.sleep(step)
    return fn()


def gen(out, *args):
    subprocess.run([GEN, "--out", out] + list(args), check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, timeout=300)
    with open(os.path.join(out, "manifest.json")) as f:
        return json.load(f)


def png_1x1():
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00\xff")) + chunk(b"IEND", b""))


def text_pdf(pages):
    """A valid PDF of `pages` pages, each with a line of text."""
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>", None,
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    kids = []
    for i in range(pages):
        stream = b"BT /F1 12 Tf 72 720 Td (Halaman %d dari surat yang panjang) Tj ET" % (i + 1)
        objs.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
        objs.append(b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents %d 0 R"
                    b" /Resources << /Font << /F1 3 0 R >> >> >>" % len(objs))
        kids.append(len(objs))
    objs[1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (b" ".join(b"%d 0 R" % k for k in kids), pages)
    out = b"%PDF-1.4\n"
    offsets = []
    for i, body in enumerate(objs, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
    return out


def norm(s):
    return re.sub(r"\s+", " ", s).strip()


class OcrTest(unittest.TestCase):
    maxDiff = None

    @classmethod
    def setUpClass(cls):
        cls.files = tempfile.mkdtemp(prefix="esurat-ocr-it-")
        cls.addClassCleanup(shutil.rmtree, cls.files, True)
        # Every format, one letter each (the TIFF and the scanned PDF with
        # two pages), and a text-layer PDF.
        cls.letters = gen(cls.files, "--count", "1", "--seed", "5", "--dpi", "200", "--levels", "light",
                          "--formats", "png,jpeg,tiff,pdf,pdf-text", "--size", "a5", "--pages", "2")
        cls.rotated = []
        for deg in (90, 180):
            # Seed 9: a letter with "Lampiran : -".
            cls.rotated += gen(os.path.join(cls.files, "r%d" % deg), "--count", "1", "--seed", "9", "--dpi", "200",
                               "--levels", "light", "--formats", "png", "--size", "a5", "--rotate", str(deg),
                               "--prefix", "r%d" % deg)
        cls.stack = Stack(env={
            "ESURAT_OCR_THREADS": "2",
            "ESURAT_OCR_LEASE_SECONDS": "4",
            "ESURAT_OCR_POLL_SECONDS": "2",
            "ESURAT_OCR_RETRY_SECONDS": "1",
            "ESURAT_OCR_MAX_PAGES": str(MAX_PAGES),
            "ESURAT_OCR_STOP_GRACE_SECONDS": "1",
        })
        cls.addClassCleanup(cls.stack.stop)
        cls.session = cls.stack.session()
        r = cls.session.login("umum")
        assert r.status == 200, r
        cls.seq = 0

    # ------------------------------------------------------------ helpers
    def letter(self):
        type(self).seq += 1
        r = self.session.post("/api/letters", json={
            "direction": "in", "letter_number": "005/%d/OCR-IT/2015" % self.seq, "letter_date": "2015-01-27",
            "sender": "Dinas Uji OCR", "recipient": "Walikota Pekanbaru", "subject": "Uji OCR %d" % self.seq,
            "security": "biasa", "urgency": "biasa"})
        self.assertEqual(r.status, 201, r)
        return r.json["id"]

    def upload(self, data, mime, letter=None):
        letter = letter or self.letter()
        r = self.session.post("/api/letters/%d/scans" % letter, data=data, headers={"Content-Type": mime})
        self.assertEqual(r.status, 201, r)
        return r.json["id"]

    def upload_file(self, directory, entry, letter=None):
        with open(os.path.join(directory, entry["file"]), "rb") as f:
            return self.upload(f.read(), entry["mime"], letter)

    def text(self, scan_id):
        r = self.session.get("/api/scans/%d/text" % scan_id)
        self.assertEqual(r.status, 200, r)
        return r.json

    def wait_final(self, scan_id, seconds=120):
        t = wait_for(lambda: (lambda j: j if j["ocr_status"] in ("done", "failed") else None)(self.text(scan_id)),
                     seconds, 0.5)
        self.assertIsNotNone(t, "scan %d not read within %ds:\n%s" % (scan_id, seconds, self.stack.log_tails()))
        return t

    def assert_worker_alive(self, pid=None):
        now = self.stack.worker_pid()
        self.assertIsNotNone(now, "esurat-worker is gone:\n%s" % self.stack.log_tails())
        if pid:
            self.assertEqual(now, pid)
        return now

    def assert_letter_read(self, t, entry, pages, directory=None):
        self.assertEqual(t["ocr_status"], "done", t)
        self.assertEqual([p["page"] for p in t["pages"]], list(range(1, pages + 1)), t)
        first = norm(t["pages"][0]["text"])
        self.assertIn(entry["fields"]["letter_number"], first, first)
        self.assertIn(entry["fields"]["subject"], first, first)
        if directory:
            # The Nomor/Sifat/Lampiran/Perihal block line by line, as the
            # ground truth has it: the values stand after a tab, and a
            # short one ("Lampiran : -") is read again with its label.
            with open(os.path.join(directory, entry["name"] + ".txt")) as f:
                truth = f.read().split("\f")[0].splitlines()
            block = [ln for ln in truth if ln.split(" ")[0] in ("Nomor", "Sifat", "Lampiran", "Perihal")]
            self.assertEqual(len(block), 4, truth)
            for ln in block:
                self.assertIn(norm(ln), first, first)

    # ------------------------------------------------------------ formats
    def test_each_format_end_to_end(self):
        pid = self.assert_worker_alive()
        scans = [(e, self.upload_file(self.files, e)) for e in self.letters]
        self.assertEqual({e["format"] for e, _ in scans}, {"png", "jpeg", "tiff", "pdf", "pdf-text"})
        for entry, scan_id in scans:
            with self.subTest(format=entry["format"]):
                t = self.wait_final(scan_id)
                self.assert_letter_read(t, entry, entry["pages"], self.files)
                for p in t["pages"]:
                    if entry["format"] == "pdf-text":
                        self.assertIsNone(p["confidence"], p)  # the text layer, not OCR
                    else:
                        self.assertGreater(p["confidence"], 60, p)
                # Word boxes kept for highlighting; the page count; the index told.
                words = self.stack.psql("SELECT jsonb_array_length(words) FROM page_texts"
                                        " WHERE scan_id = %d AND page = 1" % scan_id)
                self.assertGreater(int(words), 50)
                self.assertEqual(self.stack.psql("SELECT pages FROM scans WHERE id = %d" % scan_id),
                                 str(entry["pages"]))
                source = self.stack.psql("SELECT DISTINCT source FROM page_texts WHERE scan_id = %d" % scan_id)
                self.assertEqual(source, "text_layer" if entry["format"] == "pdf-text" else "ocr")
        self.assert_worker_alive(pid)

    def test_rotated_pages(self):
        for entry in self.rotated:
            with self.subTest(rotate=entry["rotate"]):
                directory = os.path.join(self.files, "r%d" % entry["rotate"])
                scan_id = self.upload_file(directory, entry)
                t = self.wait_final(scan_id)
                self.assert_letter_read(t, entry, 1, directory)
                self.assertEqual(self.stack.psql("SELECT rotation FROM page_texts WHERE scan_id = %d" % scan_id),
                                 str({90: 90, 180: 180}[entry["rotate"]]))

    # ------------------------------------------------------------ failures
    def test_bad_files_fail_with_a_clear_message(self):
        pid = self.assert_worker_alive()
        with open(os.path.join(self.files, [e for e in self.letters if e["format"] == "png"][0]["file"]), "rb") as f:
            good_png = f.read()
        with open(os.path.join(self.files, [e for e in self.letters if e["format"] == "pdf"][0]["file"]), "rb") as f:
            good_pdf = f.read()
        corrupt = good_png[:64] + bytes((b * 7 + 13) & 0xFF for b in good_png[64:4096])
        cases = [
            ("corrupt png", corrupt, "image/png", "unreadable", "could not be decoded"),
            ("truncated pdf", good_pdf[: len(good_pdf) // 2], "application/pdf", "truncated", "truncated"),
            ("1x1 image", png_1x1(), "image/png", "too_small", "too small"),
            ("too many pages", text_pdf(MAX_PAGES + 1), "application/pdf", "too_many_pages",
             "has %d pages; at most %d" % (MAX_PAGES + 1, MAX_PAGES)),
        ]
        for name, data, mime, code, words in cases:
            with self.subTest(case=name):
                scan_id = self.upload(data, mime)
                t = self.wait_final(scan_id, 60)
                self.assertEqual(t["ocr_status"], "failed", t)
                self.assertEqual(t["error_code"], code, t)
                self.assertIn(words, t["error"], t)
                self.assertEqual(t["pages"], [])
                # Failed at once: retrying a damaged file cannot help.
                self.assertEqual(self.stack.psql("SELECT attempts FROM ocr_jobs WHERE scan_id = %d" % scan_id), "1")
        self.assert_worker_alive(pid)
        # Retry from the CLI and from the portal's button: queued again,
        # read again, failed again with the same message.
        r = self.stack.cli("ocr", "retry", str(scan_id))
        self.assertIn("1 OCR job queued again", r.stdout)
        t = self.wait_final(scan_id, 60)
        self.assertEqual((t["ocr_status"], t["error_code"]), ("failed", "too_many_pages"), t)
        r = self.session.post("/api/scans/%d/ocr/retry" % scan_id)
        self.assertEqual((r.status, r.json), (200, {"ocr_status": "queued"}), r)
        t = self.wait_final(scan_id, 60)
        self.assertEqual(t["ocr_status"], "failed", t)
        self.assertEqual(self.stack.psql("SELECT count(*) FROM audit_log WHERE action = 'scan.ocr_retry'"
                                         " AND object_id = '%d'" % scan_id), "2")
        # Nothing to retry on a job that did not fail.
        done = self.upload_file(self.files, [e for e in self.letters if e["format"] == "pdf-text"][0])
        self.wait_final(done)
        self.assertEqual(self.session.post("/api/scans/%d/ocr/retry" % done).status, 409)
        self.assertNotEqual(self.stack.cli("ocr", "retry", str(done), check=False).returncode, 0)
        self.assert_worker_alive(pid)

    # ------------------------------------------------------------ crashes
    def job(self, scan_id):
        row = self.stack.psql("SELECT status, attempts FROM ocr_jobs WHERE scan_id = %d" % scan_id)
        status, attempts = row.split("|")
        return status, int(attempts)

    def test_worker_killed_mid_job_and_sigterm(self):
        tiff = [e for e in self.letters if e["format"] == "tiff"][0]
        letter = self.letter()
        outbox = "SELECT count(*) FROM index_outbox WHERE letter_id = %d" % letter
        scan_id = self.upload_file(self.files, tiff, letter)
        outbox_before = int(self.stack.psql(outbox))
        self.assertTrue(wait_for(lambda: self.job(scan_id)[0] == "running", 30), self.job(scan_id))
        pid = self.stack.worker_pid()
        os.kill(pid, signal.SIGKILL)
        self.assertTrue(wait_for(lambda: self.stack.worker_pid() is None, 10))
        self.stack.stack("worker_start")
        t = self.wait_final(scan_id, 120)
        self.assert_letter_read(t, tiff, 2)
        self.assertEqual(self.job(scan_id), ("done", 2))
        self.assertEqual(self.stack.psql("SELECT count(*), count(DISTINCT page) FROM page_texts"
                                         " WHERE scan_id = %d" % scan_id), "2|2")
        self.assertEqual(int(self.stack.psql(outbox)), outbox_before + 1)
        self.assertIn("taken over", self.stack.log("esurat-worker"))

        # SIGTERM in the middle of a job: given back to the queue at once
        # (the grace period is 1 s here), its attempt not counted, and read
        # by the next worker.
        scan_id = self.upload_file(self.files, tiff, self.letter())
        self.assertTrue(wait_for(lambda: self.job(scan_id)[0] == "running", 30), self.job(scan_id))
        self.stack.stack("worker_stop")
        self.assertEqual(self.job(scan_id), ("queued", 0))
        self.assertIn("released 1 ocr jobs", self.stack.log("esurat-worker"))
        self.stack.stack("worker_start")
        t = self.wait_final(scan_id, 120)
        self.assert_letter_read(t, tiff, 2)

    def test_postgresql_restarted_under_the_worker(self):
        pid = self.assert_worker_alive()
        png = [e for e in self.letters if e["format"] == "png"][0]
        scan_id = self.upload_file(self.files, png)
        self.stack.stop_pg()
        time.sleep(2)
        self.stack.start_pg()
        t = self.wait_final(scan_id, 120)
        self.assert_letter_read(t, png, 1)
        # And it goes on with new work.
        jpeg = [e for e in self.letters if e["format"] == "jpeg"][0]
        t = self.wait_final(self.upload_file(self.files, jpeg), 120)
        self.assert_letter_read(t, jpeg, 1)
        self.assert_worker_alive(pid)

    # ------------------------------------------------------------ suggestions
    def test_draft_scan_suggestions_and_attach(self):
        entry = [e for e in self.letters if e["format"] == "jpeg"][0]
        with open(os.path.join(self.files, entry["file"]), "rb") as f:
            data = f.read()
        r = self.session.post("/api/scans", data=data, headers={"Content-Type": "image/jpeg"})
        self.assertEqual(r.status, 201, r)
        scan_id = r.json["id"]
        # Only its uploader sees a draft.
        other = self.stack.session()
        other.login("sekda")
        self.assertEqual(other.get("/api/scans/%d/suggestions" % scan_id).status, 404)
        sugg = wait_for(lambda: (lambda j: j if j["ocr_status"] == "done" else None)(
            self.session.get("/api/scans/%d/suggestions" % scan_id).json), 120, 0.5)
        self.assertIsNotNone(sugg)
        fields = entry["fields"]
        self.assertEqual(sugg["suggestions"]["letter_number"], fields["letter_number"], sugg)
        self.assertEqual(sugg["suggestions"]["letter_date"], fields["letter_date"], sugg)
        self.assertEqual(sugg["suggestions"]["subject"], fields["subject"], sugg)
        self.assertEqual(sugg["suggestions"]["sender"].lower(), fields["sender"].lower(), sugg)
        # The registration saved: the draft becomes the letter's.
        letter = self.letter()
        r = self.session.post("/api/letters/%d/scans" % letter, json={"scan_id": scan_id})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json["id"], scan_id)
        self.assertEqual(r.json["ocr_status"], "done")
        scans = self.session.get("/api/letters/%d" % letter).json["scans"]
        self.assertEqual([s["id"] for s in scans], [scan_id])
        # Not twice, and not someone else's.
        self.assertEqual(self.session.post("/api/letters/%d/scans" % letter, json={"scan_id": scan_id}).status, 409)
        self.assertGreaterEqual(int(self.stack.psql("SELECT count(*) FROM index_outbox WHERE letter_id = %d" % letter)),
                                1)
        self.assertEqual(self.stack.cli("audit", "verify").returncode, 0)


if __name__ == "__main__":
    unittest.main(verbosity=2)
