-- Member imports (docs/agencies.md, "Importing members"): one row per file, its id derived
-- from the file's SHA-256, so sending the same file again is the same import and resumes it.
-- The rows' opening balances are ledger entries whose idempotency keys name the import and
-- the line (`import:<id>:<line>`, also kept in idempotency_keys): a row is written once.
CREATE TABLE member_imports (
    id               uuid PRIMARY KEY,
    seq              bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    format           text NOT NULL CHECK (format IN ('CSV', 'JSONL')),
    status           text NOT NULL DEFAULT 'QUEUED'
                     CHECK (status IN ('QUEUED', 'RUNNING', 'FINISHED', 'FAILED')),
    -- The file sent through the API, kept until the import is done (then cleared: the
    -- members' personal data lives in `members` only, where erasure reaches it).
    source           bytea,
    bytes            bigint NOT NULL,
    total_rows       integer,
    processed_rows   integer NOT NULL DEFAULT 0,
    imported         integer NOT NULL DEFAULT 0,
    already_imported integer NOT NULL DEFAULT 0,
    failed           integer NOT NULL DEFAULT 0,
    points           bigint NOT NULL DEFAULT 0,
    ignored_columns  text[] NOT NULL DEFAULT '{}',
    failure          text,
    attempts         integer NOT NULL DEFAULT 0,
    created_by       text,
    created_at       timestamptz NOT NULL,
    started_at       timestamptz,
    finished_at      timestamptz,
    -- A runner's claim: another runner (the worker) takes the import over once it passed.
    lease_until      timestamptz
);
CREATE INDEX member_imports_unfinished ON member_imports (lease_until)
    WHERE status IN ('QUEUED', 'RUNNING');

-- The rows an import reported instead of writing, one per line.
CREATE TABLE member_import_errors (
    import_id  uuid NOT NULL REFERENCES member_imports (id),
    line       integer NOT NULL,
    field      text,
    code       text NOT NULL,
    message    text NOT NULL,
    PRIMARY KEY (import_id, line)
);

-- A bulk import writes thousands of members and entries per statement: through the
-- per-row rollup triggers (0010), each would update the same day's row again, and a row
-- updated thousands of times in one transaction makes every next update walk the versions
-- before it. The import sets `loyalty.bulk_rollups` for its transaction and adds the same
-- sums to the rollups itself, once per day (persistence/member_import_writer.py).
DROP TRIGGER members_analytics ON members;
CREATE TRIGGER members_analytics AFTER INSERT ON members
    FOR EACH ROW WHEN (current_setting('loyalty.bulk_rollups', true) IS DISTINCT FROM 'on')
    EXECUTE FUNCTION analytics_on_member();
DROP TRIGGER ledger_entries_analytics ON ledger_entries;
CREATE TRIGGER ledger_entries_analytics AFTER INSERT ON ledger_entries
    FOR EACH ROW WHEN (NEW.wallet = 'points'
                       AND current_setting('loyalty.bulk_rollups', true) IS DISTINCT FROM 'on')
    EXECUTE FUNCTION analytics_on_entry();
