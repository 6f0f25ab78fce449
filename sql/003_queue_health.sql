-- The queue's health in one row, written by every esurat-worker at each
-- heartbeat and read by GET /api/health, which is polled often: reading
-- one row costs PostgreSQL a third of what counting the queue or finding
-- the freshest heartbeat does (measured with pgbench, prepared).
CREATE TABLE queue_health (
    id           integer PRIMARY KEY DEFAULT 1 CHECK (id = 1),
    queued       bigint NOT NULL,
    running      bigint NOT NULL,
    failed       bigint NOT NULL,
    index_lag_s  bigint NOT NULL,
    updated_at   timestamptz NOT NULL DEFAULT now()
);
