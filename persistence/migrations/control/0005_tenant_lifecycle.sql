-- Tenant lifecycle (docs/tenant-lifecycle.md): ACTIVE, SUSPENDED (credentials refused, data
-- kept), ARCHIVED (as suspended, hidden from default lists; deletable after a grace period).
ALTER TABLE tenants
    ADD COLUMN status_reason text CHECK (length(status_reason) <= 500),
    ADD COLUMN suspended_at  timestamptz,
    ADD COLUMN archived_at   timestamptz,
    ADD CONSTRAINT tenants_status CHECK (status IN ('ACTIVE', 'SUSPENDED', 'ARCHIVED'));

-- The agency-level audit log: tenant creation and lifecycle changes, kept after the tenant
-- and its schema are deleted (so no foreign key to tenants). Append-only.
CREATE TABLE audit_log (
    seq          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    agency_id    uuid,
    tenant_id    uuid,
    actor_kind   text NOT NULL,
    actor_id     text,
    actor_label  text,
    action       text NOT NULL,
    target       text,
    summary      jsonb NOT NULL DEFAULT '{}',
    at           timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX audit_log_agency ON audit_log (agency_id, seq DESC);
CREATE INDEX audit_log_agency_action ON audit_log (agency_id, action, seq DESC);

CREATE FUNCTION refuse_audit_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER audit_log_append_only
    BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION refuse_audit_change();
CREATE TRIGGER audit_log_no_truncate
    BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_audit_change();
