-- OCR (issue 5): the queue's priority and failure codes, the pages' layout
-- for word highlighting, draft scans uploaded before their letter is
-- registered, and the front desk's suggestions read from a scan.

-- ---------------------------------------------------------------------------
-- The queue. Workers claim with
--   SELECT id, status FROM ocr_jobs
--    WHERE (status = 'queued' AND run_after <= now())
--       OR (status = 'running' AND lease_until < now())
--    ORDER BY priority DESC, id LIMIT 1 FOR UPDATE SKIP LOCKED
-- (ocr/queue.c). A draft scan's job has priority 1: someone waits at the
-- desk for its suggestions.
ALTER TABLE ocr_jobs
    ADD COLUMN priority    smallint NOT NULL DEFAULT 0,
    -- A stable word for the failure (too_many_pages, unreadable, truncated,
    -- timeout, ...) beside the message, so the portal can say it in
    -- Bahasa Indonesia.
    ADD COLUMN error_code  text NULL CHECK (error_code ~ '^[a-z_]{1,32}$');
DROP INDEX ocr_jobs_queued_idx;
CREATE INDEX ocr_jobs_claim_idx ON ocr_jobs (priority DESC, id) WHERE status = 'queued';
CREATE INDEX ocr_jobs_failed_idx ON ocr_jobs (id) WHERE status = 'failed';

-- ---------------------------------------------------------------------------
-- Pages: word boxes (words) are in the pixel coordinates of the page as
-- Tesseract read it, i.e. the original turned clockwise by `rotation`
-- degrees, then deskewed by `skew` degrees; width, height and dpi are of
-- that page. A PDF page with a text layer is read without OCR (source
-- 'text_layer', confidence NULL, boxes at dpi).
ALTER TABLE page_texts
    ADD COLUMN width     integer NULL CHECK (width > 0),
    ADD COLUMN height    integer NULL CHECK (height > 0),
    ADD COLUMN dpi       integer NULL CHECK (dpi > 0),
    ADD COLUMN rotation  smallint NULL CHECK (rotation IN (0, 90, 180, 270)),
    ADD COLUMN skew      real NULL,
    ADD COLUMN source    text NULL CHECK (source IN ('ocr', 'text_layer'));

-- ---------------------------------------------------------------------------
-- Draft scans: uploaded at the front desk before the registration form is
-- saved (POST /api/scans), read at once, then attached to the new letter
-- (POST /api/letters/{id}/scans with {"scan_id"}). Only their uploader
-- sees them; esurat-worker removes those no letter took within a day.
ALTER TABLE scans ALTER COLUMN letter_id DROP NOT NULL;
CREATE INDEX scans_drafts_idx ON scans (uploaded_by, uploaded_at) WHERE letter_id IS NULL;

-- What the front desk is offered from a scan's first page.
CREATE TABLE scan_suggestions (
    scan_id        bigint PRIMARY KEY REFERENCES scans ON DELETE CASCADE,
    letter_number  text NULL,
    letter_date    date NULL,
    subject        text NULL,
    sender         text NULL,
    created_at     timestamptz NOT NULL DEFAULT now()
);
