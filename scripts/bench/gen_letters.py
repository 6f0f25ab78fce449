#!/usr/bin/env python3
"""Synthetic letters of a city government, in Indonesian, for
scripts/bench-search: N letters registered over ten years (2015-2024),
each with one scan of 1-3 pages of OCR-like text (letterhead, place and
date, number, subject, salutation, body, closing, signature), words drawn
from a Zipf law over an office vocabulary plus a long tail of rarer words,
a few OCR slips, and a handful of planted rare words.

Writes three CSV files for COPY into DIR: letters.csv, scans.csv,
page_texts.csv (ids from 1; the caller sets the sequences).

    gen_letters.py N DIR --unit UNIT_ID --user USER_ID [--seed 6]
"""

import argparse
import bisect
import csv
import hashlib
import itertools
import os
import random

MONTHS = ["Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September",
          "Oktober", "November", "Desember"]
UNITS = [("Disdik", "Dinas Pendidikan"), ("Dinkes", "Dinas Kesehatan"), ("PUPR", "Dinas Pekerjaan Umum dan Penataan Ruang"),
         ("Dishub", "Dinas Perhubungan"), ("Bappeda", "Badan Perencanaan Pembangunan Daerah"),
         ("BKPSDM", "Badan Kepegawaian dan Pengembangan Sumber Daya Manusia"), ("Satpol-PP", "Satuan Polisi Pamong Praja"),
         ("Disdukcapil", "Dinas Kependudukan dan Pencatatan Sipil"), ("DLHK", "Dinas Lingkungan Hidup dan Kebersihan"),
         ("Kec-Sukajadi", "Kecamatan Sukajadi"), ("Kec-Tampan", "Kecamatan Tampan"), ("Kec-Rumbai", "Kecamatan Rumbai"),
         ("Inspektorat", "Inspektorat Kota"), ("BPKAD", "Badan Pengelolaan Keuangan dan Aset Daerah"),
         ("Dinsos", "Dinas Sosial"), ("Diskominfo", "Dinas Komunikasi, Informatika, Statistik dan Persandian")]
CODES = ["005", "090", "800", "900", "000.1.5", "100", "400", "500", "600", "700", "800.1.11.1", "000.8.3.3",
         "045", "094", "841", "870", "910", "420", "440", "520"]
SUBJECTS = ["Undangan Rapat Koordinasi", "Permohonan Data", "Laporan Kegiatan", "Pemberitahuan", "Surat Tugas",
            "Permohonan Izin", "Penyampaian Laporan Keuangan", "Usulan Kenaikan Pangkat", "Undangan Sosialisasi",
            "Permohonan Bantuan", "Laporan Realisasi Anggaran", "Penyampaian Hasil Evaluasi", "Perjalanan Dinas",
            "Permohonan Rekomendasi", "Undangan Musyawarah Perencanaan Pembangunan", "Nota Dinas",
            "Pengaduan Masyarakat", "Perbaikan Saluran Drainase", "Pengadaan Barang dan Jasa", "Mutasi Pegawai"]
