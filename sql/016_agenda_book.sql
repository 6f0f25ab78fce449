-- What a registration costs PostgreSQL, cut further (docs/benchmarks.md).
--
-- 1. The agenda book: one row per agenda number given, the number's
-- uniqueness kept there instead of by a unique index on letters.
--
-- An incoming letter gets its number at COMMIT (sql/015): the deferred
-- trigger writes the number into the letter just inserted. While the number
-- was in one of the letter's indexes, that write was a new version of the
-- row in every one of its indexes (a dozen index entries). With no index on
-- agenda_number the write is a heap-only (HOT) update: one row version on
-- the same page and no index entry. The table keeps room on its pages for
-- that second version (fillfactor).
--
-- 2. Column rules as domains. PostgreSQL reads a table's CHECK constraints
-- from their stored text again for every statement that writes a row (and a
-- registration writes the letter twice, the counter, the audit row and the
-- head): perf put a fifth of a registration's CPU there. A domain's rules
-- are read once per connection and kept. The rules are the same; a value
-- that breaks one fails with the same SQLSTATE (23514, check_violation).

CREATE DOMAIN letter_direction AS text CHECK (VALUE IN ('in', 'out'));
CREATE DOMAIN letter_security AS text CHECK (VALUE IN ('biasa', 'terbatas', 'rahasia', 'sangat_rahasia'));
CREATE DOMAIN letter_urgency AS text CHECK (VALUE IN ('biasa', 'segera', 'sangat_segera'));
-- baru: registered; didisposisi: routed or disposed, work open;
-- selesai: every disposition branch is done; diarsipkan: filed.
CREATE DOMAIN letter_status AS text CHECK (VALUE IN ('baru', 'didisposisi', 'selesai', 'diarsipkan'));
CREATE DOMAIN nonblank_text AS text CHECK (btrim(VALUE) <> '');
CREATE DOMAIN tracking_code AS text CHECK (VALUE ~ '^[A-Za-z0-9-]{6,40}$');
CREATE DOMAIN calendar_year AS integer CHECK (VALUE BETWEEN 1900 AND 9999);
CREATE DOMAIN positive_integer AS integer CHECK (VALUE > 0);
CREATE DOMAIN nonnegative_integer AS integer CHECK (VALUE >= 0);
CREATE DOMAIN audit_action AS text CHECK (VALUE ~ '^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$');
CREATE DOMAIN audit_object_type AS text CHECK (VALUE ~ '^[a-z][a-z0-9_]*$');
CREATE DOMAIN json_object AS jsonb CHECK (jsonb_typeof(VALUE) = 'object');
CREATE DOMAIN sha256_hex AS text CHECK (VALUE ~ '^[0-9a-f]{64}$');
CREATE DOMAIN outbox_op AS text CHECK (VALUE IN ('upsert', 'delete'));

-- 3. Indexes no query uses. The registry list matches the letter's number
-- and the sender anywhere in the text (ILIKE '%...%', which a btree cannot
-- serve) and filters dates by registration time (letters_created_at_idx);
-- the search index finds numbers, senders and dates; nothing looks letters
-- up by status, receipt time, letter date or registrar. Each was written and
-- locked by every registration.
DROP INDEX letters_letter_number_idx, letters_letter_date_idx, letters_received_at_idx,
    letters_status_idx, letters_sender_idx, letters_created_by_idx;

-- Triggers whose WHEN names a column, and the view over audit_log, hold
-- the columns' types: dropped here, made again below.
DROP TRIGGER letters_agenda_number ON letters;
DROP TRIGGER letters_updated_at ON letters;
DROP TRIGGER letters_doc ON letters;
DROP TRIGGER audit_log_doc ON audit_log;
DROP VIEW letter_history;

ALTER TABLE letters
    DROP CONSTRAINT letters_unit_id_direction_agenda_year_agenda_number_key,
    DROP CONSTRAINT letters_direction_check, DROP CONSTRAINT letters_security_check,
    DROP CONSTRAINT letters_urgency_check, DROP CONSTRAINT letters_status_check,
    DROP CONSTRAINT letters_sender_check, DROP CONSTRAINT letters_recipient_check,
    DROP CONSTRAINT letters_subject_check, DROP CONSTRAINT letters_letter_number_check,
    DROP CONSTRAINT letters_tracking_code_check, DROP CONSTRAINT letters_agenda_year_check,
    DROP CONSTRAINT letters_agenda_number_check,
    ALTER COLUMN direction TYPE letter_direction, ALTER COLUMN security TYPE letter_security,
    ALTER COLUMN urgency TYPE letter_urgency, ALTER COLUMN status TYPE letter_status,
    ALTER COLUMN sender TYPE nonblank_text, ALTER COLUMN recipient TYPE nonblank_text,
    ALTER COLUMN subject TYPE nonblank_text, ALTER COLUMN letter_number TYPE nonblank_text,
    ALTER COLUMN tracking_code TYPE tracking_code, ALTER COLUMN agenda_year TYPE calendar_year,
    ALTER COLUMN agenda_number TYPE positive_integer;
ALTER TABLE letters SET (fillfactor = 90);

ALTER TABLE number_counters
    DROP CONSTRAINT number_counters_kind_check, DROP CONSTRAINT number_counters_year_check,
    DROP CONSTRAINT number_counters_last_value_check,
    ALTER COLUMN kind TYPE letter_direction, ALTER COLUMN year TYPE calendar_year,
    ALTER COLUMN last_value TYPE nonnegative_integer;

