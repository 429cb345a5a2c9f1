-- The control schema: who the agencies, tenants and operators are, and their credentials.
CREATE TABLE agencies (
    id          uuid PRIMARY KEY,
    name        text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE tenants (
    id           uuid PRIMARY KEY,
    slug         text NOT NULL UNIQUE,
    name         text NOT NULL,
    agency_id    uuid REFERENCES agencies (id),
    schema_name  text NOT NULL UNIQUE,
    -- Which Postgres cluster holds the schema; 'default' is the one the API is configured with.
    placement    text NOT NULL DEFAULT 'default',
    -- Signs this tenant's member tokens, so a leaked key of one tenant forges nothing else.
    jwt_secret   bytea NOT NULL,
    status       text NOT NULL DEFAULT 'ACTIVE',
    created_at   timestamptz NOT NULL DEFAULT now(),
    CHECK (schema_name ~ '^t_[a-z0-9_]{1,55}$')
);

CREATE TABLE operators (
    id             uuid PRIMARY KEY,
    email          text NOT NULL UNIQUE,
    name           text,
    password_hash  text NOT NULL,
    agency_id      uuid REFERENCES agencies (id),
    created_at     timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE memberships (
    operator_id  uuid NOT NULL REFERENCES operators (id) ON DELETE CASCADE,
    tenant_id    uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    role         text NOT NULL CHECK (role IN ('OWNER', 'ADMIN', 'VIEWER')),
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (operator_id, tenant_id)
);
CREATE INDEX memberships_tenant ON memberships (tenant_id);

CREATE TABLE api_keys (
    id          uuid PRIMARY KEY,
    tenant_id   uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    kind        text NOT NULL CHECK (kind IN ('SECRET', 'PUBLISHABLE')),
    name        text NOT NULL DEFAULT '',
    -- The first characters, shown in listings so a key can be recognised without being stored.
    prefix      text NOT NULL,
    key_hash    bytea NOT NULL UNIQUE,
    created_at  timestamptz NOT NULL DEFAULT now(),
    revoked_at  timestamptz
);
CREATE INDEX api_keys_tenant ON api_keys (tenant_id);
