-- Letters as JSON, in one place, for every endpoint that answers with a
-- letter or a disposition (the API.md shapes). PL/pgSQL, so that each
-- statement's plan is kept per connection (SQL functions with sub-SELECTs
-- are not inlined and were planned anew at every call).
--
-- Timestamps come out in RFC 3339 with the session's offset (the
-- connection sets TimeZone to Asia/Jakarta), dates as YYYY-MM-DD.

CREATE FUNCTION letter_json(l letters) RETURNS jsonb
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

-- A position as {id, title, unit: {id, code, name}}, or NULL.
CREATE FUNCTION position_json(p_id bigint) RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    RETURN (SELECT jsonb_build_object('id', p.id, 'title', p.title,
                                  'unit', jsonb_build_object('id', u.id, 'code', u.code, 'name', u.name))
          FROM positions p JOIN units u ON u.id = p.unit_id
         WHERE p.id = p_id);
END
$$;

CREATE FUNCTION disposition_json(d dispositions) RETURNS jsonb
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
