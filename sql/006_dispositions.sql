-- Dispositions (issue 4): who may dispose, forward, open and complete, in
-- SQL; the disposition tree and the inbox as JSON.
--
-- The rights live in the PL/pgSQL functions disposition_create(),
-- disposition_open() and disposition_complete(): esurat-fcgi checks the
-- shape of a request, then calls one of them inside its transaction and
-- appends the audit rows. A refusal is not an SQL error: the function
-- answers {"error": {"status", "code", "field"?, "message"}} before it
-- writes anything, and the caller rolls back (a refusal changes nothing).
--
-- The rules:
--   * Only the holder of the recipient position, definitive or acting
--     (Plt/Plh, within its dates: current_position_holders), forwards or
--     completes a disposition, and only while it is open.
--   * A disposition goes only to positions below the sender's position, at
--     any depth (positions.parent_id).
--   * A letter nobody received yet is routed by the front desk of its
--     registering unit, and only to the entry points (is_entry_point).
--   * A confidential letter is visible to the positions in its tree
--     (letter_visible(), 004): each recipient sees it from the moment it is
--     disposed to them, nobody else does.
--   * A disposition completes after everything forwarded from it; the
--     letter is 'selesai' when its last open disposition completes.
--
-- "today" is a parameter (p_today) so that the tests can move the clock
-- (ESURAT_TEST_NOW, see fcgi/clock.h); deadlines are calendar days in
-- Asia/Jakarta, a disposition is overdue from the day after its deadline.

-- ---------------------------------------------------------------------------
-- Indexes

-- The inbox counts (unread, open, overdue) of the positions one holds: an
-- index-only scan of the open rows, which stay few while done rows pile up.
DROP INDEX dispositions_open_deadline_idx;
CREATE INDEX dispositions_open_idx
    ON dispositions (to_position_id, status, deadline) WHERE status <> 'done';
-- A page of the inbox: per held position and status, newest first (with
-- the id that breaks ties), read in index order, a top-N each.
DROP INDEX dispositions_inbox_idx;
CREATE INDEX dispositions_inbox_idx
    ON dispositions (to_position_id, status, created_at DESC, id DESC);

-- ---------------------------------------------------------------------------
-- The tree stays sound whatever writes it: a forward comes from the
-- position that received its parent, goes below it, and leaves an open
-- parent; a disposition completes after its children.

CREATE FUNCTION position_below(p_position bigint, p_above bigint) RETURNS boolean
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    -- UNION, not UNION ALL: a cycle in positions ends the walk.
    RETURN EXISTS (
        WITH RECURSIVE up (id) AS (
            SELECT p.parent_id FROM positions p WHERE p.id = p_position
            UNION
            SELECT p.parent_id FROM positions p JOIN up ON p.id = up.id)
        SELECT 1 FROM up WHERE up.id = p_above);
END
$$;

CREATE FUNCTION dispositions_tree_check() RETURNS trigger
LANGUAGE plpgsql
AS $$
DECLARE
    par dispositions;
BEGIN
    IF TG_OP = 'INSERT' AND NEW.parent_id IS NOT NULL THEN
        SELECT * INTO par FROM dispositions WHERE id = NEW.parent_id;
        IF NEW.from_position_id IS DISTINCT FROM par.to_position_id THEN
            RAISE EXCEPTION 'disposition forwarded from position % but its parent % went to position %',
                NEW.from_position_id, par.id, par.to_position_id USING ERRCODE = 'check_violation';
        END IF;
        IF par.status = 'done' THEN
            RAISE EXCEPTION 'disposition % is done: nothing is forwarded from it', par.id
                USING ERRCODE = 'check_violation';
        END IF;
        IF NOT position_below(NEW.to_position_id, NEW.from_position_id) THEN
            RAISE EXCEPTION 'position % is not below position %', NEW.to_position_id, NEW.from_position_id
                USING ERRCODE = 'check_violation';
        END IF;
    ELSIF TG_OP = 'UPDATE' AND NEW.status = 'done' AND OLD.status <> 'done' THEN
        IF EXISTS (SELECT 1 FROM dispositions c WHERE c.parent_id = NEW.id AND c.status <> 'done') THEN
            RAISE EXCEPTION 'disposition % has open children', NEW.id USING ERRCODE = 'check_violation';
        END IF;
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER dispositions_tree BEFORE INSERT OR UPDATE ON dispositions
    FOR EACH ROW EXECUTE FUNCTION dispositions_tree_check();