# The office's words, most frequent first (Zipf).
VOCAB = """yang dan dengan untuk dalam pada kami surat kota ini tersebut dari kepada bapak kegiatan pelaksanaan
tahun agar dapat sebagai oleh akan kepala dinas pekanbaru bagian pemerintah daerah sesuai atas telah bahwa rapat
koordinasi hal data laporan program anggaran pegawai masyarakat pelayanan wilayah kecamatan kelurahan perlu
mohon perhatian hormat disampaikan berdasarkan peraturan nomor walikota sekretaris tentang penyelenggaraan
pembangunan serta bidang tugas hasil waktu tempat hari tanggal acara pukul wib ruang kantor lantai gedung
penyusunan rencana kerja evaluasi monitoring pengawasan keuangan aset pengelolaan sumber manusia kesehatan
pendidikan sekolah siswa guru jalan drainase saluran perbaikan pemeliharaan lingkungan kebersihan sampah
perhubungan lalu lintas kendaraan parkir terminal keamanan ketertiban umum penduduk administrasi kependudukan
sosial bantuan warga bencana banjir kebakaran informasi komunikasi aplikasi sistem elektronik jaringan
dokumen berkas arsip lampiran tembusan yth sehubungan menindaklanjuti demikian diucapkan terima kasih
kerjasama partisipasi kehadiran diharapkan dimohon segera mungkin paling lambat selambat lambatnya
penyampaian pengajuan permohonan usulan rekomendasi persetujuan penetapan keputusan instruksi edaran
pedoman petunjuk teknis standar operasional prosedur kualitas peningkatan pengembangan pemberdayaan
perencanaan penganggaran penatausahaan pertanggungjawaban realisasi belanja pendapatan retribusi pajak
investasi perizinan usaha mikro kecil menengah pasar perdagangan industri pariwisata kebudayaan pemuda olahraga
kesejahteraan perlindungan anak perempuan keluarga berencana kesehatan ibu gizi puskesmas rumah sakit obat
vaksinasi imunisasi posyandu camat lurah ketua rt rw tokoh agama adat organisasi lembaga instansi vertikal
provinsi riau pusat kementerian dalam negeri badan nasional kabupaten sekitar batas koordinat lokasi survei
pengukuran lahan bangunan gedung izin mendirikan tata ruang kawasan hijau taman kota pohon penerangan
listrik air bersih sanitasi limbah pengolahan kontrak penyedia barang jasa lelang tender pengadaan
pembayaran termin uang muka jaminan pelaksana konsultan pengawas fisik progres persen minggu bulan triwulan
semester akhir awal berjalan sebelumnya berikutnya berikut diatas dibawah masing masing seluruh setiap
beberapa para pihak terkait terhadap mengenai melalui antara bersama kepada oleh bagi tanpa namun sehingga
karena apabila jika maka guna dalam rangka menghadiri mengikuti melaksanakan menyampaikan menyiapkan
mengoordinasikan melaporkan memfasilitasi mendukung mengusulkan menetapkan memberikan menerima meminta
dilaksanakan diselenggarakan disusun diajukan ditetapkan diberikan diterima diminta diharapkan dihadiri
undangan pengumuman pemberitahuan penugasan pendampingan pembinaan sosialisasi bimbingan pelatihan
workshop seminar lokakarya musyawarah forum diskusi pembahasan rancangan naskah akademik kajian analisis""".split()
PLANTED_RARE = ["kaligrafi", "mangrove", "seismograf", "akuaponik"]  # in about 1 letter of 5 000 each


def syllable_words(rng, n):
    """A long tail of plausible words (and OCR-ish variants)."""
    onsets = ["b", "c", "d", "g", "h", "j", "k", "l", "m", "n", "p", "r", "s", "t", "w", "ng", "ny", "pr", "tr", "kl"]
    vowels = ["a", "i", "u", "e", "o", "ai", "au"]
    codas = ["", "", "n", "ng", "r", "s", "t", "k", "l", "m", "h"]
    words = set()
    while len(words) < n:
        k = rng.choice([2, 2, 2, 3])
        w = "".join(rng.choice(onsets) + rng.choice(vowels) + rng.choice(codas) for _ in range(k))
        if rng.random() < 0.3:
            w = rng.choice(["me", "di", "pe", "ber", "ke"]) + w + rng.choice(["", "an", "kan", "nya", "i"])
        words.add(w)
    return sorted(words)


class Sampler:
    def __init__(self, words, rng, s=1.2):
        self.words = words
        self.rng = rng
        weights = [1.0 / (i + 1) ** s for i in range(len(words))]
        self.cum = list(itertools.accumulate(weights))

    def word(self):
        return self.words[bisect.bisect_left(self.cum, self.rng.random() * self.cum[-1])]


def ocr_slip(rng, w):
    """Now and then a damaged word, as OCR makes them."""
    if len(w) < 5 or rng.random() > 0.02:
        return w
    i = rng.randrange(1, len(w) - 1)
    return w[:i] + rng.choice(["l", "1", "rn", "c", "e", "i"]) + w[i + 1:]


