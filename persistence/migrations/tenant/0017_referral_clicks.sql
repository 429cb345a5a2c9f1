-- Visits of members' referral links (/r/<tenant>/<code>): one counter per member, raised
-- in one statement per visit, so concurrent visits never lose a count.
CREATE TABLE referral_clicks (
    member_id        uuid PRIMARY KEY REFERENCES members (id),
    clicks           bigint NOT NULL CHECK (clicks >= 0),
    last_clicked_at  timestamptz NOT NULL
);
