-- VIP tiers.
CREATE TABLE tiers (
    id          uuid PRIMARY KEY,
    name        text NOT NULL,
    threshold   bigint NOT NULL CHECK (threshold >= 0),
    multiplier  numeric(6, 3) NOT NULL DEFAULT 1 CHECK (multiplier >= 0),
    perks       text[] NOT NULL DEFAULT '{}',
    archived    boolean NOT NULL DEFAULT false,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL
);
CREATE UNIQUE INDEX tiers_threshold ON tiers (threshold) WHERE NOT archived;

-- Bumped whenever tier definitions change; members evaluated at an older version are
-- re-evaluated by the worker, in batches.
CREATE TABLE tier_definitions (
    singleton  boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    version    integer NOT NULL
);
INSERT INTO tier_definitions VALUES (true, 0);

CREATE TABLE member_tiers (
    member_id          uuid PRIMARY KEY REFERENCES members (id),
    tier_id            uuid REFERENCES tiers (id),
    since              timestamptz NOT NULL,
    -- The current tier is kept at least until then (end of the period plus grace).
    retain_until       timestamptz,
    evaluated_version  integer NOT NULL DEFAULT 0,
    evaluated_at       timestamptz NOT NULL
);
CREATE INDEX member_tiers_retain ON member_tiers (retain_until);
CREATE INDEX member_tiers_version ON member_tiers (evaluated_version);

CREATE TABLE tier_history (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    member_id   uuid NOT NULL REFERENCES members (id),
    from_tier   uuid REFERENCES tiers (id),
    to_tier     uuid REFERENCES tiers (id),
    reason      text NOT NULL,
    at          timestamptz NOT NULL
);
CREATE INDEX tier_history_member ON tier_history (member_id, id DESC);
