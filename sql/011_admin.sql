-- The administrator's changes to the organisation (issue 8): the rules
-- that keep units, positions and appointments sound whoever writes them
-- (the admin API, the CLI, an operator in psql).
--
--   * The unit tree and the position tree have no cycles: dispositions flow
--     down positions.parent_id, and a cycle would put a position below
--     itself.
--   * A position has one definitive holder at a time: two definitive
--     appointments to one position may not overlap in their dates, and no
--     one holds the same position twice at once. Acting appointments
--     (Plt/Plh) may overlap a definitive one: that is what they are for.
--   * A user deactivated or reactivated changes who holds positions today
--     (current_position_holders looks at users.active), which every letter
--     page shows: it bumps the letter documents' generation like a rename.
--
-- The refusals are check_violation / exclusion_violation errors whose
-- message starts with the rule's name, so that esurat-fcgi answers 409
-- with a clear message instead of a 500.

-- ---------------------------------------------------------------------------
-- No cycles

-- Writers of one tree wait for each other: a check sees the changes that
-- committed before it (READ COMMITTED takes a new snapshot per statement),
-- so two changes that would only together make a cycle cannot both pass.
-- Readers, and the foreign-key checks of dispositions, are not blocked.
CREATE FUNCTION org_tree_no_cycle() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    v_loop boolean;
    v_kind text := rtrim(TG_TABLE_NAME, 's'); -- 'position', 'unit'
    v_name text;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('esurat.' || TG_TABLE_NAME || '.tree'));
    IF TG_TABLE_NAME = 'positions' THEN
        v_loop := NEW.parent_id = NEW.id OR position_below(NEW.parent_id, NEW.id);
        SELECT p.title INTO v_name FROM positions p WHERE p.id = NEW.parent_id;
    ELSE
        WITH RECURSIVE up (id) AS (
            SELECT u.parent_id FROM units u WHERE u.id = NEW.parent_id
            UNION
            SELECT u.parent_id FROM units u JOIN up ON u.id = up.id)
        SELECT NEW.parent_id = NEW.id OR EXISTS (SELECT 1 FROM up WHERE up.id = NEW.id) INTO v_loop;
        SELECT u.name INTO v_name FROM units u WHERE u.id = NEW.parent_id;
    END IF;
    IF v_loop THEN
        RAISE EXCEPTION '%_no_cycle: % % cannot be placed below % % (%), which is below it',
            TG_TABLE_NAME, v_kind, NEW.id, v_kind, NEW.parent_id, v_name
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END
$$;

-- A new row has nothing below it yet: only a change of parent can close a loop.
CREATE TRIGGER positions_no_cycle BEFORE UPDATE OF parent_id ON positions
    FOR EACH ROW WHEN (NEW.parent_id IS NOT NULL AND NEW.parent_id IS DISTINCT FROM OLD.parent_id)
    EXECUTE FUNCTION org_tree_no_cycle();
CREATE TRIGGER units_no_cycle BEFORE UPDATE OF parent_id ON units
    FOR EACH ROW WHEN (NEW.parent_id IS NOT NULL AND NEW.parent_id IS DISTINCT FROM OLD.parent_id)
    EXECUTE FUNCTION org_tree_no_cycle();

-- ---------------------------------------------------------------------------
-- Appointments

CREATE FUNCTION position_holders_no_overlap() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    v_other position_holders;
BEGIN
    -- Backwards dates are the table's CHECK to refuse (daterange would fail).
    IF NEW.valid_to < NEW.valid_from THEN
        RETURN NEW;
    END IF;
    -- Appointments to one position are checked one at a time. NO KEY
    -- UPDATE: dispositions that refer to the position are not held up.
    PERFORM 1 FROM positions WHERE id = NEW.position_id FOR NO KEY UPDATE;
    SELECT * INTO v_other FROM position_holders h
     WHERE h.position_id = NEW.position_id AND h.id <> NEW.id
       AND daterange(h.valid_from, h.valid_to, '[]') && daterange(NEW.valid_from, NEW.valid_to, '[]')
       AND (h.user_id = NEW.user_id OR (h.kind = 'definitif' AND NEW.kind = 'definitif'))
     ORDER BY h.valid_from LIMIT 1;
    IF FOUND AND v_other.user_id = NEW.user_id THEN
        RAISE EXCEPTION 'position_holders_no_overlap: the user holds this position already (%) from % until % (appointment %)',
            v_other.kind, v_other.valid_from, coalesce(v_other.valid_to::text, 'further notice'), v_other.id
            USING ERRCODE = 'exclusion_violation';
    ELSIF FOUND THEN
        RAISE EXCEPTION 'position_holders_no_overlap: the position has a definitive holder (user %) from % until % (appointment %): end that appointment first, or appoint a Plt/Plh',
            v_other.user_id, v_other.valid_from, coalesce(v_other.valid_to::text, 'further notice'), v_other.id
            USING ERRCODE = 'exclusion_violation';
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER position_holders_no_overlap BEFORE INSERT OR UPDATE ON position_holders
    FOR EACH ROW EXECUTE FUNCTION position_holders_no_overlap();

