-- The request that made each change of the agency's log (as tenant migration 0022 does for
-- the tenants' logs).
ALTER TABLE audit_log ADD COLUMN request_id text;
