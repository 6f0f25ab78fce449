-- The letter page's JSON (GET /api/letters/{id}: the letter with its
-- scans, disposition tree and history), kept once built, so that a read is
-- one row looked up by key instead of a dozen sub-plans (bench: building it
-- cost five times the rest of the request). PostgreSQL stays the one
-- source of truth: the document is a cache with a revision, and every
-- change to what it shows bumps the revision in the changing transaction.
--
-- Why it cannot serve stale text:
--   * every letter has its row, made with the letter (trigger below), so a
--     change always finds a row to bump;
--   * a change bumps the revision and drops the document (triggers on
--     each table the document shows), holding the row's lock until it
--     commits;
--   * a reader builds the document, then stores it only if the revision is
--     still the one it read before building; a change that committed in
--     between has bumped it, one still running holds the lock (the reader
--     skips the store rather than wait).
-- A transaction bumps a row once: later changes in the same transaction
-- are invisible to others until it commits, like the first.
--
-- Two things a document shows change without touching its letter:
--   * the day: overdue branches, and who holds a position today (acting
--     appointments have dates); a document serves the day it was built
--     for (doc_date);
--   * names and rules shown on every page (users, positions, units, their
--     holders, the instructions' order): an admin's change there bumps one
--     generation for all documents, and a document built under an older
--     generation is built again. A reader stores the generation it read
--     before building, so a change racing with it only costs a rebuild.

-- security and unit_id are copies of the letter's, so that a read, which
-- needs them to decide who may see the letter, touches this table alone.
CREATE TABLE letter_docs (
    letter_id bigint PRIMARY KEY REFERENCES letters (id) ON DELETE CASCADE,
    security  text NOT NULL,
    unit_id   bigint NOT NULL,
    revision  bigint NOT NULL DEFAULT 1,
    doc       text NULL, -- NULL: to be built by the next reader
    doc_date  date NULL, -- the day doc was built for
    doc_generation bigint NULL
);

CREATE TABLE letter_docs_generation (
    id         integer PRIMARY KEY CHECK (id = 1),
    generation bigint NOT NULL
);
INSERT INTO letter_docs_generation VALUES (1, 1);

INSERT INTO letter_docs (letter_id, security, unit_id) SELECT id, security, unit_id FROM letters;

CREATE FUNCTION letter_docs_add() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO letter_docs (letter_id, security, unit_id) VALUES (NEW.id, NEW.security, NEW.unit_id);
    RETURN NULL;
END
$$;
CREATE TRIGGER letters_doc_row AFTER INSERT ON letters
    FOR EACH ROW EXECUTE FUNCTION letter_docs_add();

-- Drops letter p_letter_id's document; once per transaction.
CREATE FUNCTION letter_doc_invalidate(p_letter_id bigint) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE letter_docs SET revision = revision + 1, doc = NULL
     WHERE letter_id = p_letter_id AND xmin <> pg_current_xact_id()::xid;
END
$$;

-- The document as API.md shows it, built from the current snapshot, with
-- overdue dispositions as of p_today.
CREATE FUNCTION letter_doc_build(p_letter_id bigint, p_today date) RETURNS text
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    RETURN (SELECT (letter_json(l) || jsonb_build_object(
        'scans', (SELECT coalesce(jsonb_agg(jsonb_build_object(
                        'id', s.id, 'sha256', s.sha256, 'bytes', s.bytes,
                        'mime', s.mime, 'pages', s.pages, 'original_name', s.original_name,
                        'uploaded_at', s.uploaded_at, 'ocr_status', j.status)
                        ORDER BY s.id), '[]'::jsonb)
                    FROM scans s LEFT JOIN ocr_jobs j ON j.scan_id = s.id
                   WHERE s.letter_id = l.id),
        'dispositions', disposition_tree_json(l.id, p_today),
        'history', (SELECT coalesce(jsonb_agg(jsonb_build_object(
                        'at', h.at, 'action', h.action,
                        'user', CASE WHEN u.id IS NOT NULL
                                     THEN jsonb_build_object('id', u.id, 'name', u.name) END,
                        'detail', h.detail) ORDER BY h.id), '[]'::jsonb)
                      FROM letter_history h LEFT JOIN users u ON u.id = h.user_id
                     WHERE h.letter_id = l.id)
        ))::text
      FROM letters l WHERE l.id = p_letter_id);
END
$$;

-- The document of p_letter_id for p_today, built now and kept unless
-- something changed it meanwhile. The caller has checked that the reader
-- may see the letter.
CREATE FUNCTION letter_doc_fill(p_letter_id bigint, p_today date) RETURNS text
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    v_revision bigint;
    v_generation bigint;
    v_doc text;
BEGIN
    SELECT d.revision, g.generation INTO v_revision, v_generation
      FROM letter_docs d, letter_docs_generation g WHERE d.letter_id = p_letter_id;
    v_doc := letter_doc_build(p_letter_id, p_today);
    IF v_revision IS NULL OR v_doc IS NULL THEN
        RETURN v_doc;
    END IF;
    -- A cache row lost in a crash is rebuilt by the next reader: its
    -- commit need not wait for the disk.
    PERFORM set_config('synchronous_commit', 'off', true);
    UPDATE letter_docs SET doc = v_doc, doc_date = p_today, doc_generation = v_generation
     WHERE letter_id = (SELECT letter_id FROM letter_docs
                         WHERE letter_id = p_letter_id AND revision = v_revision
                           FOR UPDATE SKIP LOCKED);
    RETURN v_doc;
END
$$;

-- What the document shows, and the triggers that drop it.

CREATE FUNCTION letter_doc_changed() RETURNS trigger
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
    WHEN 'scans', 'dispositions' THEN
        PERFORM letter_doc_invalidate(r.letter_id);
    WHEN 'ocr_jobs' THEN
        PERFORM letter_doc_invalidate(s.letter_id) FROM scans s WHERE s.id = r.scan_id;
    WHEN 'disposition_instructions' THEN
        PERFORM letter_doc_invalidate(d.letter_id) FROM dispositions d WHERE d.id = r.disposition_id;
    WHEN 'audit_log' THEN
        PERFORM letter_doc_invalidate(CASE WHEN r.object_type = 'letter' THEN r.object_id
                                           ELSE r.detail ->> 'letter_id' END::bigint);
    END CASE;
    RETURN NULL;
END
$$;

CREATE TRIGGER letters_doc AFTER UPDATE ON letters
    FOR EACH ROW EXECUTE FUNCTION letter_doc_changed();
CREATE TRIGGER scans_doc AFTER INSERT OR UPDATE OR DELETE ON scans
    FOR EACH ROW EXECUTE FUNCTION letter_doc_changed();
-- The lease renewals of the OCR worker change nothing the letter shows.
CREATE TRIGGER ocr_jobs_doc AFTER UPDATE ON ocr_jobs
    FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status)
    EXECUTE FUNCTION letter_doc_changed();
