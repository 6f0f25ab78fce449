-- Appending to the audit chain in one statement (core/audit_chain.c calls
-- audit_append): the head is locked, the row's hash computed and the row
-- written by the server, so that an append costs one round trip, and the
-- head's lock, which every writer waits for, is held one round trip less.
-- The hash is the one core/audit_chain.h defines and `esurat audit verify`
-- recomputes in C, so the two implementations check each other:
--   sha256_hex(prev_hash || netstring(id) || netstring(at) || ...)
-- with at as UTC microseconds, "YYYY-MM-DDTHH:MM:SS.ffffffZ".

-- "<length in bytes>:<bytes>," of s, "~," for NULL.
CREATE FUNCTION audit_netstring(s text) RETURNS text
LANGUAGE sql IMMUTABLE
AS $$ SELECT CASE WHEN s IS NULL THEN '~,' ELSE octet_length(s) || ':' || s || ',' END $$;

-- Appends one row in the caller's transaction; its id. Locks the head until
-- the transaction ends, so ids and times follow the chain order.
CREATE FUNCTION audit_append(p_user_id bigint, p_action text, p_object_type text, p_object_id text,
                             p_detail jsonb)
RETURNS bigint
LANGUAGE plpgsql
AS $$
DECLARE
    v_prev text;
    v_id bigint;
    v_at timestamptz;
    v_hash text;
BEGIN
    SELECT last_hash INTO v_prev FROM audit_head WHERE id = 1 FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'audit chain head (audit_head row 1) is missing';
    END IF;
    v_id := nextval(pg_get_serial_sequence('audit_log', 'id'));
    -- Microseconds, as the canonical text keeps them.
    v_at := date_trunc('microseconds', clock_timestamp());
    v_hash := encode(sha256(convert_to(v_prev
        || audit_netstring(v_id::text)
        || audit_netstring(to_char(v_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'))
        || audit_netstring(p_user_id::text)
        || audit_netstring(p_action)
        || audit_netstring(p_object_type)
        || audit_netstring(p_object_id)
        || audit_netstring(coalesce(p_detail, '{}'::jsonb)::text), 'UTF8')), 'hex');
    INSERT INTO audit_log (id, at, user_id, action, object_type, object_id, detail, prev_hash, hash)
    VALUES (v_id, v_at, p_user_id, p_action, p_object_type, p_object_id, coalesce(p_detail, '{}'::jsonb),
            v_prev, v_hash);
    UPDATE audit_head SET last_id = v_id, last_hash = v_hash WHERE id = 1;
    RETURN v_id;
END
$$;
