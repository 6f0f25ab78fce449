-- Search (issue 6): who may find a letter, in index terms; what the
-- indexer reads; the outbox rows that keep the index in step.
--
-- The Xapian index (search/) is derived data; PostgreSQL stays the one
-- source of truth. Each letter document carries the access groups that
-- may see it, and each search filters on the caller's groups inside the
-- query (rights before ranking). The two functions below are the rule of
-- letter_visible() (004) spelt as groups, and must change with it:
--   letter side                          user side
--   'all'       biasa, terbatas          every signed-in user
--   'admin'     rahasia, sangat_rahasia  role admin
--   'fd:UNIT'   ... registered by UNIT   role front_desk and holding a
--                                        position in UNIT today
--   'pos:POS'   ... disposed to POS      holding POS today (also acting)
-- Positions, not people, are in the index: a new holder (Plt, successor)
-- finds the letters of the position without any reindexing.

CREATE FUNCTION letter_search_groups(p_letter_id bigint, p_security text, p_unit_id bigint)
RETURNS text
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    IF p_security IN ('biasa', 'terbatas') THEN
        RETURN 'all';
    END IF;
    RETURN 'admin fd:' || p_unit_id
        || coalesce((SELECT string_agg(DISTINCT ' pos:' || d.to_position_id, '')
                       FROM dispositions d WHERE d.letter_id = p_letter_id), '');
END
$$;

CREATE FUNCTION user_search_groups(p_user_id bigint)
RETURNS text
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    RETURN 'all'
        || CASE WHEN EXISTS (SELECT 1 FROM user_roles r WHERE r.user_id = p_user_id AND r.role = 'admin')
                THEN ' admin' ELSE '' END
        || coalesce((SELECT string_agg(DISTINCT ' fd:' || p.unit_id, '')
                       FROM user_roles r
                       JOIN current_position_holders h ON h.user_id = r.user_id
                       JOIN positions p ON p.id = h.position_id
                      WHERE r.user_id = p_user_id AND r.role = 'front_desk'), '')
        || coalesce((SELECT string_agg(DISTINCT ' pos:' || h.position_id, '')
                       FROM current_position_holders h WHERE h.user_id = p_user_id), '');
END
$$;

-- The identity of this database, kept in the index: an index built from
-- another database (a restored copy, a test cluster) is rebuilt.
CREATE TABLE search_state (
    id          integer PRIMARY KEY DEFAULT 1 CHECK (id = 1),
    db_uuid     text NOT NULL DEFAULT gen_random_uuid()::text,
    created_at  timestamptz NOT NULL DEFAULT now()
);
INSERT INTO search_state DEFAULT VALUES;

-- A letter's document changes with its dispositions (their notes are
-- searched and their positions are access groups) and with its OCR text.
-- Triggers, so that every code path that changes them (the dispositions
-- API, the OCR worker, SQL by hand) queues the letter for the indexer in
-- the same transaction.
--
-- One row per letter and transaction: a row for a letter this transaction
-- has queued already is dropped (age(xmin) = 0: written by this
-- transaction; the indexer reads the letter after the commit, with every
-- change of it). So a registration with its routing, a disposition to
-- three positions, an OCR result of ten pages, and code that queues the
-- letter itself besides these triggers (the dispositions API, the OCR
-- worker) each leave one row.
CREATE FUNCTION index_outbox_once() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM index_outbox o
                WHERE o.letter_id = NEW.letter_id AND o.op = NEW.op AND o.processed_at IS NULL
                  AND age(o.xmin) = 0) THEN
        RETURN NULL;
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER index_outbox_once BEFORE INSERT ON index_outbox
    FOR EACH ROW EXECUTE FUNCTION index_outbox_once();

CREATE FUNCTION index_outbox_queue(p_letter_id bigint) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO index_outbox (letter_id) VALUES (p_letter_id);
END
$$;

CREATE FUNCTION index_outbox_from_disposition() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        PERFORM index_outbox_queue(OLD.letter_id);
        RETURN OLD;
    END IF;
    IF TG_OP = 'UPDATE' AND NEW.note IS NOT DISTINCT FROM OLD.note
       AND NEW.report IS NOT DISTINCT FROM OLD.report
       AND NEW.to_position_id = OLD.to_position_id AND NEW.letter_id = OLD.letter_id THEN
        RETURN NEW; -- read_at, status: nothing the index holds
    END IF;
    PERFORM index_outbox_queue(NEW.letter_id);
    RETURN NEW;
END
$$;
CREATE TRIGGER dispositions_index_outbox AFTER INSERT OR UPDATE OR DELETE ON dispositions
    FOR EACH ROW EXECUTE FUNCTION index_outbox_from_disposition();

CREATE FUNCTION index_outbox_from_page_text() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    v_scan bigint := CASE WHEN TG_OP = 'DELETE' THEN OLD.scan_id ELSE NEW.scan_id END;
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.text = OLD.text THEN
        RETURN NEW;
    END IF;
    -- A draft scan (no letter yet) is indexed when a letter takes it.
    PERFORM index_outbox_queue(s.letter_id) FROM scans s WHERE s.id = v_scan AND s.letter_id IS NOT NULL;
    RETURN NULL;
END
$$;
CREATE TRIGGER page_texts_index_outbox AFTER INSERT OR UPDATE OR DELETE ON page_texts
    FOR EACH ROW EXECUTE FUNCTION index_outbox_from_page_text();

-- Rows processed since a rebuild's snapshot are applied again to the new
-- index (see search/indexing.c); old processed rows are pruned.
CREATE INDEX index_outbox_processed_idx ON index_outbox (processed_at) WHERE processed_at IS NOT NULL;
