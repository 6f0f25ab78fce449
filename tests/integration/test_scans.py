"""Scans over the real nginx, esurat-fcgi and PostgreSQL: upload of each
type, byte-identical download through X-Accel-Redirect, the declared type
checked against the bytes (415), empty (400) and over-limit (413) bodies
with nothing stored, hostile file names, equal bytes stored once, the OCR
job queued with the scan, confidential letters' scans answering 404 to
whoever may not see them, and a full scan store answering 507 with nothing
stored (found by scripts/soak: it was a 500)."""

import errno
import hashlib
import os
import re
import struct
import subprocess
import sys
import time
import unittest
import zlib

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Stack  # noqa: E402

LIMIT = 16384  # ESURAT_MAX_SCAN_BYTES for this test


# ---------------------------------------------------------------- files
def png(width=16, height=16, seed=0):
    """A valid greyscale PNG."""

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    rows = b"".join(b"\x00" + bytes((x * 16 + y + seed) & 0xFF for x in range(width)) for y in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def tiff(seed=0):
    """A valid 2×2 greyscale uncompressed TIFF (little-endian)."""
    pixels = bytes([seed & 0xFF, 0x40, 0x80, 0xFF])
    entries = [  # tag, type (3 SHORT, 4 LONG), count, value
        (256, 3, 1, 2),  # ImageWidth
        (257, 3, 1, 2),  # ImageLength
        (258, 3, 1, 8),  # BitsPerSample
        (259, 3, 1, 1),  # Compression: none
        (262, 3, 1, 1),  # Photometric: black is zero
        (273, 4, 1, 0),  # StripOffsets, set below
        (277, 3, 1, 1),  # SamplesPerPixel
        (278, 3, 1, 2),  # RowsPerStrip
        (279, 4, 1, len(pixels)),  # StripByteCounts
    ]
    ifd_offset = 8
    data_offset = ifd_offset + 2 + 12 * len(entries) + 4
    out = b"II*\x00" + struct.pack("<I", ifd_offset) + struct.pack("<H", len(entries))
    for tag, typ, count, value in entries:
        if tag == 273:
            value = data_offset
        packed = struct.pack("<H", value) + b"\x00\x00" if typ == 3 else struct.pack("<I", value)
        out += struct.pack("<HHI", tag, typ, count) + packed
    return out + struct.pack("<I", 0) + pixels


def pdf(text="Surat"):
    """A small valid one-page PDF."""
    stream = b"BT /F1 12 Tf 72 720 Td (" + text.encode() + b") Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = b"%PDF-1.4\n"
    offsets = []
    for i, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return out


def jpeg(seed=0):
    """A JFIF header and an end marker: enough for type detection."""
    return (
        b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
        + b"\xff\xfe\x00\x08seed" + bytes([seed & 0xFF, 0])
        + b"\xff\xd9"
    )


CONFIDENTIAL_OUTSIDERS = ["walikota", "asisten1", "kabag.hukum", "arsiparis"]


class ScansTest(unittest.TestCase):
    maxDiff = None

    @classmethod
    def setUpClass(cls):
        # No esurat-worker: the OCR jobs must stay as the upload left them.
        cls.stack = Stack(env={"ESURAT_MAX_SCAN_BYTES": str(LIMIT)}, worker=False)
        cls.addClassCleanup(cls.stack.stop)
        cls.scan_dir = os.path.join(cls.stack.data, "scans")
        cls.sessions = {}
        cls.letter_seq = 0

    # ------------------------------------------------------------ helpers
    def user(self, username):
        if username not in self.sessions:
            s = self.stack.session()
            r = s.login(username)
            self.assertEqual(r.status, 200, "login as %s: %r" % (username, r))
            self.sessions[username] = s
        return self.sessions[username]

    def assertError(self, r, status, code):
        self.assertEqual(r.status, status, r)
        self.assertIsInstance(r.json, dict, "not a JSON body: %r" % r)
        self.assertEqual((r.json.get("error") or {}).get("code"), code, r)

    def position_id(self, title):
        return int(self.stack.psql("SELECT id FROM positions WHERE title = '%s'" % title))

    def create_letter(self, security="biasa", to_position=None):
        """A new incoming letter registered by umum through POST /api/letters."""
        type(self).letter_seq += 1
        number = "800/%d/SCAN-IT/2015" % self.letter_seq
        body = {
            "direction": "in",
            "letter_number": number,
            "letter_date": "2015-01-20",
            "sender": "Dinas Pendidikan",
            "recipient": "Walikota Pekanbaru",
            "subject": "Uji unggah pindaian",
            "security": security,
            "urgency": "biasa",
        }
        if to_position:
            body["to_position_id"] = self.position_id(to_position)
        r = self.user("umum").post("/api/letters", json=body)
        self.assertEqual(r.status, 201, r)
        return r.json["id"]

    def upload(self, letter_id, data, mime, user="umum", name=None):
        headers = {"Content-Type": mime}
        if name is not None:
            headers["X-File-Name"] = name
        return self.user(user).post("/api/letters/%d/scans" % letter_id, data=data, headers=headers)

    def store_files(self):
        """Every file under the scan dir, as paths relative to it."""
        found = []
        for root, _dirs, files in os.walk(self.scan_dir):
            for f in files:
                found.append(os.path.relpath(os.path.join(root, f), self.scan_dir))
        return sorted(found)

    def count(self, sql):
        return int(self.stack.psql(sql))

    # ------------------------------------------------------------ upload and download
    def test_upload_and_download_each_type(self):
        letter = self.create_letter()
        outbox_sql = "SELECT count(*) FROM index_outbox WHERE letter_id = %d" % letter
        outbox_before = self.count(outbox_sql)
        cases = [
            (png(seed=1), "image/png", "png"),
            (jpeg(seed=1), "image/jpeg", "jpg"),
            (tiff(seed=1), "image/tiff", "tif"),
            (pdf("Undangan"), "application/pdf", "pdf"),
        ]
        for data, mime, ext in cases:
            with self.subTest(mime=mime):
                r = self.upload(letter, data, mime, name="lampiran." + ext)
                self.assertEqual(r.status, 201, r)
                sha = hashlib.sha256(data).hexdigest()
                self.assertEqual(
                    r.json,
                    {"id": r.json["id"], "sha256": sha, "bytes": len(data), "mime": mime, "ocr_status": "queued"},
                )
                scan_id = r.json["id"]
                # Stored under its hash, byte for byte.
                with open(os.path.join(self.scan_dir, sha[:2], sha), "rb") as f:
                    self.assertEqual(f.read(), data)
                # Back through nginx, unchanged, for another user too.
                for who in ("umum", "arsiparis"):
                    d = self.user(who).get("/api/scans/%d/file" % scan_id)
                    self.assertEqual(d.status, 200, d)
                    self.assertEqual(d.body, data)
                    self.assertEqual(d.header("Content-Type"), mime, d.headers)
                    self.assertEqual(
                        d.header("Content-Disposition"), 'inline; filename="scan-%d.%s"' % (scan_id, ext), d.headers
                    )
                    self.assertIsNone(d.header("X-Accel-Redirect"), d.headers)
                    # The portal's letter page may frame it (a PDF in an
                    # iframe); no other site may.
                    self.assertIn("frame-ancestors 'self'", d.header("Content-Security-Policy"))
                    self.assertEqual(d.header("X-Frame-Options"), "SAMEORIGIN")
                # The OCR job was queued with the scan, and the index told.
                self.assertEqual(self.stack.psql("SELECT status FROM ocr_jobs WHERE scan_id = %d" % scan_id), "queued")
                t = self.user("umum").get("/api/scans/%d/text" % scan_id)
                self.assertEqual(t.status, 200, t)
                self.assertEqual(t.json, {"ocr_status": "queued", "pages": []})
                self.assertEqual(
                    self.stack.psql(
                        "SELECT detail->>'letter_id' FROM audit_log"
                        " WHERE action = 'scan.upload' AND object_id = '%d'" % scan_id
                    ),
                    str(letter),
                )
        self.assertEqual(self.count(outbox_sql), outbox_before + len(cases))
        self.assertEqual(self.count("SELECT count(*) FROM scans WHERE letter_id = %d" % letter), len(cases))
        self.assertEqual(
            self.count(
                "SELECT count(*) FROM scans s JOIN ocr_jobs j ON j.scan_id = s.id"
                " WHERE s.letter_id = %d AND j.status = 'queued'" % letter
            ),
            len(cases),
        )
        verify = self.stack.cli("audit", "verify")
        self.assertEqual(verify.returncode, 0, verify.stdout + verify.stderr)

    def test_ocr_text(self):
        letter = self.create_letter()
        r = self.upload(letter, png(seed=2), "image/png")
        self.assertEqual(r.status, 201, r)
        scan_id = r.json["id"]
        self.stack.psql(
            "INSERT INTO page_texts (scan_id, page, text, confidence) VALUES"
            " (%d, 2, 'halaman dua', 80.5), (%d, 1, 'Nomor: 005/1', 91);"
            "UPDATE ocr_jobs SET status = 'done' WHERE scan_id = %d" % (scan_id, scan_id, scan_id)
        )
        t = self.user("sekda").get("/api/scans/%d/text" % scan_id)
        self.assertEqual(t.status, 200, t)
        self.assertEqual(
            t.json,
            {
                "ocr_status": "done",
                "pages": [
                    {"page": 1, "text": "Nomor: 005/1", "confidence": 91},
                    {"page": 2, "text": "halaman dua", "confidence": 80.5},
                ],
            },
        )
        self.stack.psql("UPDATE ocr_jobs SET status = 'failed', error = 'unreadable' WHERE scan_id = %d" % scan_id)
        t = self.user("sekda").get("/api/scans/%d/text" % scan_id)
        self.assertEqual(t.json["ocr_status"], "failed", t)
        self.assertEqual(t.json["error"], "unreadable", t)

    # ------------------------------------------------------------ refusals
    def test_declared_type_must_match_the_bytes(self):
        letter = self.create_letter()
        before = self.store_files()
        self.assertError(self.upload(letter, png(seed=3), "application/pdf"), 415, "unsupported_media_type")
        self.assertError(self.upload(letter, pdf("x"), "image/png"), 415, "unsupported_media_type")
        self.assertError(self.upload(letter, b"hello, world\n", "image/jpeg"), 415, "unsupported_media_type")
        for other in ("text/plain", "image/gif", "application/pdfx"):
            self.assertError(self.upload(letter, png(seed=3), other), 415, "unsupported_media_type")
        # JSON is the other form of this call (attach a draft scan,
        # {"scan_id"}): a file's bytes are no JSON.
        self.assertError(self.upload(letter, png(seed=3), "application/json"), 400, "invalid_json")
        # Parameters and case do not matter.
        self.assertEqual(self.upload(letter, png(seed=3), "Image/PNG; name=x").status, 201)
        self.assertEqual(len(self.store_files()), len(before) + 1)
        self.assertEqual(self.count("SELECT count(*) FROM scans WHERE letter_id = %d" % letter), 1)

    def test_empty_body(self):
        letter = self.create_letter()
        before = self.store_files()
        self.assertError(self.upload(letter, b"", "image/png"), 400, "empty_body")
        self.assertEqual(self.store_files(), before)

    def test_over_the_limit_stores_nothing(self):
        letter = self.create_letter()
        before = self.store_files()
        rows = self.count("SELECT count(*) FROM scans")
        big = png(seed=4)
        big = big + b"\x00" * max(0, LIMIT + 1 - len(big))
        self.assertGreater(len(big), LIMIT)
        self.assertError(self.upload(letter, big, "image/png"), 413, "too_large")
        self.assertError(self.upload(letter, big * 20, "image/png"), 413, "too_large")
        # At the limit exactly: accepted.
        exact = png(seed=4)
        exact = exact + b"\x00" * (LIMIT - len(exact))
        self.assertEqual(self.upload(letter, exact, "image/png").status, 201)
        after = self.store_files()
        self.assertEqual(len(after), len(before) + 1, after)
        self.assertEqual(self.count("SELECT count(*) FROM scans"), rows + 1)

    @unittest.skipUnless(os.geteuid() == 0, "mounting a small file system needs root")
    def test_full_store_answers_507_and_stores_nothing(self):
        letter = self.create_letter()
        rows = self.count("SELECT count(*) FROM scans")
        audits = self.count("SELECT count(*) FROM audit_log WHERE action = 'scan.upload'")
        st = os.stat(self.scan_dir)
        # A 1 MiB file system over the store, filled up by a ballast file.
        subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m,mode=0700,uid=%d,gid=%d" % (st.st_uid, st.st_gid),
                        "esurat-full", self.scan_dir], check=True)
        try:
            ballast = os.path.join(self.scan_dir, "ballast")
            fd = os.open(ballast, os.O_WRONLY | os.O_CREAT, 0o600)
            try:
                with self.assertRaises(OSError) as full:
                    while True:
                        os.write(fd, b"\0" * 65536)
                self.assertEqual(full.exception.errno, errno.ENOSPC)
            finally:
                os.close(fd)
            data = png(width=64, height=64, seed=41)
            self.assertError(self.upload(letter, data, "image/png"), 507, "insufficient_storage")
            r = self.user("umum").post("/api/scans", data=data, headers={"Content-Type": "image/png"})
            self.assertError(r, 507, "insufficient_storage")
            # Nothing half-written: no temporary file, no row, no audit.
            self.assertEqual(self.store_files(), ["ballast"])
            self.assertEqual(self.count("SELECT count(*) FROM scans"), rows)
            self.assertEqual(self.count("SELECT count(*) FROM audit_log WHERE action = 'scan.upload'"), audits)
            # Space again: the same upload goes through.
            os.unlink(ballast)
            r = self.upload(letter, data, "image/png")
            self.assertEqual(r.status, 201, r)
            sha = hashlib.sha256(data).hexdigest()
            self.assertEqual(self.store_files(), ["%s/%s" % (sha[:2], sha)])
        finally:
            subprocess.run(["umount", self.scan_dir], check=True)
        # The file went with the small file system; the same bytes sent
        # again put it back in the real store, under the scan it had.
        r = self.upload(letter, data, "image/png")
        self.assertEqual(r.status, 200, r)
        self.assertIn("%s/%s" % (sha[:2], sha), self.store_files())
        self.assertEqual(self.count("SELECT count(*) FROM scans"), rows + 1)

    def test_hostile_file_names(self):
        letter = self.create_letter()
        r = self.upload(letter, png(seed=5), "image/png", name="../../etc/passwd")
        self.assertEqual(r.status, 201, r)
        self.assertEqual(
            self.stack.psql("SELECT original_name FROM scans WHERE id = %d" % r.json["id"]), "../../etc/passwd"
        )
        sha = r.json["sha256"]
        self.assertEqual([f for f in self.store_files() if sha in f], [os.path.join(sha[:2], sha)])
        self.assertFalse(os.path.exists(os.path.join(self.scan_dir, "..", "..", "etc", "passwd")))
        # Percent-encoded UTF-8 (the portal's encodeURIComponent) is decoded.
        r = self.upload(letter, png(seed=6), "image/png", name="Surat%20Undangan%20%E2%80%94%20Disdik.png")
        self.assertEqual(r.status, 201, r)
        self.assertEqual(
            self.stack.psql("SELECT original_name FROM scans WHERE id = %d" % r.json["id"]),
            "Surat Undangan \u2014 Disdik.png",
        )
        # The letter page names its scans by the names they came with.
        names = [sc["original_name"] for sc in self.user("umum").get("/api/letters/%d" % letter).json["scans"]]
        self.assertEqual(names, ["../../etc/passwd", "Surat Undangan \u2014 Disdik.png"])
        before = self.store_files()
        for name in ("evil\x01name.png", "tab\there.png", "%0Anewline.png", "nul%00.png", "%FF%FE.png",
                     "bad%zzescape", "x" * 256, "%41" * 256):
            with self.subTest(name=name):
                self.assertError(self.upload(letter, png(seed=7), "image/png", name=name), 400, "invalid_field")
        self.assertEqual(self.store_files(), before)

    def test_same_file_twice_is_stored_once(self):
        letter = self.create_letter()
        data = png(seed=8)
        sha = hashlib.sha256(data).hexdigest()
        first = self.upload(letter, data, "image/png")
        self.assertEqual(first.status, 201, first)
        again = self.upload(letter, data, "image/png")
        self.assertEqual(again.status, 200, again)
        self.assertEqual(again.json, first.json)
        # The same bytes for another letter: a new scan, the same file.
        other = self.upload(self.create_letter(), data, "image/png")
        self.assertEqual(other.status, 201, other)
        self.assertNotEqual(other.json["id"], first.json["id"])
        self.assertEqual([f for f in self.store_files() if sha in f], [os.path.join(sha[:2], sha)])
        self.assertEqual(self.count("SELECT count(*) FROM scans WHERE sha256 = '%s'" % sha), 2)
        self.assertEqual(self.count("SELECT count(*) FROM ocr_jobs j JOIN scans s ON s.id = j.scan_id"
                                    " WHERE s.sha256 = '%s'" % sha), 2)
        self.assertFalse([f for f in self.store_files() if ".tmp" in f])

    def test_roles_and_unknown_objects(self):
        letter = self.create_letter()
        self.assertError(self.upload(letter, png(seed=9), "image/png", user="arsiparis"), 403, "forbidden")
        self.assertError(self.upload(999999999, png(seed=9), "image/png"), 404, "not_found")
        s = self.user("umum")
        self.assertError(s.get("/api/scans/999999999/file"), 404, "not_found")
        self.assertError(s.get("/api/scans/999999999/text"), 404, "not_found")
        anon = self.stack.session()
        self.assertError(anon.get("/api/scans/1/file"), 401, "unauthenticated")
        r = s.post("/api/letters/%d/scans" % letter, data=png(seed=9), headers={"Content-Type": "image/png"},
                   csrf=False)
        self.assertError(r, 403, "csrf")
        # The store is reachable only through the permission check.
        self.assertEqual(anon.get("/_scans/").status, 404)

    # ------------------------------------------------------------ confidentiality
    def test_confidential_scans_answer_404_to_outsiders(self):
        letter = self.create_letter(security="rahasia", to_position="Sekretaris Daerah")
        data = png(seed=10)
        r = self.upload(letter, data, "image/png")
        self.assertEqual(r.status, 201, r)
        scan_id = r.json["id"]
        for who in CONFIDENTIAL_OUTSIDERS:
            with self.subTest(user=who):
                s = self.user(who)
                self.assertError(s.get("/api/scans/%d/file" % scan_id), 404, "not_found")
                self.assertError(s.get("/api/scans/%d/text" % scan_id), 404, "not_found")
        # Officials may upload in general, but not to a letter they may not see.
        self.assertError(self.upload(letter, png(seed=11), "image/png", user="walikota"), 404, "not_found")
        self.assertEqual(self.count("SELECT count(*) FROM scans WHERE letter_id = %d" % letter), 1)

        views = self.count("SELECT count(*) FROM audit_log WHERE action = 'scan.view'")
        for who in ("umum", "sekda", "admin"):
            with self.subTest(user=who):
                d = self.user(who).get("/api/scans/%d/file" % scan_id)
                self.assertEqual(d.status, 200, d)
                self.assertEqual(d.body, data)
                self.assertEqual(self.user(who).get("/api/scans/%d/text" % scan_id).status, 200)
        # Every view of a confidential letter's scan is in the audit chain.
        self.assertEqual(self.count("SELECT count(*) FROM audit_log WHERE action = 'scan.view'"), views + 6)
        self.assertEqual(
            self.stack.psql(
                "SELECT DISTINCT detail->>'letter_id' FROM audit_log"
                " WHERE action = 'scan.view' AND object_id = '%d'" % scan_id
            ),
            str(letter),
        )

    @classmethod
    def tearDownClass(cls):
        # No 500 anywhere (507 is the full store's answer): nginx's access
        # log (flushed every second) has them all.
        time.sleep(1.5)
        errors = [line for line in cls.stack.log("nginx-access").splitlines()
                  if re.search(r'HTTP/1\.[01]" 5(?!07)\d\d ', line)]
        if errors:
            raise AssertionError("server errors:\n" + "\n".join(errors[:20]))


if __name__ == "__main__":
    unittest.main(verbosity=2)
