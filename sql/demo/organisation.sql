-- The demo organisation of Pemko Pekanbaru (not a migration).
--
-- Applied by `esurat seed-demo` inside its transaction, before the demo
-- users are created; idempotent, so it may also be applied by hand:
--   psql "$ESURAT_DATABASE_URL" -v ON_ERROR_STOP=1 -1 -f sql/demo/organisation.sql
-- Positions are found again by (unit, title).

INSERT INTO units (code, name) VALUES
    ('Pemko', 'Pemerintah Kota Pekanbaru')
ON CONFLICT (code) DO NOTHING;

INSERT INTO units (code, name, parent_id)
SELECT v.code, v.name, p.id
  FROM (VALUES ('Setda', 'Sekretariat Daerah', 'Pemko')) AS v (code, name, parent)
  JOIN units p ON p.code = v.parent
ON CONFLICT (code) DO NOTHING;

INSERT INTO units (code, name, parent_id)
SELECT v.code, v.name, p.id
  FROM (VALUES ('AsPem', 'Asisten Pemerintahan', 'Setda'),
               ('Umum', 'Bagian Umum', 'Setda')) AS v (code, name, parent)
  JOIN units p ON p.code = v.parent
ON CONFLICT (code) DO NOTHING;

INSERT INTO units (code, name, parent_id)
SELECT v.code, v.name, p.id
  FROM (VALUES ('Hukum', 'Bagian Hukum', 'AsPem')) AS v (code, name, parent)
  JOIN units p ON p.code = v.parent
ON CONFLICT (code) DO NOTHING;

-- Positions, top down: each statement may refer to those before it.
INSERT INTO positions (unit_id, title, parent_id, is_entry_point)
SELECT u.id, 'Walikota Pekanbaru', NULL, true
  FROM units u
 WHERE u.code = 'Pemko'
   AND NOT EXISTS (SELECT 1 FROM positions p
                    WHERE p.unit_id = u.id AND p.title = 'Walikota Pekanbaru');

INSERT INTO positions (unit_id, title, parent_id, is_entry_point)
SELECT u.id, 'Sekretaris Daerah', top.id, true
  FROM units u
  JOIN positions top ON top.title = 'Walikota Pekanbaru'
  JOIN units tu ON tu.id = top.unit_id AND tu.code = 'Pemko'
 WHERE u.code = 'Setda'
   AND NOT EXISTS (SELECT 1 FROM positions p
                    WHERE p.unit_id = u.id AND p.title = 'Sekretaris Daerah');

INSERT INTO positions (unit_id, title, parent_id, is_entry_point)
SELECT u.id, v.title, up.id, false
  FROM (VALUES ('AsPem', 'Asisten Pemerintahan', 'Setda', 'Sekretaris Daerah'),
               ('Umum', 'Kepala Bagian Umum', 'Setda', 'Sekretaris Daerah'))
       AS v (unit, title, up_unit, up_title)
  JOIN units u ON u.code = v.unit
  JOIN units uu ON uu.code = v.up_unit
  JOIN positions up ON up.unit_id = uu.id AND up.title = v.up_title
 WHERE NOT EXISTS (SELECT 1 FROM positions p
                    WHERE p.unit_id = u.id AND p.title = v.title);

INSERT INTO positions (unit_id, title, parent_id, is_entry_point)
SELECT u.id, 'Kepala Bagian Hukum', up.id, false
  FROM units u
  JOIN units uu ON uu.code = 'AsPem'
  JOIN positions up ON up.unit_id = uu.id AND up.title = 'Asisten Pemerintahan'
 WHERE u.code = 'Hukum'
   AND NOT EXISTS (SELECT 1 FROM positions p
                    WHERE p.unit_id = u.id AND p.title = 'Kepala Bagian Hukum');
