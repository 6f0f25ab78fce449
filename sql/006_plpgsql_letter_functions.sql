-- The letter functions of 004 and 005 as PL/pgSQL. SQL functions whose
-- body holds a sub-SELECT are not inlined: PostgreSQL planned their body
-- anew at every call, a millisecond per letter read (bench: 1 150 reads/s).
-- PL/pgSQL keeps each statement's plan for the life of the connection.
-- Same names, arguments and results.

CREATE OR REPLACE FUNCTION letter_visible(p_letter_id bigint, p_security text, p_unit_id bigint, p_user_id bigint)
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

CREATE OR REPLACE FUNCTION letter_json(l letters) RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    RETURN (SELECT jsonb_build_object(
            'id', l.id,
            'direction', l.direction,
            'unit', (SELECT jsonb_build_object('id', u.id, 'code', u.code, 'name', u.name)
                       FROM units u WHERE u.id = l.unit_id),
            'agenda_number', l.agenda_number,
            'agenda_year', l.agenda_year,
            'letter_number', l.letter_number,
            'letter_date', l.letter_date,
            'received_at', l.received_at,
            'sender', l.sender,
            'recipient', l.recipient,
            'subject', l.subject,
            'summary', l.summary,
            'classification', l.classification,
            'security', l.security,
            'urgency', l.urgency,
            'status', l.status,
            'tracking_code', l.tracking_code,
            'created_by', l.created_by,
            'created_at', l.created_at,
            'updated_at', l.updated_at));
END
$$;

CREATE OR REPLACE FUNCTION position_json(p_id bigint) RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    RETURN (SELECT jsonb_build_object('id', p.id, 'title', p.title,
                                  'unit', jsonb_build_object('id', u.id, 'code', u.code, 'name', u.name))
          FROM positions p JOIN units u ON u.id = p.unit_id
         WHERE p.id = p_id);
END
$$;

CREATE OR REPLACE FUNCTION disposition_json(d dispositions) RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    RETURN (SELECT jsonb_build_object(
            'id', d.id,
            'letter_id', d.letter_id,
            'parent_id', d.parent_id,
            'from_position', position_json(d.from_position_id),
            'to_position', position_json(d.to_position_id),
            'instructions', coalesce((SELECT jsonb_agg(i.instruction_code ORDER BY i.instruction_code)
                                        FROM disposition_instructions i
                                       WHERE i.disposition_id = d.id), '[]'::jsonb),
            'note', d.note,
            'deadline', d.deadline,
            'status', d.status,
            'read_at', d.read_at,
            'done_at', d.done_at,
            'report', d.report,
            'created_at', d.created_at));
END
$$;
