-- The member's externalId as committed when it is called, not when the calling statement
-- started: a VOLATILE function's queries each take a fresh snapshot. The events' writer
-- (persistence/repositories/webhooks.py, EVENT_CTES) names the member with it after taking the
-- member's lock, which an erasure takes before it clears what events say of the member: an
-- event is then either written after the erasure committed, naming no externalId, or
-- committed before the erasure clears it. Read in the statement's own snapshot, a credit's
-- event (written by the statement that waited for the balance lock) could name a member
-- erased during that wait.
CREATE FUNCTION member_external_id_now(p_member uuid)
RETURNS text LANGUAGE plpgsql VOLATILE
SET search_path FROM CURRENT AS $$
BEGIN
    RETURN (SELECT external_id FROM members WHERE id = p_member);
END;
$$;
