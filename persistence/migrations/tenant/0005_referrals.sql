-- Referrals: who brought whom, what each was given for it, and the program's settings.

-- The referral program's settings, versioned like program_config: every change is a row.
CREATE TABLE referral_settings (
    version     integer PRIMARY KEY,
    config      jsonb NOT NULL,
    created_at  timestamptz NOT NULL,
    created_by  text
);

-- The form of an email address two sign-ups by one person share: lowercase, without a
-- +tag, and without dots for Gmail. Must match domain.referrals.comparable_email.
CREATE FUNCTION comparable_email(email text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE RETURNS NULL ON NULL INPUT AS $$
    SELECT CASE WHEN d IN ('gmail.com', 'googlemail.com')
                THEN replace(l, '.', '') || '@gmail.com'
                ELSE l || '@' || d END
    FROM (SELECT split_part(regexp_replace(lower(email), '@[^@]*$', ''), '+', 1) AS l,
                 substring(lower(email) FROM '@([^@]*)$') AS d) parts
$$;
-- "The referee must be new" looks members up by this form at every referred sign-up.
CREATE INDEX members_comparable_email ON members (comparable_email(email));

CREATE TABLE referrals (
    id                      uuid PRIMARY KEY,
    seq                     bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    referrer_id             uuid NOT NULL REFERENCES members (id),
    -- One referral per referee, ever: the first code a shopper signs up with is the one.
    referee_id              uuid NOT NULL UNIQUE REFERENCES members (id),
    code                    text NOT NULL,
    status                  text NOT NULL
        CHECK (status IN ('PENDING', 'REWARDED', 'REJECTED', 'REVERSED')),
    reject_reason           text CHECK (reject_reason IN (
        'SELF_REFERRAL', 'NOT_NEW', 'CAP_REACHED', 'REFERRER_INACTIVE')),
    qualifying_order_id     text,
    referrer_points         integer NOT NULL DEFAULT 0,
    referee_points          integer NOT NULL DEFAULT 0,
    -- Unique: a ledger entry or a redemption pays for one side of one referral only.
    referrer_entry_id       bigint UNIQUE REFERENCES ledger_entries (id),
    referee_entry_id        bigint UNIQUE REFERENCES ledger_entries (id),
    referrer_redemption_id  uuid UNIQUE REFERENCES redemptions (id),
    referee_redemption_id   uuid UNIQUE REFERENCES redemptions (id),
    created_at              timestamptz NOT NULL,
    rewarded_at             timestamptz,
    reversed_at             timestamptz,
    CHECK (referrer_id <> referee_id),
    CHECK ((status = 'REJECTED') = (reject_reason IS NOT NULL)),
    CHECK ((status IN ('REWARDED', 'REVERSED')) = (rewarded_at IS NOT NULL))
);
CREATE INDEX referrals_referrer ON referrals (referrer_id, seq DESC);
CREATE INDEX referrals_rewarded ON referrals (referrer_id, rewarded_at) WHERE status = 'REWARDED';
CREATE INDEX referrals_order ON referrals (qualifying_order_id) WHERE qualifying_order_id IS NOT NULL;
