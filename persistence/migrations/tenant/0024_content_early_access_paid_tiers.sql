-- Free resources as rewards, early access to rewards by tier, and paid memberships.

-- A reward whose fulfilment is content: a link, a download or a webinar seat, shown on its
-- redemptions to their member (and to staff), never in the public catalog.
ALTER TABLE rewards DROP CONSTRAINT rewards_kind_check;
ALTER TABLE rewards ADD CONSTRAINT rewards_kind_check
    CHECK (kind IN ('FIXED_AMOUNT', 'PERCENTAGE', 'FREE_SHIPPING', 'FREE_PRODUCT',
                    'STORE_CREDIT', 'CUSTOM', 'CONTENT'));
-- One subcommand per ALTER TABLE: Citus refuses a constraint added beside other
-- subcommands in a distributed schema (scripts/citus_check.py).
ALTER TABLE rewards ADD COLUMN content_kind text;
ALTER TABLE rewards ADD COLUMN content_url text;
ALTER TABLE rewards ADD COLUMN content_note text;
ALTER TABLE rewards ADD CONSTRAINT rewards_content_kind_check
    CHECK (content_kind IN ('URL', 'DOWNLOAD', 'WEBINAR'));
ALTER TABLE rewards ADD CONSTRAINT rewards_content
    CHECK ((kind = 'CONTENT') = (content_url IS NOT NULL));

-- Early access: until early_access_until, only members holding early_access_tier or a
-- higher tier see and redeem the reward; everyone else from then on.
ALTER TABLE rewards ADD COLUMN early_access_tier text;
ALTER TABLE rewards ADD COLUMN early_access_until timestamptz;
ALTER TABLE rewards ADD CONSTRAINT rewards_early_access
    CHECK ((early_access_tier IS NULL) = (early_access_until IS NULL));

-- Paid memberships: an order line of the program's membership SKU grants a tier until a
-- date; refunding the line revokes the grant. One grant per order and SKU.
CREATE TABLE paid_memberships (
    id          uuid PRIMARY KEY,
    member_id   uuid NOT NULL REFERENCES members (id),
    tier_id     uuid NOT NULL REFERENCES tiers (id),
    order_id    text NOT NULL REFERENCES orders (order_id),
    sku         text NOT NULL,
    starts_at   timestamptz NOT NULL,
    ends_at     timestamptz NOT NULL CHECK (ends_at > starts_at),
    revoked_at  timestamptz,
    UNIQUE (order_id, sku)
);
CREATE INDEX paid_memberships_member ON paid_memberships (member_id, ends_at DESC)
    WHERE revoked_at IS NULL;

-- Whether the member's stored tier is held by a paid membership rather than earned: when
-- the membership ends or is refunded, the member holds what their metric earns then.
ALTER TABLE member_tiers ADD COLUMN paid boolean NOT NULL DEFAULT false;
ALTER TABLE tier_history DROP CONSTRAINT tier_history_reason_check;
ALTER TABLE tier_history ADD CONSTRAINT tier_history_reason_check
    CHECK (reason IN ('QUALIFIED', 'PERIOD_ENDED', 'TIER_REMOVED', 'PURCHASED',
                      'MEMBERSHIP_ENDED'));
