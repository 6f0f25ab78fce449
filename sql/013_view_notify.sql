-- Each esurat-fcgi worker remembers for a moment the letter pages and
-- inbox pages it answered (fcgi/view_cache.h). This channel tells every
-- worker, on every host, what to forget, when the changing transaction
-- commits:
--   'L<id>'  letter <id>'s page changed (scans, OCR status, history), and
--            a worker may hold it: only when letter_docs kept a document
--            (workers keep only documents letter_docs held), so that a new
--            letter, which nobody has read, costs no notification;
--   'I<id>'  letter <id>'s page and every inbox: a disposition of it, or
--            the letter's own fields, which inbox pages show, changed;
--   '*'      names, positions, units, holders or instructions changed.
-- PostgreSQL folds equal notifications of one transaction into one.

CREATE OR REPLACE FUNCTION letter_doc_invalidate(p_letter_id bigint) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    v_kept boolean;
BEGIN
    -- FOR UPDATE: the newest version of the row, a document stored by a
    -- reader that committed a moment ago included.
    SELECT doc IS NOT NULL INTO v_kept FROM letter_docs WHERE letter_id = p_letter_id FOR UPDATE;
    UPDATE letter_docs SET revision = revision + 1, doc = NULL
     WHERE letter_id = p_letter_id AND xmin <> pg_current_xact_id()::xid;
    IF v_kept THEN
        PERFORM pg_notify('esurat_views', 'L' || p_letter_id);
    END IF;
END
$$;

CREATE OR REPLACE FUNCTION letter_doc_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    r record;
BEGIN
    r := CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
    CASE TG_TABLE_NAME
    WHEN 'letters' THEN
        UPDATE letter_docs
           SET security = r.security, unit_id = r.unit_id, doc = NULL,
               revision = revision + CASE WHEN xmin = pg_current_xact_id()::xid THEN 0 ELSE 1 END
         WHERE letter_id = r.id;
        PERFORM pg_notify('esurat_views', 'I' || r.id);
    WHEN 'scans' THEN
        PERFORM letter_doc_invalidate(r.letter_id);
    WHEN 'dispositions' THEN
        PERFORM letter_doc_invalidate(r.letter_id);
        PERFORM pg_notify('esurat_views', 'I' || r.letter_id);
    WHEN 'ocr_jobs' THEN
        PERFORM letter_doc_invalidate(s.letter_id) FROM scans s WHERE s.id = r.scan_id;
    WHEN 'disposition_instructions' THEN
        PERFORM letter_doc_invalidate(d.letter_id), pg_notify('esurat_views', 'I' || d.letter_id)
           FROM dispositions d WHERE d.id = r.disposition_id;
    WHEN 'audit_log' THEN
        PERFORM letter_doc_invalidate(CASE WHEN r.object_type = 'letter' THEN r.object_id
                                           ELSE r.detail ->> 'letter_id' END::bigint);
    END CASE;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION letter_docs_invalidate_all() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE letter_docs_generation SET generation = generation + 1;
    PERFORM pg_notify('esurat_views', '*');
    RETURN NULL;
END
$$;
