-- Segments: custom segments (and built-ins whose rule a tenant changed), who is in each,
-- and win-back campaigns that grant something to a segment's members once.
CREATE TABLE segments (
    key         text PRIMARY KEY,
    name        text NOT NULL,
    rule        jsonb NOT NULL,
    builtin     boolean NOT NULL DEFAULT false,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL
);

-- Kept current on each member's events and by the worker's passes; `member_seq` lets a
-- segment's members be paged by keyset in enrolment order.
CREATE TABLE segment_members (
    segment_key  text NOT NULL,
    member_id    uuid NOT NULL REFERENCES members (id),
    member_seq   bigint NOT NULL,
    since        timestamptz NOT NULL,
    PRIMARY KEY (segment_key, member_id)
);
CREATE UNIQUE INDEX segment_members_page ON segment_members (segment_key, member_seq);
CREATE INDEX segment_members_member ON segment_members (member_id);

-- The worker's pass over every member, for membership that time alone changes. `cursor`:
-- the last member seq done, so a pass interrupted resumes where it stopped; `due_at`: when
-- the next pass starts (a change of a definition makes it due at once).
CREATE TABLE segment_refresh (
    singleton  boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    cursor     bigint,
    due_at     timestamptz NOT NULL DEFAULT '1970-01-01 00:00:00+00'
);
INSERT INTO segment_refresh (singleton) VALUES (true);

CREATE TABLE winback_campaigns (
    id           uuid PRIMARY KEY,
    seq          bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    key          text NOT NULL UNIQUE,
    segment_key  text NOT NULL,
    points       integer CHECK (points IS NULL OR points > 0),
    reward_id    uuid REFERENCES rewards (id),
    reason       text NOT NULL,
    fingerprint  text NOT NULL,
    status       text NOT NULL CHECK (status IN ('RUNNING', 'DONE')),
    total        integer NOT NULL,
    granted      integer NOT NULL DEFAULT 0,
    skipped      integer NOT NULL DEFAULT 0,
    created_at   timestamptz NOT NULL,
    finished_at  timestamptz,
    CHECK ((points IS NULL) <> (reward_id IS NULL))
);
CREATE INDEX winback_campaigns_running ON winback_campaigns (seq) WHERE status = 'RUNNING';

-- One row per member of the segment when the campaign started: the primary key is what
-- makes each member's grant happen once, whoever processes it.
CREATE TABLE winback_grants (
    campaign_id    uuid NOT NULL REFERENCES winback_campaigns (id),
    member_id      uuid NOT NULL REFERENCES members (id),
    status         text NOT NULL DEFAULT 'PENDING' CHECK (status IN ('PENDING', 'GRANTED', 'SKIPPED')),
    entry_id       bigint REFERENCES ledger_entries (id),
    redemption_id  uuid REFERENCES redemptions (id),
    granted_at     timestamptz,
    PRIMARY KEY (campaign_id, member_id)
);
CREATE INDEX winback_grants_pending ON winback_grants (campaign_id) WHERE status = 'PENDING';
