-- Plans made from the statistics of an almost empty table. Autovacuum
-- analyzes a table after 50 changes: a new installation's letters table
-- (the demo's 30 letters) was analyzed at a page or two, and the plans kept
-- by each connection for the registration's statements (the number written
-- into the letter, the outbox check) then read the whole table instead of
-- its primary key, a table that went on growing by the thousand before the
-- next analyze: registrations fell from about 1 000/s to 350/s on a fresh
-- database (docs/benchmarks.md). Until a thousand changes, the planner
-- estimates from the table's size on disk instead, and finds the indexes.
ALTER TABLE letters SET (autovacuum_analyze_threshold = 1000);
ALTER TABLE index_outbox SET (autovacuum_analyze_threshold = 1000);
ALTER TABLE dispositions SET (autovacuum_analyze_threshold = 1000);
ALTER TABLE letter_docs SET (autovacuum_analyze_threshold = 1000);