-- ---------------------------------------------------------------------------
-- Small pieces

-- How p_user holds p_position today: 'definitif', 'plt', 'plh', or NULL.
CREATE FUNCTION position_held_as(p_user bigint, p_position bigint) RETURNS text
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    RETURN (SELECT h.kind FROM current_position_holders h
             WHERE h.user_id = p_user AND h.position_id = p_position
             ORDER BY h.kind = 'definitif' DESC, h.kind LIMIT 1);
END
$$;

-- Who holds a position today, {id, name, acting}, or NULL when vacant.
CREATE FUNCTION position_holder_json(p_position bigint) RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    RETURN (SELECT jsonb_build_object('id', u.id, 'name', u.name, 'acting', nullif(h.kind, 'definitif'))
              FROM current_position_holders h JOIN users u ON u.id = h.user_id
             WHERE h.position_id = p_position
             ORDER BY h.kind = 'definitif' DESC, h.id LIMIT 1);
END
$$;

CREATE FUNCTION user_brief_json(p_user bigint) RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    RETURN (SELECT jsonb_build_object('id', u.id, 'name', u.name) FROM users u WHERE u.id = p_user);
END
$$;

-- A refusal, as the functions below answer it.
CREATE FUNCTION disposition_refusal(p_status integer, p_code text, p_field text, p_message text)
RETURNS jsonb
LANGUAGE sql IMMUTABLE
AS $$
    SELECT jsonb_build_object('error', jsonb_strip_nulls(jsonb_build_object(
        'status', p_status, 'code', p_code, 'field', p_field, 'message', p_message)));
$$;

-- ---------------------------------------------------------------------------
-- JSON

-- A disposition as API.md shows it, and more: the recipient's holder today
-- (null: vacant, the disposition waits for whoever is appointed), who sent,
-- read and completed it, and whether it is overdue on p_today.
CREATE FUNCTION disposition_detail_json(d dispositions, p_today date) RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    RETURN jsonb_build_object(
        'id', d.id,
        'letter_id', d.letter_id,
        'parent_id', d.parent_id,
        'from_position', position_json(d.from_position_id),
        'to_position', position_json(d.to_position_id)
                       || jsonb_build_object('holder', position_holder_json(d.to_position_id)),
        'instructions', coalesce((SELECT jsonb_agg(di.instruction_code ORDER BY i.sort_order, i.code)
                                    FROM disposition_instructions di
                                    JOIN instructions i ON i.code = di.instruction_code
                                   WHERE di.disposition_id = d.id), '[]'::jsonb),
        'note', d.note,
        'deadline', d.deadline,
        'overdue', d.status <> 'done' AND d.deadline IS NOT NULL AND d.deadline < p_today,
        'status', d.status,
        'read_at', d.read_at,
        'read_by', user_brief_json(d.read_by),
        'done_at', d.done_at,
        'done_by', user_brief_json(d.done_by),
        'report', d.report,
        'created_by', user_brief_json(d.created_by),
        'created_at', d.created_at);
END
$$;

-- A disposition with everything forwarded from it, nested in "children".
CREATE FUNCTION disposition_subtree_json(d dispositions, p_today date) RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    RETURN disposition_detail_json(d, p_today) || jsonb_build_object('children',
        coalesce((SELECT jsonb_agg(disposition_subtree_json(c, p_today) ORDER BY c.id)
                    FROM dispositions c WHERE c.parent_id = d.id), '[]'::jsonb));
END
$$;

-- The disposition tree of a letter: its roots (the routings), each with
-- its children.
CREATE FUNCTION disposition_tree_json(p_letter bigint, p_today date) RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    RETURN coalesce((SELECT jsonb_agg(disposition_subtree_json(d, p_today) ORDER BY d.id)
                       FROM dispositions d WHERE d.letter_id = p_letter AND d.parent_id IS NULL), '[]'::jsonb);
END
$$;

-- The names of the units from the top down to a position's unit: the
-- letterhead of a disposition sheet ("Pemerintah Kota Pekanbaru",
-- "Sekretariat Daerah").
CREATE FUNCTION position_letterhead_json(p_position bigint) RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    RETURN coalesce((
        WITH RECURSIVE chain (id, parent_id, name, depth) AS (
            SELECT u.id, u.parent_id, u.name, 0
              FROM positions p JOIN units u ON u.id = p.unit_id WHERE p.id = p_position
            UNION ALL
            SELECT u.id, u.parent_id, u.name, c.depth + 1
              FROM units u JOIN chain c ON u.id = c.parent_id
             WHERE c.depth < 16)
        SELECT jsonb_agg(name ORDER BY depth DESC) FROM chain), '[]'::jsonb);
