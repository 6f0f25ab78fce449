-- Archive export, fixity and retention (issue 7).
--
-- Fixity: every stored scan file (one per sha256, however many scans
-- name it) has a row in scan_fixity with its last check. `esurat fixity`
-- checks them all; esurat-worker checks the oldest few at a time, so that
-- every file is checked again within ESURAT_FIXITY_DAYS. fixity_health
-- keeps the summary in one row for GET /api/health and /metrics (polled
-- often; counting scan_fixity there would cost a scan per call).

CREATE TABLE scan_fixity (
    sha256         text PRIMARY KEY CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    -- NULL: not checked yet.
    checked_at     timestamptz NULL,
    status         text NULL CHECK (status IN ('ok', 'missing', 'changed')),
    -- What was found on disk when it was not the expected bytes.
    actual_sha256  text NULL CHECK (actual_sha256 ~ '^[0-9a-f]{64}$'),
    actual_bytes   bigint NULL,
    -- First time the current problem was seen (NULL while ok).
    problem_since  timestamptz NULL,
    CHECK ((checked_at IS NULL) = (status IS NULL))
);
-- The oldest checks first, never-checked files before all.
CREATE INDEX scan_fixity_due_idx ON scan_fixity (checked_at NULLS FIRST);
CREATE INDEX scan_fixity_problem_idx ON scan_fixity (status) WHERE status <> 'ok';

INSERT INTO scan_fixity (sha256) SELECT DISTINCT sha256 FROM scans ON CONFLICT DO NOTHING;

CREATE FUNCTION scan_fixity_add() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO scan_fixity (sha256) VALUES (NEW.sha256) ON CONFLICT (sha256) DO NOTHING;
    RETURN NULL;
END
$$;
CREATE TRIGGER scans_fixity_row AFTER INSERT ON scans
    FOR EACH ROW EXECUTE FUNCTION scan_fixity_add();

CREATE TABLE fixity_health (
    id               integer PRIMARY KEY DEFAULT 1 CHECK (id = 1),
    files            bigint NOT NULL,     -- stored files named by a scan
    unchecked        bigint NOT NULL,     -- never checked
    missing          bigint NOT NULL,
    changed          bigint NOT NULL,
    last_check_at    timestamptz NULL,    -- the newest check
    oldest_check_at  timestamptz NULL,    -- the oldest check of a checked file
    last_pass_at     timestamptz NULL,    -- end of the last full pass (esurat fixity)
    updated_at       timestamptz NOT NULL DEFAULT now()
);

