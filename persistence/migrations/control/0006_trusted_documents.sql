-- Trusted documents: GraphQL documents a tenant's operators registered from a client's
-- persisted-query manifest (Apollo's or Relay's), known by the sha256 of their text. With
-- persisted queries required, a request naming one by its id runs (api/http/persisted_queries.py).
-- The domain checks each id is its body's sha256 (domain/trusted_documents.py); the CHECKs
-- are a backstop.
CREATE TABLE trusted_documents (
    position        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,  -- the keyset cursor
    tenant_id       uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    client          text NOT NULL CHECK (client ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$'),
    sha256          text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    name            text,
    operation_type  text CHECK (operation_type IN ('QUERY', 'MUTATION', 'SUBSCRIPTION')),
    body            text NOT NULL,
    registered_by   uuid,
    registered_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (tenant_id, client, sha256)
);
CREATE INDEX trusted_documents_by_hash ON trusted_documents (tenant_id, sha256);
CREATE INDEX trusted_documents_by_client ON trusted_documents (tenant_id, client, position);