END
$$;

-- One disposition as its page shows it to p_user: the disposition, its
-- letter, what was forwarded from it, the letterhead of its recipient, and
-- what p_user may do with it now.
CREATE FUNCTION disposition_view_json(d dispositions, p_user bigint, p_today date) RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    l letters;
    v_holder boolean;
    v_open_children bigint;
BEGIN
    SELECT * INTO l FROM letters WHERE id = d.letter_id;
    v_holder := position_held_as(p_user, d.to_position_id) IS NOT NULL;
    SELECT count(*) INTO v_open_children FROM dispositions c WHERE c.parent_id = d.id AND c.status <> 'done';
    RETURN disposition_subtree_json(d, p_today) || jsonb_build_object(
        'letter', letter_json(l),
        'letterhead', position_letterhead_json(d.to_position_id),
        'actions', jsonb_build_object(
            'dispose', v_holder AND d.status <> 'done' AND l.status <> 'diarsipkan',
            'complete', v_holder AND d.status <> 'done' AND l.status <> 'diarsipkan' AND v_open_children = 0));
END
$$;

-- ---------------------------------------------------------------------------
-- Disposing: POST /api/letters/{id}/dispositions
--
-- p_parent: the disposition being forwarded; NULL: the open disposition of
-- the letter that p_user received (it must be exactly one), or, when p_user
-- received none, a routing by the front desk. p_to: the recipient
-- positions, in order, without duplicates (checked by the caller);
-- p_instructions: instruction codes. Answers {"items": [disposition…],
-- "from_position_id", "parent_id", "acting", "positions": {id: title}} or a
-- refusal.
CREATE FUNCTION disposition_create(p_user bigint, p_letter bigint, p_parent bigint, p_to bigint[],
                                   p_instructions text[], p_note text, p_deadline date, p_today date)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
    l letters;
    par dispositions;
    v_open bigint[];
    v_from bigint;
    v_kind text;
    v_bad text;
    t record;
    v_ids bigint[];