CREATE TRIGGER dispositions_doc AFTER INSERT OR UPDATE OR DELETE ON dispositions
    FOR EACH ROW EXECUTE FUNCTION letter_doc_changed();
CREATE TRIGGER disposition_instructions_doc AFTER INSERT OR UPDATE OR DELETE ON disposition_instructions
    FOR EACH ROW EXECUTE FUNCTION letter_doc_changed();
CREATE TRIGGER audit_log_doc AFTER INSERT ON audit_log
    FOR EACH ROW WHEN (NEW.object_type = 'letter' OR NEW.detail ? 'letter_id')
    EXECUTE FUNCTION letter_doc_changed();

-- Names and rules shown in every document change rarely, by an admin.
CREATE FUNCTION letter_docs_invalidate_all() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE letter_docs_generation SET generation = generation + 1;
    RETURN NULL;
END
$$;
CREATE TRIGGER users_docs AFTER UPDATE OF name ON users
    FOR EACH STATEMENT EXECUTE FUNCTION letter_docs_invalidate_all();
CREATE TRIGGER positions_docs AFTER INSERT OR UPDATE OR DELETE ON positions
    FOR EACH STATEMENT EXECUTE FUNCTION letter_docs_invalidate_all();
CREATE TRIGGER units_docs AFTER INSERT OR UPDATE OR DELETE ON units
    FOR EACH STATEMENT EXECUTE FUNCTION letter_docs_invalidate_all();
CREATE TRIGGER position_holders_docs AFTER INSERT OR UPDATE OR DELETE ON position_holders
    FOR EACH STATEMENT EXECUTE FUNCTION letter_docs_invalidate_all();
CREATE TRIGGER instructions_docs AFTER INSERT OR UPDATE OR DELETE ON instructions
    FOR EACH STATEMENT EXECUTE FUNCTION letter_docs_invalidate_all();

-- Sessions: each esurat-fcgi worker remembers for a moment the sessions it
-- checked (fcgi/session_cache.c) and forgets them all when told on this
-- channel that a session ended or a user's rights changed.
CREATE FUNCTION sessions_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('esurat_sessions', TG_TABLE_NAME);
    RETURN NULL;
END
$$;
CREATE TRIGGER sessions_notify AFTER DELETE ON sessions
    FOR EACH STATEMENT EXECUTE FUNCTION sessions_changed();
-- Not when a session is marked used (last_seen_at forward, every 30 s).
CREATE TRIGGER sessions_shortened AFTER UPDATE ON sessions
    FOR EACH ROW WHEN (NEW.expires_at < OLD.expires_at OR NEW.last_seen_at < OLD.last_seen_at
                       OR NEW.user_id <> OLD.user_id OR NEW.token_hash <> OLD.token_hash)
    EXECUTE FUNCTION sessions_changed();
CREATE TRIGGER users_notify AFTER UPDATE OR DELETE ON users
    FOR EACH STATEMENT EXECUTE FUNCTION sessions_changed();
CREATE TRIGGER user_roles_notify AFTER INSERT OR UPDATE OR DELETE ON user_roles
    FOR EACH STATEMENT EXECUTE FUNCTION sessions_changed();
