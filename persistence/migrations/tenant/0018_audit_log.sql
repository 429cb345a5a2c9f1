-- Who changed the program's configuration or moved points by hand (docs/tenant-lifecycle.md,
-- "Audit log"). Written in the transaction of the change it records. Append-only.
CREATE TABLE audit_log (
    seq          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    actor_kind   text NOT NULL,
    actor_id     text,
    actor_label  text,
    action       text NOT NULL,
    target       text,
    summary      jsonb NOT NULL DEFAULT '{}',
    at           timestamptz NOT NULL DEFAULT clock_timestamp()
);
-- auditLog(filter: { action }) pages newest first through one action's entries.
CREATE INDEX audit_log_action ON audit_log (action, seq DESC);

-- The ledger's refusal (0001), naming whichever table it guards.
CREATE OR REPLACE FUNCTION refuse_ledger_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER audit_log_append_only
    BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION refuse_ledger_change();
CREATE TRIGGER audit_log_no_truncate
    BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_ledger_change();
