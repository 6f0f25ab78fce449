-- The index outbox's "is this letter queued already in this transaction?"
-- (index_outbox_once, sql/008), run for every outbox row, looks up the
-- letter's pending rows. The planner answered it by scanning the whole
-- partial index of pending rows (ANDed with the letter index), which keeps
-- the entries of processed rows until VACUUM: its cost grew with every
-- letter indexed since, to a quarter of a registration's work after 50 000
-- (pg_stat_statements, docs/benchmarks.md). An index of the pending rows by
-- letter answers it in a few pages at any size. The letter index it
-- replaces served nothing else.
CREATE INDEX index_outbox_pending_letter_idx ON index_outbox (letter_id) WHERE processed_at IS NULL;
DROP INDEX index_outbox_letter_idx;