-- ---------------------------------------------------------------------------
-- Letter documents follow a user's deactivation (see 009_letter_docs.sql).

-- Per row and only when the value changes: the admin API writes every
-- column of the row it changes.
DROP TRIGGER users_docs ON users;
CREATE TRIGGER users_docs AFTER UPDATE OF name, active ON users
    FOR EACH ROW WHEN (OLD.name IS DISTINCT FROM NEW.name OR OLD.active IS DISTINCT FROM NEW.active)
    EXECUTE FUNCTION letter_docs_invalidate_all();

-- ---------------------------------------------------------------------------
-- The JSON shapes of the organisation, one definition each (GET
-- /api/positions and the admin API).

-- A position with its unit and who holds it today.
CREATE FUNCTION position_json(p positions) RETURNS json
LANGUAGE sql STABLE AS $$
    SELECT json_build_object(
        'id', p.id, 'title', p.title, 'parent_id', p.parent_id,
        'is_entry_point', p.is_entry_point, 'active', p.active,
        'unit', (SELECT json_build_object('id', u.id, 'code', u.code, 'name', u.name)
                   FROM units u WHERE u.id = p.unit_id),
        'holder', position_holder_json(p.id));
$$;

-- A classification code with its retention schedule.
CREATE FUNCTION classification_json(c classifications) RETURNS json
LANGUAGE sql STABLE AS $$
    SELECT json_build_object(
        'code', c.code, 'title', c.title, 'parent_code', c.parent_code,
        'retention_active_years', c.retention_active_years,
        'retention_inactive_years', c.retention_inactive_years,
        'final_disposition', c.final_disposition);
$$;

-- An appointment: who, how (definitif, plt, plh), for which days, and
-- whether it holds today.
CREATE FUNCTION appointment_json(h position_holders) RETURNS json
LANGUAGE sql STABLE AS $$
    SELECT json_build_object(
        'id', h.id, 'position_id', h.position_id, 'kind', h.kind,
        'from', h.valid_from, 'until', h.valid_to,
        'current', h.valid_from <= current_date AND (h.valid_to IS NULL OR h.valid_to >= current_date),
        'user', (SELECT json_build_object('id', u.id, 'username', u.username, 'name', u.name, 'active', u.active)
                   FROM users u WHERE u.id = h.user_id),
        'created_at', h.created_at);
$$;

-- A user as the administrator sees it: roles, and the positions held
-- today (by date; an inactive user's appointments are shown too, they
-- count again if the user is reactivated).
CREATE FUNCTION user_admin_json(u users) RETURNS json
LANGUAGE sql STABLE AS $$
    SELECT json_build_object(
        'id', u.id, 'username', u.username, 'name', u.name, 'nip', u.nip, 'active', u.active,
        'roles', coalesce((SELECT json_agg(r.role ORDER BY r.role) FROM user_roles r WHERE r.user_id = u.id),
                          '[]'::json),
        'positions', coalesce((SELECT json_agg(json_build_object(
                'appointment_id', h.id, 'id', p.id, 'title', p.title,
                'acting', nullif(h.kind, 'definitif'), 'from', h.valid_from, 'until', h.valid_to,
                'unit', json_build_object('id', un.id, 'code', un.code, 'name', un.name)) ORDER BY p.id, h.id)
              FROM position_holders h JOIN positions p ON p.id = h.position_id JOIN units un ON un.id = p.unit_id
             WHERE h.user_id = u.id AND h.valid_from <= current_date
               AND (h.valid_to IS NULL OR h.valid_to >= current_date)), '[]'::json),
        'created_at', u.created_at, 'updated_at', u.updated_at);
$$;
