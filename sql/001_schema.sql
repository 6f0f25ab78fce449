-- e-Surat schema, first version.
--
-- Applied by `esurat migrate` inside one transaction together with its row
-- in schema_migrations: no BEGIN/COMMIT here. Once applied, this file must
-- not change (migrate refuses a file whose sha256 differs); later changes go
-- into new numbered files.
--
-- Conventions: bigserial ids, timestamptz for instants, date for calendar
-- days, text with CHECK constraints for enumerations (values in lower case,
-- the words the users use), foreign keys everywhere, nothing deleted from
-- the registry or the audit log.

-- ---------------------------------------------------------------------------
-- Helpers

CREATE FUNCTION set_updated_at() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END
$$;

-- ---------------------------------------------------------------------------
-- Organisation: units (SKPD/OPD, bagian, ...) and the positions in them.
-- Dispositions go to positions, never to people, so that an acting
-- official (Plt/Plh) or a successor inherits the inbox.

CREATE TABLE units (
    id          bigserial PRIMARY KEY,
    -- The short code printed in letter numbers ('Setda' in 005/123/Setda/2015).
    code        text NOT NULL UNIQUE
                CHECK (code ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$'),
    name        text NOT NULL CHECK (btrim(name) <> ''),
    parent_id   bigint NULL REFERENCES units,
    created_at  timestamptz NOT NULL DEFAULT now(),
    CHECK (parent_id <> id)
);
CREATE INDEX units_parent_idx ON units (parent_id);

CREATE TABLE positions (
    id              bigserial PRIMARY KEY,
    unit_id         bigint NOT NULL REFERENCES units,
    title           text NOT NULL CHECK (btrim(title) <> ''),
    -- The position above this one: dispositions flow down this tree.
    parent_id       bigint NULL REFERENCES positions,
    -- A position to which the front desk may route a new letter.
    is_entry_point  boolean NOT NULL DEFAULT false,
    active          boolean NOT NULL DEFAULT true,
    created_at      timestamptz NOT NULL DEFAULT now(),
    CHECK (parent_id <> id)
);
CREATE INDEX positions_unit_idx ON positions (unit_id);
CREATE INDEX positions_parent_idx ON positions (parent_id);

-- ---------------------------------------------------------------------------
-- Users, roles, who holds which position, sessions, login throttling.

CREATE TABLE users (
    id             bigserial PRIMARY KEY,
    username       text NOT NULL UNIQUE
                   CHECK (username = lower(username) AND username ~ '^[a-z0-9._-]{1,64}$'),
    name           text NOT NULL CHECK (btrim(name) <> ''),
    -- Nomor Induk Pegawai: 18 digits, stored without spaces; NULL for
    -- people without one (elected officials, contract staff, admin).
    nip            text NULL UNIQUE CHECK (nip ~ '^[0-9]{18}$'),
    password_hash  text NOT NULL,
    active         boolean NOT NULL DEFAULT true,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now()
);
CREATE TRIGGER users_updated_at BEFORE UPDATE ON users
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

CREATE TABLE user_roles (
    user_id  bigint NOT NULL REFERENCES users ON DELETE CASCADE,
    role     text NOT NULL
             CHECK (role IN ('admin', 'front_desk', 'official', 'archivist', 'records')),
    PRIMARY KEY (user_id, role)
);

-- A user holds a position: 'definitif' (appointed), 'plt' (acting for a
-- vacancy) or 'plh' (acting for an absence), from valid_from to valid_to
-- inclusive (NULL: open-ended). A position has at most one open-ended
-- definitive holder; Plt/Plh rows may overlap it.
CREATE TABLE position_holders (
    id           bigserial PRIMARY KEY,
    position_id  bigint NOT NULL REFERENCES positions,
    user_id      bigint NOT NULL REFERENCES users,
    kind         text NOT NULL CHECK (kind IN ('definitif', 'plt', 'plh')),
    valid_from   date NOT NULL DEFAULT current_date,
    valid_to     date NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    CHECK (valid_to IS NULL OR valid_to >= valid_from)
);
CREATE INDEX position_holders_user_idx ON position_holders (user_id);
CREATE INDEX position_holders_position_idx ON position_holders (position_id);
CREATE UNIQUE INDEX position_holders_one_definitif
    ON position_holders (position_id) WHERE kind = 'definitif' AND valid_to IS NULL;

-- Who holds which position today (current_date follows the session's
-- TimeZone: set it to Asia/Jakarta).
CREATE VIEW current_position_holders AS
SELECT ph.id, ph.position_id, ph.user_id, ph.kind, ph.valid_from, ph.valid_to
  FROM position_holders ph
  JOIN users u ON u.id = ph.user_id
 WHERE u.active
   AND ph.valid_from <= current_date
   AND (ph.valid_to IS NULL OR ph.valid_to >= current_date);

CREATE TABLE sessions (
    id            bigserial PRIMARY KEY,
    -- sha256 of the cookie value: a stolen table does not give sessions.
    token_hash    text NOT NULL UNIQUE,
    user_id       bigint NOT NULL REFERENCES users ON DELETE CASCADE,
    csrf_token    text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    last_seen_at  timestamptz NOT NULL DEFAULT now(),
    expires_at    timestamptz NOT NULL,
    ip            text NULL,
    user_agent    text NULL
);
CREATE INDEX sessions_user_idx ON sessions (user_id);
CREATE INDEX sessions_expires_idx ON sessions (expires_at);

-- Keyed by the name typed at login, known or not, so that unknown names
-- are throttled exactly like known ones.
CREATE TABLE login_throttle (
    username          text PRIMARY KEY,
    failures          integer NOT NULL DEFAULT 0 CHECK (failures >= 0),
    first_failure_at  timestamptz NULL,
    locked_until      timestamptz NULL
);

-- ---------------------------------------------------------------------------
-- Reference data: archive classification codes (with the retention
-- schedule, JRA) and the standard disposition instructions.

CREATE TABLE classifications (
    -- Text, not a number: '005', '000.1.5', '800.1.11.1'.
    code                      text PRIMARY KEY
                              CHECK (code ~ '^[0-9]{3}(\.[0-9]{1,4})*$' AND length(code) <= 64),
    title                     text NOT NULL CHECK (btrim(title) <> ''),
    -- The nearest existing ancestor ('000.1' for '000.1.5', else '000').
    parent_code               text NULL REFERENCES classifications ON UPDATE CASCADE,
    retention_active_years    integer NULL CHECK (retention_active_years >= 0),
    retention_inactive_years  integer NULL CHECK (retention_inactive_years >= 0),
    final_disposition         text NULL
                              CHECK (final_disposition IN ('musnah', 'permanen', 'dinilai_kembali')),
    CHECK (parent_code <> code)
);
CREATE INDEX classifications_parent_idx ON classifications (parent_code);
CREATE INDEX classifications_code_prefix_idx ON classifications (code text_pattern_ops);

CREATE TABLE instructions (
    code        text PRIMARY KEY CHECK (code ~ '^[a-z][a-z0-9_]{0,63}$'),
    label       text NOT NULL CHECK (btrim(label) <> ''),
    sort_order  integer NOT NULL DEFAULT 0,
    active      boolean NOT NULL DEFAULT true
);

-- ---------------------------------------------------------------------------
-- Numbering: counter rows, never sequences, so that a rolled-back
-- registration gives its number back and the numbers have no gaps.
--
-- kind 'in': the agenda number of incoming letters; kind 'out': the running
-- number of outgoing letters (their agenda number and the {urut} of their
-- letter number). Take a number with
--   INSERT ... ON CONFLICT (unit_id, kind, year)
--     DO UPDATE SET last_value = number_counters.last_value + 1
--   RETURNING last_value
-- inside the registering transaction.

CREATE TABLE number_counters (
    unit_id     bigint NOT NULL REFERENCES units,
    kind        text NOT NULL CHECK (kind IN ('in', 'out')),
    year        integer NOT NULL CHECK (year BETWEEN 1900 AND 9999),
    last_value  integer NOT NULL DEFAULT 0 CHECK (last_value >= 0),
    PRIMARY KEY (unit_id, kind, year)
);

-- The format of a unit's outgoing numbers. Placeholders: {klasifikasi},
-- {urut}, {unit}, {tahun}, {bulan_romawi}. A unit without a row uses
-- the default.
CREATE TABLE number_templates (
    unit_id     bigint PRIMARY KEY REFERENCES units,
    template    text NOT NULL DEFAULT '{klasifikasi}/{urut}/{unit}/{tahun}'
                CHECK (position('{urut}' IN template) > 0 AND length(template) <= 200),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE TRIGGER number_templates_updated_at BEFORE UPDATE ON number_templates
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- ---------------------------------------------------------------------------
-- The registry.

CREATE TABLE letters (
    id              bigserial PRIMARY KEY,
    direction       text NOT NULL CHECK (direction IN ('in', 'out')),
    -- The registering unit, whose agenda book numbers the letter.
    unit_id         bigint NOT NULL REFERENCES units,
    agenda_number   integer NOT NULL CHECK (agenda_number > 0),
    agenda_year     integer NOT NULL CHECK (agenda_year BETWEEN 1900 AND 9999),
    -- Incoming: as printed by the sender (may be missing); outgoing: the
    -- number given from the unit's template.
    letter_number   text NULL CHECK (btrim(letter_number) <> ''),
    letter_date     date NULL,
    received_at     timestamptz NULL,
    sender          text NOT NULL CHECK (btrim(sender) <> ''),
    recipient       text NOT NULL CHECK (btrim(recipient) <> ''),
    subject         text NOT NULL CHECK (btrim(subject) <> ''),
    summary         text NULL,
    classification  text NULL REFERENCES classifications ON UPDATE CASCADE,
    security        text NOT NULL DEFAULT 'biasa'
                    CHECK (security IN ('biasa', 'terbatas', 'rahasia', 'sangat_rahasia')),
    urgency         text NOT NULL DEFAULT 'biasa'
                    CHECK (urgency IN ('biasa', 'segera', 'sangat_segera')),
    -- baru: registered; didisposisi: routed or disposed, work open;
    -- selesai: every disposition branch is done; diarsipkan: filed.
    status          text NOT NULL DEFAULT 'baru'
                    CHECK (status IN ('baru', 'didisposisi', 'selesai', 'diarsipkan')),
    -- The code on the receipt, for public tracking.
    tracking_code   text NULL UNIQUE CHECK (tracking_code ~ '^[A-Za-z0-9-]{6,40}$'),
    created_by      bigint NOT NULL REFERENCES users,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (unit_id, direction, agenda_year, agenda_number),
    CHECK (direction = 'out' OR received_at IS NOT NULL),
    CHECK (direction = 'in' OR letter_number IS NOT NULL)
);
CREATE TRIGGER letters_updated_at BEFORE UPDATE ON letters
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();
-- The same letter registered twice is refused.
CREATE UNIQUE INDEX letters_in_sender_number_key
    ON letters (sender, letter_number) WHERE direction = 'in';
CREATE UNIQUE INDEX letters_out_unit_number_key
    ON letters (unit_id, letter_number) WHERE direction = 'out';
CREATE INDEX letters_letter_number_idx ON letters (letter_number);
CREATE INDEX letters_letter_date_idx ON letters (letter_date);
CREATE INDEX letters_received_at_idx ON letters (received_at);
CREATE INDEX letters_created_at_idx ON letters (created_at, id);
CREATE INDEX letters_classification_idx ON letters (classification);
CREATE INDEX letters_status_idx ON letters (status);
CREATE INDEX letters_sender_idx ON letters (lower(sender));
CREATE INDEX letters_created_by_idx ON letters (created_by);

-- ---------------------------------------------------------------------------
-- Scans and their OCR text.

CREATE TABLE scans (
    id             bigserial PRIMARY KEY,
    letter_id      bigint NOT NULL REFERENCES letters,
    -- The file's name in the content-addressed store.
    sha256         text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    bytes          bigint NOT NULL CHECK (bytes > 0),
    mime           text NOT NULL
                   CHECK (mime IN ('application/pdf', 'image/tiff', 'image/png', 'image/jpeg')),
    pages          integer NULL CHECK (pages > 0),
    original_name  text NULL,
    uploaded_by    bigint NOT NULL REFERENCES users,
    uploaded_at    timestamptz NOT NULL DEFAULT now(),
    UNIQUE (letter_id, sha256)
);
CREATE INDEX scans_sha256_idx ON scans (sha256);

CREATE TABLE page_texts (
    scan_id     bigint NOT NULL REFERENCES scans ON DELETE CASCADE,
    page        integer NOT NULL CHECK (page >= 1),
    text        text NOT NULL,
    -- Mean word confidence, 0..100, as Tesseract reports it.
    confidence  real NULL CHECK (confidence BETWEEN 0 AND 100),
    -- Word boxes ([{"text","conf","bbox":[x0,y0,x1,y1]}]) or hOCR.
    words       jsonb NULL,
    hocr        text NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (scan_id, page)
);

-- The OCR queue: workers claim with
--   SELECT id FROM ocr_jobs
--    WHERE (status = 'queued' AND run_after <= now())
--       OR (status = 'running' AND lease_until < now())
--    ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED
-- and set status 'running', worker, lease_until, attempts + 1.
CREATE TABLE ocr_jobs (
    id           bigserial PRIMARY KEY,
    scan_id      bigint NOT NULL UNIQUE REFERENCES scans ON DELETE CASCADE,
    status       text NOT NULL DEFAULT 'queued'
                 CHECK (status IN ('queued', 'running', 'done', 'failed')),
    attempts     integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    run_after    timestamptz NOT NULL DEFAULT now(),
    lease_until  timestamptz NULL,
    worker       text NULL,
    error        text NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    started_at   timestamptz NULL,
    finished_at  timestamptz NULL,
    updated_at   timestamptz NOT NULL DEFAULT now(),
    CHECK (status <> 'running' OR lease_until IS NOT NULL)
);
CREATE TRIGGER ocr_jobs_updated_at BEFORE UPDATE ON ocr_jobs
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();
CREATE INDEX ocr_jobs_queued_idx ON ocr_jobs (id) WHERE status = 'queued';
CREATE INDEX ocr_jobs_lease_idx ON ocr_jobs (lease_until) WHERE status = 'running';

-- ---------------------------------------------------------------------------
-- Dispositions: a tree per letter. The root (parent_id NULL) is the routing
-- by the front desk (from_position_id may be NULL); each forward is a child
-- of the disposition its sender received.

CREATE TABLE dispositions (
    id                bigserial PRIMARY KEY,
    letter_id         bigint NOT NULL REFERENCES letters,
    parent_id         bigint NULL,
    from_position_id  bigint NULL REFERENCES positions,
    to_position_id    bigint NOT NULL REFERENCES positions,
    note              text NULL,
    deadline          date NULL,
    status            text NOT NULL DEFAULT 'unread'
                      CHECK (status IN ('unread', 'read', 'done')),
    read_at           timestamptz NULL,
    read_by           bigint NULL REFERENCES users,
    done_at           timestamptz NULL,
    done_by           bigint NULL REFERENCES users,
    report            text NULL,
    created_by        bigint NOT NULL REFERENCES users,
    created_at        timestamptz NOT NULL DEFAULT now(),
    UNIQUE (id, letter_id),
    -- A child belongs to the same letter as its parent.
    FOREIGN KEY (parent_id, letter_id) REFERENCES dispositions (id, letter_id),
    CHECK ((status = 'unread') = (read_at IS NULL)),
    CHECK ((status = 'done') = (done_at IS NOT NULL))
);
CREATE INDEX dispositions_letter_idx ON dispositions (letter_id);
CREATE INDEX dispositions_parent_idx ON dispositions (parent_id);
CREATE INDEX dispositions_inbox_idx ON dispositions (to_position_id, status, created_at);
CREATE INDEX dispositions_open_deadline_idx
    ON dispositions (to_position_id, deadline) WHERE status <> 'done';

CREATE TABLE disposition_instructions (
    disposition_id    bigint NOT NULL REFERENCES dispositions ON DELETE CASCADE,
    instruction_code  text NOT NULL REFERENCES instructions ON UPDATE CASCADE,
    PRIMARY KEY (disposition_id, instruction_code)
);

-- ---------------------------------------------------------------------------
-- The audit chain. Append only through audit_chain_append()
-- (core/cli/audit_chain.h): it locks audit_head, so appends are serialised
-- and row ids follow the chain order; each row's hash is
--   sha256_hex(prev_hash || canonical(id, at, user_id, action, object_type,
--                                      object_id, detail))
-- (the canonical form is documented in audit_chain.h). `esurat audit
-- verify` recomputes the chain. Updates and deletes are refused by trigger.

CREATE TABLE audit_log (
    id           bigserial PRIMARY KEY,
    at           timestamptz NOT NULL DEFAULT clock_timestamp(),
    user_id      bigint NULL REFERENCES users,   -- NULL: the system or the CLI
    action       text NOT NULL CHECK (action ~ '^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$'),
    object_type  text NOT NULL CHECK (object_type ~ '^[a-z][a-z0-9_]*$'),
    object_id    text NULL,
    -- For events about a letter that is not the object (a disposition, a
    -- scan), detail carries "letter_id" as a number.
    detail       jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(detail) = 'object'),
    prev_hash    text NOT NULL CHECK (prev_hash ~ '^[0-9a-f]{64}$'),
    hash         text NOT NULL UNIQUE CHECK (hash ~ '^[0-9a-f]{64}$')
);
CREATE INDEX audit_log_object_idx ON audit_log (object_type, object_id);
CREATE INDEX audit_log_at_idx ON audit_log (at);
CREATE INDEX audit_log_user_idx ON audit_log (user_id);
CREATE INDEX audit_log_letter_idx
    ON audit_log (((CASE WHEN object_type = 'letter' THEN object_id
                         ELSE detail ->> 'letter_id' END)::bigint))
    WHERE object_type = 'letter' OR detail ? 'letter_id';

-- The head of the chain: one row, locked by every append.
CREATE TABLE audit_head (
    id         smallint PRIMARY KEY CHECK (id = 1),
    last_id    bigint NULL,
    last_hash  text NOT NULL CHECK (last_hash ~ '^[0-9a-f]{64}$')
);
INSERT INTO audit_head (id, last_id, last_hash) VALUES (1, NULL, repeat('0', 64));

CREATE FUNCTION audit_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only();
-- The head row moves forward but never goes away.
CREATE TRIGGER audit_head_no_delete BEFORE DELETE ON audit_head
    FOR EACH ROW EXECUTE FUNCTION audit_append_only();
CREATE TRIGGER audit_head_no_truncate BEFORE TRUNCATE ON audit_head
    FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only();

-- A letter's history: the audit rows about it or about its parts.
CREATE VIEW letter_history AS
SELECT a.id,
       (CASE WHEN a.object_type = 'letter' THEN a.object_id
             ELSE a.detail ->> 'letter_id' END)::bigint AS letter_id,
       a.at, a.user_id, a.action, a.object_type, a.object_id, a.detail
  FROM audit_log a
 WHERE a.object_type = 'letter' OR a.detail ? 'letter_id';

-- ---------------------------------------------------------------------------
-- Search index outbox, written in the same transaction as the change. No
-- foreign key: a 'delete' must outlive the letter it names.

CREATE TABLE index_outbox (
    id            bigserial PRIMARY KEY,
    letter_id     bigint NOT NULL,
    op            text NOT NULL DEFAULT 'upsert' CHECK (op IN ('upsert', 'delete')),
    created_at    timestamptz NOT NULL DEFAULT now(),
    processed_at  timestamptz NULL
);
CREATE INDEX index_outbox_pending_idx ON index_outbox (id) WHERE processed_at IS NULL;
CREATE INDEX index_outbox_letter_idx ON index_outbox (letter_id);

-- ---------------------------------------------------------------------------
-- Worker liveness, for /api/health and operations.

CREATE TABLE worker_heartbeats (
    worker      text NOT NULL,          -- 'ocr', 'indexer', ...
    host        text NOT NULL,
    pid         integer NOT NULL CHECK (pid > 0),
    started_at  timestamptz NOT NULL DEFAULT now(),
    seen_at     timestamptz NOT NULL DEFAULT now(),
    detail      jsonb NULL,
    PRIMARY KEY (worker, host, pid)
);
CREATE INDEX worker_heartbeats_seen_idx ON worker_heartbeats (seen_at);