BEGIN
    -- What the body says, before the letter is looked at.
    SELECT c INTO v_bad FROM unnest(p_instructions) c
     WHERE NOT EXISTS (SELECT 1 FROM instructions i WHERE i.code = c AND i.active) LIMIT 1;
    IF FOUND THEN
        RETURN disposition_refusal(400, 'invalid_field', 'instructions',
                                   format('instructions: no such instruction: %s', v_bad));
    END IF;
    IF p_deadline < p_today THEN
        RETURN disposition_refusal(400, 'invalid_field', 'deadline',
                                   format('deadline: %s is in the past (today is %s)', p_deadline, p_today));
    END IF;

    -- The letter, locked: dispositions of one letter are made one at a time.
    SELECT * INTO l FROM letters WHERE id = p_letter FOR UPDATE;
    IF NOT FOUND OR NOT letter_visible(l.id, l.security, l.unit_id, p_user) THEN
        RETURN disposition_refusal(404, 'not_found', NULL, 'no such letter');
    END IF;
    IF l.status = 'diarsipkan' THEN
        RETURN disposition_refusal(409, 'conflict', NULL, 'the letter is filed (diarsipkan); it is not disposed any more');
    END IF;

    IF p_parent IS NOT NULL THEN
        SELECT * INTO par FROM dispositions WHERE id = p_parent AND letter_id = p_letter FOR UPDATE;
        IF NOT FOUND THEN
            RETURN disposition_refusal(404, 'not_found', 'parent_id',
                                       format('parent_id: this letter has no disposition %s', p_parent));
        END IF;
    ELSE
        SELECT array_agg(DISTINCT d.id ORDER BY d.id) INTO v_open
          FROM dispositions d JOIN current_position_holders h ON h.position_id = d.to_position_id
         WHERE d.letter_id = p_letter AND h.user_id = p_user AND d.status <> 'done';
        IF cardinality(v_open) > 1 THEN
            RETURN disposition_refusal(400, 'invalid_field', 'parent_id',
                format('parent_id: required, you received this letter more than once (dispositions %s)',
                       array_to_string(v_open, ', ')));
        ELSIF cardinality(v_open) = 1 THEN
            SELECT * INTO par FROM dispositions WHERE id = v_open[1] FOR UPDATE;
        END IF;
    END IF;

    IF par.id IS NOT NULL THEN
        v_kind := position_held_as(p_user, par.to_position_id);
        IF v_kind IS NULL THEN
            RETURN disposition_refusal(403, 'forbidden', 'parent_id',
                format('disposition %s went to %s; only its holder (or acting holder) forwards it',
                       par.id, (SELECT title FROM positions WHERE id = par.to_position_id)));
        END IF;
        IF par.status = 'done' THEN
            RETURN disposition_refusal(409, 'conflict', 'parent_id',
                format('disposition %s is complete; nothing more is forwarded from it', par.id));
        END IF;
        v_from := par.to_position_id;
    ELSE
        -- Nobody of the caller's positions holds this letter open: only the
        -- front desk of the registering unit may route it.
        IF NOT EXISTS (SELECT 1 FROM user_roles r
                         JOIN current_position_holders h ON h.user_id = r.user_id
                         JOIN positions p ON p.id = h.position_id
                        WHERE r.user_id = p_user AND r.role = 'front_desk' AND p.unit_id = l.unit_id) THEN
            IF EXISTS (SELECT 1 FROM dispositions d JOIN current_position_holders h ON h.position_id = d.to_position_id
                        WHERE d.letter_id = p_letter AND h.user_id = p_user) THEN
                RETURN disposition_refusal(409, 'conflict', NULL,
                    'your disposition of this letter is complete; nothing more is forwarded from it');
            END IF;
            RETURN disposition_refusal(403, 'forbidden', NULL,
                'your position did not receive this letter; only its recipients dispose it');
        END IF;
    END IF;

    FOR t IN SELECT x.id, x.ord, p.id AS found, p.active, p.is_entry_point, p.title
               FROM unnest(p_to) WITH ORDINALITY AS x (id, ord)
               LEFT JOIN positions p ON p.id = x.id
              ORDER BY x.ord
    LOOP
        IF t.found IS NULL OR NOT t.active THEN
            RETURN disposition_refusal(400, 'invalid_field', 'to', format('to: no such position: %s', t.id));
        END IF;
        IF v_from IS NULL AND NOT t.is_entry_point THEN
            RETURN disposition_refusal(403, 'forbidden', 'to',
                format('to: %s is not an entry point; the front desk routes letters only to the leaders', t.title));
        END IF;
        IF v_from IS NOT NULL AND NOT position_below(t.id, v_from) THEN
            RETURN disposition_refusal(403, 'forbidden', 'to',
                format('to: %s is not below %s; a disposition goes down the hierarchy only',
                       t.title, (SELECT title FROM positions WHERE id = v_from)));
        END IF;
        IF EXISTS (SELECT 1 FROM dispositions d
                    WHERE d.letter_id = p_letter AND d.parent_id IS NOT DISTINCT FROM par.id
                      AND d.to_position_id = t.id AND d.status <> 'done') THEN
            RETURN disposition_refusal(409, 'conflict', 'to',
                format('to: %s already has this letter from this disposition, still open', t.title));
        END IF;
    END LOOP;

    WITH ins AS (
        INSERT INTO dispositions (letter_id, parent_id, from_position_id, to_position_id, note, deadline, created_by)
        SELECT p_letter, par.id, v_from, x.id, p_note, p_deadline, p_user
          FROM unnest(p_to) WITH ORDINALITY AS x (id, ord)
         ORDER BY x.ord
        RETURNING id)
    SELECT array_agg(id ORDER BY id) INTO v_ids FROM ins;
    INSERT INTO disposition_instructions (disposition_id, instruction_code)
    SELECT d, c FROM unnest(v_ids) AS d, (SELECT DISTINCT c FROM unnest(p_instructions) AS c) s;
    UPDATE letters SET status = 'didisposisi' WHERE id = p_letter AND status <> 'didisposisi';
    -- Disposition notes are searched, and a confidential letter's readers changed.
    INSERT INTO index_outbox (letter_id) VALUES (p_letter);

    RETURN jsonb_build_object(
        'items', (SELECT jsonb_agg(disposition_detail_json(d, p_today) ORDER BY d.id)
                    FROM dispositions d WHERE d.id = ANY (v_ids)),
        'parent_id', par.id,
        'from_position_id', v_from,
        'acting', nullif(v_kind, 'definitif'));
END
$$;

