-- Who may see a letter, in one place, for every query that lists, reads,
-- downloads or counts letters: biasa and terbatas letters are seen by every
-- signed-in employee; rahasia and sangat_rahasia letters only by admins,
-- the front desk of the registering unit, and the holders (also acting) of
-- the positions in the letter's disposition tree. PL/pgSQL rather than
-- SQL: an SQL function with a sub-SELECT is not inlined, and PostgreSQL
-- planned its body anew at every call (a millisecond per letter read);
-- PL/pgSQL keeps each statement's plan for the life of the connection.
CREATE FUNCTION letter_visible(p_letter_id bigint, p_security text, p_unit_id bigint, p_user_id bigint)
RETURNS boolean
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    -- Most letters are not confidential: answer those without a query.
    IF p_security IN ('biasa', 'terbatas') THEN
        RETURN true;
    END IF;
    RETURN EXISTS (SELECT 1 FROM user_roles r
                    WHERE r.user_id = p_user_id AND r.role = 'admin')
        OR EXISTS (SELECT 1 FROM user_roles r
                     JOIN current_position_holders h ON h.user_id = r.user_id
                     JOIN positions p ON p.id = h.position_id
                    WHERE r.user_id = p_user_id AND r.role = 'front_desk' AND p.unit_id = p_unit_id)
        OR EXISTS (SELECT 1 FROM dispositions d
                     JOIN current_position_holders h ON h.position_id = d.to_position_id
                    WHERE d.letter_id = p_letter_id AND h.user_id = p_user_id);
END
$$;