ALTER TABLE audit_log
    DROP CONSTRAINT audit_log_action_check, DROP CONSTRAINT audit_log_object_type_check,
    DROP CONSTRAINT audit_log_detail_check, DROP CONSTRAINT audit_log_prev_hash_check,
    DROP CONSTRAINT audit_log_hash_check,
    ALTER COLUMN action TYPE audit_action, ALTER COLUMN object_type TYPE audit_object_type,
    ALTER COLUMN detail TYPE json_object, ALTER COLUMN prev_hash TYPE sha256_hex,
    ALTER COLUMN hash TYPE sha256_hex;

ALTER TABLE audit_head
    DROP CONSTRAINT audit_head_last_hash_check,
    ALTER COLUMN last_hash TYPE sha256_hex;

ALTER TABLE index_outbox
    DROP CONSTRAINT index_outbox_op_check,
    ALTER COLUMN op TYPE outbox_op;

-- No foreign key to letters: a number once given stays given, whatever
-- happens to its letter later.
CREATE TABLE agenda_book (
    unit_id     bigint NOT NULL,
    direction   letter_direction NOT NULL,
    year        calendar_year NOT NULL,
    number      positive_integer NOT NULL,
    letter_id   bigint NOT NULL,
    PRIMARY KEY (unit_id, direction, year, number)
);
INSERT INTO agenda_book (unit_id, direction, year, number, letter_id)
SELECT unit_id, direction, agenda_year, agenda_number, id FROM letters WHERE agenda_number IS NOT NULL;

-- A letter inserted with its number (outgoing letters, imports) enters it
-- in the book; a repeated number is refused as the unique index refused it.
CREATE FUNCTION letter_agenda_book() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO agenda_book (unit_id, direction, year, number, letter_id)
    VALUES (NEW.unit_id, NEW.direction, NEW.agenda_year, NEW.agenda_number, NEW.id);
    RETURN NULL;
END
$$;
CREATE TRIGGER letters_agenda_book AFTER INSERT ON letters
    FOR EACH ROW WHEN (NEW.agenda_number IS NOT NULL) EXECUTE FUNCTION letter_agenda_book();

-- A given number never changes, nor do the unit, direction and year that
-- place it in the book.
CREATE FUNCTION letter_agenda_fixed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the agenda number of letter % is given and does not change', OLD.id
        USING ERRCODE = 'check_violation';
END
$$;
CREATE TRIGGER letters_agenda_fixed BEFORE UPDATE ON letters
    FOR EACH ROW WHEN (OLD.agenda_number IS NOT NULL AND
                       (NEW.agenda_number, NEW.unit_id, NEW.direction, NEW.agenda_year)
                       IS DISTINCT FROM (OLD.agenda_number, OLD.unit_id, OLD.direction, OLD.agenda_year))
    EXECUTE FUNCTION letter_agenda_fixed();

-- The number taken at COMMIT (sql/015) is entered in the book with the letter.
CREATE OR REPLACE FUNCTION letter_agenda_number() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    v_number integer;
BEGIN
    INSERT INTO number_counters AS c (unit_id, kind, year, last_value)
    VALUES (NEW.unit_id, NEW.direction, NEW.agenda_year, 1)
    ON CONFLICT (unit_id, kind, year) DO UPDATE SET last_value = c.last_value + 1
    RETURNING c.last_value INTO v_number;
    INSERT INTO agenda_book (unit_id, direction, year, number, letter_id)
    VALUES (NEW.unit_id, NEW.direction, NEW.agenda_year, v_number, NEW.id);
    UPDATE letters SET agenda_number = v_number WHERE id = NEW.id;
    PERFORM audit_append(NEW.created_by, 'letter.register', 'letter', NEW.id::text, jsonb_strip_nulls(jsonb_build_object(
        'letter_id', NEW.id, 'direction', NEW.direction, 'agenda_number', v_number, 'agenda_year', NEW.agenda_year,
        'letter_number', NEW.letter_number, 'unit_id', NEW.unit_id,
        'to_position_id', (SELECT d.to_position_id FROM dispositions d WHERE d.letter_id = NEW.id
                            ORDER BY d.id LIMIT 1))));
    RETURN NULL;
END
$$;

-- The triggers and the view dropped above, as sql/015, 009 and 001 made them.
CREATE CONSTRAINT TRIGGER letters_agenda_number AFTER INSERT ON letters
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW WHEN (NEW.agenda_number IS NULL)
    EXECUTE FUNCTION letter_agenda_number();
CREATE TRIGGER letters_updated_at BEFORE UPDATE ON letters
    FOR EACH ROW WHEN (OLD.agenda_number IS NOT NULL) EXECUTE FUNCTION set_updated_at();
CREATE TRIGGER letters_doc AFTER UPDATE ON letters
    FOR EACH ROW WHEN (OLD.agenda_number IS NOT NULL) EXECUTE FUNCTION letter_doc_changed();
CREATE TRIGGER audit_log_doc AFTER INSERT ON audit_log
    FOR EACH ROW WHEN ((NEW.object_type = 'letter' OR NEW.detail ? 'letter_id') AND NEW.action <> 'letter.register')
    EXECUTE FUNCTION letter_doc_changed();
CREATE VIEW letter_history AS
SELECT a.id,
       (CASE WHEN a.object_type = 'letter' THEN a.object_id
             ELSE a.detail ->> 'letter_id' END)::bigint AS letter_id,
       a.at, a.user_id, a.action, a.object_type, a.object_id, a.detail
  FROM audit_log a
 WHERE a.object_type = 'letter' OR a.detail ? 'letter_id';
