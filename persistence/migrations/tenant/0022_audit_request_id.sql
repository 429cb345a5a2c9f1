-- The request that made each audited change, as its response's X-Request-Id says, so
-- support can go from an entry to the server's log lines and back.
ALTER TABLE audit_log ADD COLUMN request_id text;
