-- VIP tiers: definitions, the program's tier settings, each member's tier and its history.
CREATE TABLE tiers (
    id          uuid PRIMARY KEY,
    name        text NOT NULL,
    threshold   bigint NOT NULL CHECK (threshold >= 0),
    multiplier  numeric(6, 3) NOT NULL DEFAULT 1 CHECK (multiplier >= 0),
    perks       text[] NOT NULL DEFAULT '{}',
    -- Archived tiers are kept, so history and members' past tiers still name them.
    archived    boolean NOT NULL DEFAULT false,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL
);
CREATE UNIQUE INDEX tiers_threshold ON tiers (threshold) WHERE NOT archived;
CREATE UNIQUE INDEX tiers_name ON tiers (lower(name)) WHERE NOT archived;

-- How members qualify, and the version of the definitions. The version is bumped by every
-- change of a tier or of these settings; members evaluated at an older version are
-- re-evaluated by the worker, in batches.
CREATE TABLE tier_program (
    singleton       boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    metric          text NOT NULL DEFAULT 'POINTS_EARNED'
                    CHECK (metric IN ('POINTS_EARNED', 'AMOUNT_SPENT', 'ORDER_COUNT')),
    window_kind     text NOT NULL DEFAULT 'LIFETIME'
                    CHECK (window_kind IN ('LIFETIME', 'CALENDAR_YEAR', 'ROLLING_MONTHS')),
    rolling_months  integer CHECK (rolling_months BETWEEN 1 AND 120),
    downgrade       text NOT NULL DEFAULT 'AT_PERIOD_END'
                    CHECK (downgrade IN ('AT_PERIOD_END', 'NEVER')),
    grace_days      integer NOT NULL DEFAULT 0 CHECK (grace_days >= 0),
    version         integer NOT NULL DEFAULT 0,
    -- Every member has been evaluated at this version: the worker looks for stale members
    -- only while it is behind `version`, instead of scanning the members every round.
    settled_version  integer NOT NULL DEFAULT 0,
    CHECK ((window_kind = 'ROLLING_MONTHS') = (rolling_months IS NOT NULL))
);
INSERT INTO tier_program (singleton) VALUES (true);

CREATE TABLE member_tiers (
    member_id          uuid PRIMARY KEY REFERENCES members (id),
    tier_id            uuid REFERENCES tiers (id),
    since              timestamptz NOT NULL,
    -- The tier is kept at least until then (end of the following period plus grace); the
    -- worker reviews the member then. NULL: it cannot be lost.
    retain_until       timestamptz,
    evaluated_version  integer NOT NULL DEFAULT 0,
    evaluated_at       timestamptz NOT NULL
);
CREATE INDEX member_tiers_retain ON member_tiers (retain_until) WHERE retain_until IS NOT NULL;
CREATE INDEX member_tiers_version ON member_tiers (evaluated_version);

CREATE TABLE tier_history (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    member_id   uuid NOT NULL REFERENCES members (id),
    from_tier   uuid REFERENCES tiers (id),
    to_tier     uuid REFERENCES tiers (id),
    reason      text NOT NULL CHECK (reason IN ('QUALIFIED', 'PERIOD_ENDED', 'TIER_REMOVED')),
    at          timestamptz NOT NULL
);
CREATE INDEX tier_history_member ON tier_history (member_id, id DESC);

-- The tier metrics read a member's entries and orders by time.
CREATE INDEX ledger_entries_member_time ON ledger_entries (member_id, wallet, created_at);
