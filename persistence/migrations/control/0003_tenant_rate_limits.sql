-- A tenant's own request budget in units per minute per credential; NULL: the default
-- (LOYALTY_RATE_LIMIT_PER_MINUTE). See docs/security/throttling.md.
ALTER TABLE tenants ADD COLUMN rate_limit_per_minute integer
    CHECK (rate_limit_per_minute BETWEEN 1 AND 1000000);
