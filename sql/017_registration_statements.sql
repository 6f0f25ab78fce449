-- Fewer statements per registration (docs/benchmarks.md): a registration
-- ran about twenty statements inside PostgreSQL (its own, those of its
-- triggers, the foreign-key checks), and their start and end, more than
-- their work, made its cost.

-- 1. An audit append is one statement: the head locked, the row written
-- and the head moved in one, instead of three. The hash is the same
-- (sql/014, core/audit_chain.h).
CREATE OR REPLACE FUNCTION audit_append(p_user_id bigint, p_action text, p_object_type text, p_object_id text,
                                        p_detail jsonb)
RETURNS bigint
LANGUAGE plpgsql
AS $$
DECLARE
    v_id bigint;
BEGIN
    WITH head AS (
        SELECT last_hash FROM audit_head WHERE id = 1 FOR UPDATE
    ), r AS (
        -- Microseconds, as the canonical text keeps them.
        SELECT nextval('audit_log_id_seq'::regclass) AS id, date_trunc('microseconds', clock_timestamp()) AS at,
               head.last_hash AS prev_hash, coalesce(p_detail, '{}'::jsonb) AS detail
          FROM head
    ), h AS (
        SELECT r.*, encode(sha256(convert_to(r.prev_hash
            || audit_netstring(r.id::text)
            || audit_netstring(to_char(r.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'))
            || audit_netstring(p_user_id::text)
            || audit_netstring(p_action)
            || audit_netstring(p_object_type)
            || audit_netstring(p_object_id)
            || audit_netstring(r.detail::text), 'UTF8')), 'hex') AS hash
          FROM r
    ), ins AS (
        INSERT INTO audit_log (id, at, user_id, action, object_type, object_id, detail, prev_hash, hash)
        SELECT h.id, h.at, p_user_id, p_action, p_object_type, p_object_id, h.detail, h.prev_hash, h.hash FROM h
        RETURNING audit_log.id, audit_log.hash
    ), moved AS (
        UPDATE audit_head SET last_id = ins.id, last_hash = ins.hash FROM ins WHERE audit_head.id = 1
    )
    SELECT ins.id INTO v_id FROM ins;
    IF v_id IS NULL THEN
        RAISE EXCEPTION 'audit chain head (audit_head row 1) is missing';
    END IF;
    RETURN v_id;
END
$$;

-- 2. Rules checked without a regular expression where a character set says
-- the same: a registration checked three 64-character hashes (the audit
-- row's two, the head's) and a tracking code with PostgreSQL's regex
-- engine, a twentieth of its cost. ltrim(v, set) is '' exactly when every
-- character of v is in set.
ALTER DOMAIN sha256_hex DROP CONSTRAINT sha256_hex_check;
ALTER DOMAIN sha256_hex ADD CONSTRAINT sha256_hex_check
    CHECK (length(VALUE) = 64 AND ltrim(VALUE, '0123456789abcdef') = '');
ALTER DOMAIN tracking_code DROP CONSTRAINT tracking_code_check;
ALTER DOMAIN tracking_code ADD CONSTRAINT tracking_code_check
    CHECK (length(VALUE) BETWEEN 6 AND 40
           AND ltrim(VALUE, 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-') = '');