-- Recomputes fixity_health from scan_fixity (files still named by a scan
-- only: a removed draft's file is no loss). Called after each batch of
-- checks; p_full_pass: a full pass (esurat fixity) has just ended.
CREATE FUNCTION fixity_refresh_health(p_full_pass boolean) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO fixity_health AS h (id, files, unchecked, missing, changed, last_check_at, oldest_check_at,
                                    last_pass_at, updated_at)
    SELECT 1, count(*), count(*) FILTER (WHERE f.checked_at IS NULL),
           count(*) FILTER (WHERE f.status = 'missing'), count(*) FILTER (WHERE f.status = 'changed'),
           max(f.checked_at), min(f.checked_at), CASE WHEN p_full_pass THEN now() END, now()
      FROM scan_fixity f
     WHERE EXISTS (SELECT 1 FROM scans s WHERE s.sha256 = f.sha256)
    ON CONFLICT (id) DO UPDATE SET
        files = excluded.files, unchecked = excluded.unchecked, missing = excluded.missing,
        changed = excluded.changed, last_check_at = excluded.last_check_at,
        oldest_check_at = excluded.oldest_check_at,
        last_pass_at = coalesce(excluded.last_pass_at, h.last_pass_at), updated_at = now();
END
$$;

-- Records one check. p_status 'ok', 'missing' or 'changed'.
CREATE FUNCTION fixity_record(p_sha256 text, p_status text, p_actual_sha256 text, p_actual_bytes bigint)
RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO scan_fixity AS f (sha256, checked_at, status, actual_sha256, actual_bytes, problem_since)
    VALUES (p_sha256, now(), p_status, p_actual_sha256, p_actual_bytes,
            CASE WHEN p_status <> 'ok' THEN now() END)
    ON CONFLICT (sha256) DO UPDATE SET
        checked_at = now(), status = p_status, actual_sha256 = p_actual_sha256,
        actual_bytes = p_actual_bytes,
        problem_since = CASE WHEN p_status = 'ok' THEN NULL
                             WHEN f.status = p_status THEN coalesce(f.problem_since, now())
                             ELSE now() END;
END
$$;

-- ---------------------------------------------------------------------------
-- Retention (JRA): the schedule that applies to each classification code,
-- its own when its three columns are set, else that of its nearest
-- ancestor that has them (000.1.5 -> 000.1 -> 000).

CREATE VIEW classification_retention AS
WITH RECURSIVE chain (code, ancestor, depth) AS (
    SELECT c.code, c.code, 0 FROM classifications c
    UNION ALL
    SELECT ch.code, c.parent_code, ch.depth + 1
      FROM chain ch JOIN classifications c ON c.code = ch.ancestor
     WHERE c.parent_code IS NOT NULL AND ch.depth < 32
)
SELECT DISTINCT ON (ch.code)
       ch.code, a.code AS rule_code, a.retention_active_years AS active_years,
       a.retention_inactive_years AS inactive_years, a.final_disposition
  FROM chain ch JOIN classifications a ON a.code = ch.ancestor
 WHERE a.retention_active_years IS NOT NULL AND a.retention_inactive_years IS NOT NULL
   AND a.final_disposition IS NOT NULL
 ORDER BY ch.code, ch.depth;

-- Where each letter stands in its retention schedule on day p_as_of. The
-- years count from the day the letter was registered (created_at in the
-- session's time zone):
--   aktif            still in its active years
--   inaktif          active years over: due for transfer to the records
--                    centre (arsip inaktif)
--   musnah           inactive years over, final disposition musnah: due
--                    for destruction (after the appraisal the law requires)
--   permanen         inactive years over, permanen: due for transfer to the
--                    archive institution (lembaga kearsipan)
--   dinilai_kembali  inactive years over, dinilai kembali: due for review
--   tanpa_jra        no classification, or none with a schedule
-- due_on: the day the letter entered its present stage (NULL for aktif
-- and tanpa_jra).
CREATE FUNCTION letter_retention(p_as_of date)
RETURNS TABLE (letter_id bigint, rule_code text, active_years integer, inactive_years integer,
               final_disposition text, active_until date, inactive_until date, action text, due_on date)
LANGUAGE sql STABLE
AS $$
    SELECT x.id, x.rule_code, x.active_years, x.inactive_years, x.final_disposition,
           x.active_until, x.inactive_until, x.action,
           CASE x.action WHEN 'aktif' THEN NULL WHEN 'tanpa_jra' THEN NULL
                         WHEN 'inaktif' THEN x.active_until ELSE x.inactive_until END
      FROM (SELECT l.id, r.rule_code, r.active_years, r.inactive_years, r.final_disposition,
                   u.active_until, u.inactive_until,
                   CASE WHEN r.rule_code IS NULL THEN 'tanpa_jra'
                        WHEN p_as_of < u.active_until THEN 'aktif'
                        WHEN p_as_of < u.inactive_until THEN 'inaktif'
                        ELSE r.final_disposition END AS action
              FROM letters l
              LEFT JOIN classification_retention r ON r.code = l.classification
              CROSS JOIN LATERAL (
                  SELECT (l.created_at::date + make_interval(years => r.active_years))::date AS active_until,
                         (l.created_at::date + make_interval(years => r.active_years + r.inactive_years))::date
                             AS inactive_until) u) x
$$;

-- ---------------------------------------------------------------------------
-- Export (core/export.c): the name of each scan in its letter's folder,
-- "scan-N.<ext>" in upload order (never the uploaded name, which is only
-- text and is kept in letter.json), and a letter's OCR text as ocr.txt.

CREATE VIEW export_scan_files AS
SELECT s.id, s.letter_id, s.sha256, s.bytes, s.mime,
       'scan-' || row_number() OVER (PARTITION BY s.letter_id ORDER BY s.id) || '.' ||
       CASE s.mime WHEN 'application/pdf' THEN 'pdf' WHEN 'image/tiff' THEN 'tif'
                   WHEN 'image/png' THEN 'png' WHEN 'image/jpeg' THEN 'jpg' ELSE 'bin' END AS name
  FROM scans s;

CREATE FUNCTION letter_ocr_text(p_letter_id bigint) RETURNS text
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    RETURN (SELECT string_agg(t.block, E'\n' ORDER BY t.scan_id, t.page)
              FROM (SELECT f.id AS scan_id, p.page,
                           '=== ' || f.name || ', halaman ' || p.page || E' ===\n' || p.text || E'\n' AS block
                      FROM export_scan_files f JOIN page_texts p ON p.scan_id = f.id
                     WHERE f.letter_id = p_letter_id
                    UNION ALL
                    SELECT f.id, 0,
                           '=== ' || f.name || ': belum ada teks (OCR ' || coalesce(j.status, 'queued') || E') ===\n'
                      FROM export_scan_files f LEFT JOIN ocr_jobs j ON j.scan_id = f.id
                     WHERE f.letter_id = p_letter_id
                       AND NOT EXISTS (SELECT 1 FROM page_texts p WHERE p.scan_id = f.id)) t);
END
$$;