-- ---------------------------------------------------------------------------
-- Opening: GET /api/dispositions/{id}. The first open by the recipient
-- (its holder or acting holder) marks it read. Answers {"disposition":
-- view, "first_read", "acting", "security"} or a refusal.
CREATE FUNCTION disposition_open(p_user bigint, p_id bigint, p_today date) RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
    d dispositions;
    l letters;
    v_kind text;
    v_first boolean := false;
BEGIN
    SELECT * INTO d FROM dispositions WHERE id = p_id;
    IF FOUND THEN
        SELECT * INTO l FROM letters WHERE id = d.letter_id;
    END IF;
    IF d.id IS NULL OR NOT letter_visible(l.id, l.security, l.unit_id, p_user) THEN
        RETURN disposition_refusal(404, 'not_found', NULL, 'no such disposition');
    END IF;
    v_kind := position_held_as(p_user, d.to_position_id);
    IF v_kind IS NOT NULL AND d.status = 'unread' THEN
        -- Of two first opens at once, one marks it.
        UPDATE dispositions SET status = 'read', read_at = now(), read_by = p_user
         WHERE id = p_id AND status = 'unread';
        v_first := FOUND;
        SELECT * INTO d FROM dispositions WHERE id = p_id;
    END IF;
    RETURN jsonb_build_object('disposition', disposition_view_json(d, p_user, p_today),
                              'first_read', v_first,
                              'acting', nullif(v_kind, 'definitif'),
                              'security', l.security);
END
$$;

-- ---------------------------------------------------------------------------
-- Completing: POST /api/dispositions/{id}/complete. Answers {"disposition":
-- view, "acting", "letter_status", "letter_finished"} or a refusal.
CREATE FUNCTION disposition_complete(p_user bigint, p_id bigint, p_report text, p_today date) RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
    d dispositions;
    l letters;
    v_letter bigint;
    v_kind text;
    v_open bigint;
    v_finished boolean := false;
BEGIN
    SELECT letter_id INTO v_letter FROM dispositions WHERE id = p_id;
    IF FOUND THEN
        -- The letter first, as every disposition change locks it.
        SELECT * INTO l FROM letters WHERE id = v_letter FOR UPDATE;
    END IF;
    IF v_letter IS NULL OR NOT letter_visible(l.id, l.security, l.unit_id, p_user) THEN
        RETURN disposition_refusal(404, 'not_found', NULL, 'no such disposition');
    END IF;
    SELECT * INTO d FROM dispositions WHERE id = p_id FOR UPDATE;
    v_kind := position_held_as(p_user, d.to_position_id);
    IF v_kind IS NULL THEN
        RETURN disposition_refusal(403, 'forbidden', NULL,
            format('disposition %s went to %s; only its holder (or acting holder) completes it',
                   d.id, (SELECT title FROM positions WHERE id = d.to_position_id)));
    END IF;
    IF d.status = 'done' THEN
        RETURN disposition_refusal(409, 'conflict', NULL,
            format('disposition %s is already complete', d.id));
    END IF;
    IF l.status = 'diarsipkan' THEN
        RETURN disposition_refusal(409, 'conflict', NULL, 'the letter is filed (diarsipkan)');
    END IF;
    SELECT count(*) INTO v_open FROM dispositions c WHERE c.parent_id = d.id AND c.status <> 'done';
    IF v_open > 0 THEN
        RETURN disposition_refusal(409, 'conflict', NULL,
            format('%s forwarded from this disposition %s still open; they complete first',
                   CASE WHEN v_open = 1 THEN 'one disposition' ELSE v_open || ' dispositions' END,
                   CASE WHEN v_open = 1 THEN 'is' ELSE 'are' END));
    END IF;

    UPDATE dispositions
       SET status = 'done', done_at = now(), done_by = p_user, report = p_report,
           read_at = coalesce(read_at, now()), read_by = coalesce(read_by, p_user)
     WHERE id = p_id;
    IF NOT EXISTS (SELECT 1 FROM dispositions x WHERE x.letter_id = l.id AND x.status <> 'done') THEN
        UPDATE letters SET status = 'selesai' WHERE id = l.id AND status = 'didisposisi';
        v_finished := FOUND;
    END IF;
    INSERT INTO index_outbox (letter_id) VALUES (l.id);
    SELECT * INTO d FROM dispositions WHERE id = p_id;
    RETURN jsonb_build_object('disposition', disposition_view_json(d, p_user, p_today),
                              'acting', nullif(v_kind, 'definitif'),
                              'letter_status', (SELECT status FROM letters WHERE id = l.id),
                              'letter_finished', v_finished);
END
$$;
