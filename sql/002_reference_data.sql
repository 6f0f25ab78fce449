-- Reference data every installation needs.
--
-- The ten main classification codes of Permendagri 83/2022. Lower codes,
-- with their retention years and final dispositions, differ by region: an
-- administrator imports the region's table with
-- `esurat classification import FILE.csv`. Retention stays NULL here.
INSERT INTO classifications (code, title) VALUES
    ('000', 'Umum'),
    ('100', 'Pemerintahan'),
    ('200', 'Politik'),
    ('300', 'Keamanan dan Ketertiban'),
    ('400', 'Kesejahteraan Rakyat'),
    ('500', 'Perekonomian'),
    ('600', 'Pekerjaan Umum dan Ketenagaan'),
    ('700', 'Pengawasan'),
    ('800', 'Kepegawaian'),
    ('900', 'Keuangan')
ON CONFLICT (code) DO NOTHING;

-- The standard instructions of the disposition sheet (lembar disposisi),
-- in the order offices print them.
INSERT INTO instructions (code, label, sort_order) VALUES
    ('ketahui',        'Untuk diketahui',             10),
    ('tindak_lanjuti', 'Untuk ditindaklanjuti',       20),
    ('pelajari',       'Pelajari dan beri saran',     30),
    ('hadiri',         'Hadiri/wakili',               40),
    ('jawab',          'Siapkan jawaban',             50),
    ('koordinasikan',  'Koordinasikan',               60),
    ('agendakan',      'Agendakan',                   70),
    ('laporkan',       'Laporkan hasilnya',           80),
    ('selesaikan',     'Selesaikan sesuai ketentuan', 90),
    ('arsipkan',       'Arsipkan',                   100)
ON CONFLICT (code) DO NOTHING;
