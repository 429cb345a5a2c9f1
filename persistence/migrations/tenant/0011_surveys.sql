-- NPS and CSAT surveys, and the members' answers to them.
CREATE TABLE surveys (
    id            uuid PRIMARY KEY,
    seq           bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    kind          text NOT NULL CHECK (kind IN ('NPS', 'CSAT')),
    question      text NOT NULL,
    -- Follow-up questions by score group, e.g. {"DETRACTOR": "What should we fix?"}.
    follow_ups    jsonb NOT NULL DEFAULT '{}',
    thank_you     text NOT NULL DEFAULT '',
    active        boolean NOT NULL DEFAULT true,
    archived      boolean NOT NULL DEFAULT false,
    points        integer NOT NULL DEFAULT 0 CHECK (points >= 0),
    -- DAY, WEEK, MONTH or YEAR; null: an answer earns once per member.
    points_period text,
    created_at    timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL
);

CREATE TABLE survey_responses (
    id          uuid PRIMARY KEY,
    seq         bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    survey_id   uuid NOT NULL REFERENCES surveys (id),
    member_id   uuid NOT NULL REFERENCES members (id),
    -- The survey's kind, kept with each answer: a period's NPS and CSAT read this table only.
    kind        text NOT NULL CHECK (kind IN ('NPS', 'CSAT')),
    score       smallint NOT NULL CHECK (score BETWEEN 0 AND 10),
    answer      text,
    points      integer NOT NULL DEFAULT 0,
    entry_id    bigint REFERENCES ledger_entries (id),
    created_at  timestamptz NOT NULL
);
-- survey { responses } and member { surveyResponses }, newest first.
CREATE INDEX survey_responses_survey_seq ON survey_responses (survey_id, seq DESC);
CREATE INDEX survey_responses_member_seq ON survey_responses (member_id, seq DESC);
-- A period's NPS or CSAT from the index alone.
CREATE INDEX survey_responses_kind_at ON survey_responses (kind, created_at) INCLUDE (score);
CREATE INDEX survey_responses_survey_at ON survey_responses (survey_id, created_at) INCLUDE (score);
