-- What a registration costs PostgreSQL, cut where it does not change a
-- result (measured with pg_stat_statements and perf, docs/benchmarks.md).

-- audit_netstring is inlined into the expression that calls it only when
-- every function in its body is as immutable as it says it is: the int ||
-- text operator is only stable (it formats through the type's output
-- function), so each of the seven calls of every audit append was planned
-- and run as a function of its own (about a tenth of a registration).
-- An explicit cast to text is immutable and gives the same bytes.
CREATE OR REPLACE FUNCTION audit_netstring(s text) RETURNS text
LANGUAGE sql IMMUTABLE
AS $$ SELECT CASE WHEN s IS NULL THEN '~,' ELSE octet_length(s)::text || ':' || s || ',' END $$;

-- A registration's audit row names a letter created in the same
-- transaction: its document was never kept, there is nothing to forget.
DROP TRIGGER audit_log_doc ON audit_log;
CREATE TRIGGER audit_log_doc AFTER INSERT ON audit_log
    FOR EACH ROW WHEN ((NEW.object_type = 'letter' OR NEW.detail ? 'letter_id') AND NEW.action <> 'letter.register')
    EXECUTE FUNCTION letter_doc_changed();

-- The agenda number of an incoming letter is taken at COMMIT.
-- Registrations of one unit wait for each other on its counter row from the
-- moment one takes a number to its commit: taken at the start of the
-- registration, that was the whole registration (the letter with its
-- indexes, constraints and foreign keys, the routing, the outbox, the audit
-- row), and registrations went no faster than one such statement at a time.
-- A letter inserted without a number now gets the next one of its unit and
-- year from a deferred trigger, the last work of its transaction, with its
-- audit row (whose detail names the number): the counter row and the audit
-- chain's head are held only for these few rows. Numbers stay gap-free: a
-- transaction that fails after taking one gives it back with everything
-- else. Outgoing letters still take theirs first (their letter number is
-- formatted from it) and insert it; the trigger leaves them alone.
ALTER TABLE letters ALTER COLUMN agenda_number DROP NOT NULL;

CREATE FUNCTION letter_agenda_number() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    v_number integer;
BEGIN
    INSERT INTO number_counters AS c (unit_id, kind, year, last_value)
    VALUES (NEW.unit_id, NEW.direction, NEW.agenda_year, 1)
    ON CONFLICT (unit_id, kind, year) DO UPDATE SET last_value = c.last_value + 1
    RETURNING c.last_value INTO v_number;
    UPDATE letters SET agenda_number = v_number WHERE id = NEW.id;
    PERFORM audit_append(NEW.created_by, 'letter.register', 'letter', NEW.id::text, jsonb_strip_nulls(jsonb_build_object(
        'letter_id', NEW.id, 'direction', NEW.direction, 'agenda_number', v_number, 'agenda_year', NEW.agenda_year,
        'letter_number', NEW.letter_number, 'unit_id', NEW.unit_id,
        'to_position_id', (SELECT d.to_position_id FROM dispositions d WHERE d.letter_id = NEW.id
                            ORDER BY d.id LIMIT 1))));
    RETURN NULL;
END
$$;
CREATE CONSTRAINT TRIGGER letters_agenda_number AFTER INSERT ON letters
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW WHEN (NEW.agenda_number IS NULL)
    EXECUTE FUNCTION letter_agenda_number();

-- Giving the number is not a change of the letter: its time and its
-- document (made in the same transaction) stay.
DROP TRIGGER letters_updated_at ON letters;
CREATE TRIGGER letters_updated_at BEFORE UPDATE ON letters
    FOR EACH ROW WHEN (OLD.agenda_number IS NOT NULL) EXECUTE FUNCTION set_updated_at();
DROP TRIGGER letters_doc ON letters;
CREATE TRIGGER letters_doc AFTER UPDATE ON letters
    FOR EACH ROW WHEN (OLD.agenda_number IS NOT NULL) EXECUTE FUNCTION letter_doc_changed();

-- The registrar's unit, with its number template and whether a
-- classification exists, is kept by the esurat-fcgi workers like a page
-- (fcgi/letters.c, VIEW_UNIT): a change of a classification or a template
-- made anywhere makes them forget what they keep.
CREATE FUNCTION views_forget_all() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('esurat_views', '*');
    RETURN NULL;
END
$$;
CREATE TRIGGER classifications_views AFTER INSERT OR UPDATE OR DELETE ON classifications
    FOR EACH STATEMENT EXECUTE FUNCTION views_forget_all();
CREATE TRIGGER number_templates_views AFTER INSERT OR UPDATE OR DELETE ON number_templates
    FOR EACH STATEMENT EXECUTE FUNCTION views_forget_all();