def sentence(rng, sampler, n):
    words = [ocr_slip(rng, sampler.word()) for _ in range(n)]
    return words[0].capitalize() + " " + " ".join(words[1:]) + "."


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("n", type=int)
    ap.add_argument("dir")
    ap.add_argument("--unit", type=int, required=True)
    ap.add_argument("--user", type=int, required=True)
    ap.add_argument("--seed", type=int, default=6)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    vocab = VOCAB + syllable_words(rng, 30000)
    sampler = Sampler(vocab, rng)
    os.makedirs(a.dir, exist_ok=True)
    fl = open(os.path.join(a.dir, "letters.csv"), "w", newline="")
    fs = open(os.path.join(a.dir, "scans.csv"), "w", newline="")
    fp = open(os.path.join(a.dir, "page_texts.csv"), "w", newline="")
    wl, ws, wp = csv.writer(fl), csv.writer(fs), csv.writer(fp)
    for i in range(1, a.n + 1):
        year = 2015 + (i * 10) // (a.n + 1)
        day_of_year = rng.randrange(0, 360)
        month, day = day_of_year // 30 + 1, day_of_year % 30 + 1 if day_of_year // 30 + 1 != 2 else day_of_year % 28 + 1
        created = "%04d-%02d-%02d %02d:%02d:%02d+07" % (year, month, day, rng.randrange(7, 17), rng.randrange(60), rng.randrange(60))
        code_unit, unit_name = rng.choice(UNITS)
        code = rng.choice(CODES)
        direction = "in" if rng.random() < 0.75 else "out"
        number = "%s/%d/%s/%d" % (code, rng.randrange(1, 2000), code_unit, year) + ("/%d" % i)
        subject = rng.choice(SUBJECTS) + " " + " ".join(sampler.word() for _ in range(rng.randrange(2, 6)))
        summary = sentence(rng, sampler, rng.randrange(8, 20))
        sender = unit_name if direction == "in" else "Bagian Umum Sekretariat Daerah"
        recipient = "Walikota Pekanbaru" if direction == "in" else unit_name
        wl.writerow([i, direction, a.unit, i, year, number, created[:10], created if direction == "in" else "",
                     sender, recipient, subject, summary, code, "biasa", "biasa", "selesai", a.user, created, created])
        npages = rng.choice([1, 1, 1, 2, 2, 3])
        ws.writerow([i, i, hashlib.sha256(b"bench-%d" % i).hexdigest(), 100000 + i, "application/pdf", npages, a.user, created])
        for page in range(1, npages + 1):
            parts = []
            if page == 1:
                parts += ["PEMERINTAH KOTA PEKANBARU", unit_name.upper(), "Jalan Jenderal Sudirman No. %d Pekanbaru" % rng.randrange(1, 500),
                          "Pekanbaru, %d %s %d" % (day, MONTHS[month - 1], year), "Nomor : %s" % number,
                          "Lampiran : %d berkas" % rng.randrange(1, 4), "Perihal : %s" % subject,
                          "Kepada Yth. %s di Pekanbaru" % recipient, "Dengan hormat,",
                          "Menindaklanjuti surat %s nomor %d tanggal %d %s %d, bersama ini kami sampaikan hal-hal sebagai berikut."
                          % (sender, rng.randrange(1, 999), rng.randrange(1, 28), MONTHS[rng.randrange(12)], year)]
            body = [sentence(rng, sampler, rng.randrange(8, 24)) for _ in range(rng.randrange(6, 14))]
            if rng.random() < 0.3:
                body.insert(rng.randrange(len(body) + 1), "Rapat koordinasi akan dilaksanakan pada hari %s di ruang rapat kantor." % rng.choice(["Senin", "Selasa", "Rabu", "Kamis"]))
            if rng.random() < 0.05:
                body.append("Perbaikan saluran drainase di wilayah kecamatan perlu segera ditindaklanjuti.")
            for w in PLANTED_RARE:
                if rng.random() < 1 / 5000:
                    body.append("Catatan khusus mengenai %s." % w)
            parts.append(" ".join(body))
            if page == npages:
                parts += ["Demikian disampaikan, atas perhatian dan kerjasama Bapak/Ibu diucapkan terima kasih.",
                          "KEPALA %s" % unit_name.upper(), "%s, S.H., M.Si." % rng.choice(["Ahmad Fauzi", "Siti Rahmah", "Budi Santoso", "Dewi Lestari"]),
                          "NIP %018d" % rng.randrange(10 ** 17, 10 ** 18), "Tembusan: Yth. Sekretaris Daerah Kota Pekanbaru"]
            wp.writerow([i, page, "\n".join(parts), "%.1f" % (80 + rng.random() * 19)])
    for f in (fl, fs, fp):
        f.close()


if __name__ == "__main__":
    main()
