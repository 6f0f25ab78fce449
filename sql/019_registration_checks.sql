-- Two more cuts of a registration's work in PostgreSQL (callgrind,
-- docs/benchmarks.md).

-- 1. The letter's foreign keys are checked at COMMIT, once. A registration
-- inserts the letter and, at COMMIT, writes its agenda number into it
-- (sql/015); PostgreSQL checks the keys of a row updated in the transaction
-- that inserted it again, so the three keys were checked twice. Deferred,
-- the check of the inserted row finds it replaced by the numbered one and
-- is skipped, and only the numbered row is checked. This needs the
-- numbering trigger to fire before the key checks, which fire in the order
-- of their triggers' names: the internal "RI_ConstraintTrigger_..." sorts
-- after "Letters_...", not after "letters_...".
ALTER TABLE letters ALTER CONSTRAINT letters_unit_id_fkey DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE letters ALTER CONSTRAINT letters_classification_fkey DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE letters ALTER CONSTRAINT letters_created_by_fkey DEFERRABLE INITIALLY DEFERRED;
ALTER TRIGGER letters_agenda_number ON letters RENAME TO "Letters_agenda_number";

-- 2. No query reads the audit log by time (a letter's history goes by
-- letter, `esurat audit verify` by id): the index was written by every
-- audit append, inside the agenda book's critical section.
DROP INDEX audit_log_at_idx;
