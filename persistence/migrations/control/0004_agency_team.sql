-- The agency's team (docs/agencies.md): each operator has one role in its agency, and
-- access to some of the agency's tenants (memberships, with that same role); invitations
-- to join an agency; operator sessions, each one a row that a logout revokes on every
-- replica at once.

-- Access across agencies was never meant to exist: a command-line grant could make one.
DELETE FROM memberships m
USING operators o, tenants t
WHERE o.id = m.operator_id AND t.id = m.tenant_id
  AND t.agency_id IS DISTINCT FROM o.agency_id;

ALTER TABLE operators ADD COLUMN role text NOT NULL DEFAULT 'OWNER'
    CHECK (role IN ('OWNER', 'ADMIN', 'VIEWER'));
-- An operator's role is the highest it held on any tenant; one with no tenant founded its
-- agency (the only way to make an operator was to make an agency) and owns it.
UPDATE operators o SET role = held.role
FROM (SELECT operator_id, CASE
             WHEN bool_or(role = 'OWNER') THEN 'OWNER'
             WHEN bool_or(role = 'ADMIN') THEN 'ADMIN'
             ELSE 'VIEWER' END AS role
      FROM memberships GROUP BY operator_id) held
WHERE held.operator_id = o.id;
UPDATE memberships m SET role = o.role FROM operators o WHERE o.id = m.operator_id;
ALTER TABLE operators ALTER COLUMN role DROP DEFAULT;
CREATE INDEX operators_agency ON operators (agency_id, role);

CREATE TABLE operator_invitations (
    id           uuid PRIMARY KEY,
    agency_id    uuid NOT NULL REFERENCES agencies (id) ON DELETE CASCADE,
    email        text NOT NULL,
    role         text NOT NULL CHECK (role IN ('OWNER', 'ADMIN', 'VIEWER')),
    tenant_ids   uuid[] NOT NULL DEFAULT '{}',
    -- A keyed SHA-256 of the token, as for API keys: the token itself is shown once.
    token_hash   bytea NOT NULL UNIQUE,
    invited_by   uuid REFERENCES operators (id) ON DELETE SET NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    accepted_at  timestamptz
);
CREATE INDEX operator_invitations_agency ON operator_invitations (agency_id, created_at);

CREATE TABLE operator_sessions (
    id            uuid PRIMARY KEY,
    operator_id   uuid NOT NULL REFERENCES operators (id) ON DELETE CASCADE,
    created_at    timestamptz NOT NULL DEFAULT now(),
    last_seen_at  timestamptz NOT NULL DEFAULT now(),
    expires_at    timestamptz NOT NULL,
    user_agent    text,
    revoked_at    timestamptz
);
CREATE INDEX operator_sessions_operator ON operator_sessions (operator_id, created_at);
