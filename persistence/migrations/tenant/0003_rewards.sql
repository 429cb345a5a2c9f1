-- The rewards catalog, code pools and redemptions.
CREATE TABLE rewards (
    id                    uuid PRIMARY KEY,
    seq                   bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    name                  text NOT NULL,
    description           text NOT NULL DEFAULT '',
    image_url             text,
    kind                  text NOT NULL CHECK (kind IN ('FIXED_AMOUNT', 'PERCENTAGE', 'FREE_SHIPPING',
                                                        'FREE_PRODUCT', 'STORE_CREDIT', 'CUSTOM')),
    value_minor           bigint,
    percentage            numeric(5, 2),
    max_discount_minor    bigint,
    sku                   text,
    -- Fixed cost, or 'points for money': any multiple of step between min and max points,
    -- each step worth value_per_step_minor.
    points_cost           integer,
    min_points            integer,
    max_points            integer,
    step_points           integer,
    value_per_step_minor  bigint,
    min_order_minor       bigint NOT NULL DEFAULT 0,
    valid_days            integer,
    starts_at             timestamptz,
    ends_at               timestamptz,
    stock                 integer CHECK (stock IS NULL OR stock >= 0),
    issued                integer NOT NULL DEFAULT 0,
    per_member_limit      integer,
    per_member_period     text,
    eligible_tiers        text[] NOT NULL DEFAULT '{}',
    eligible_segments     text[] NOT NULL DEFAULT '{}',
    code_source           text NOT NULL DEFAULT 'GENERATED' CHECK (code_source IN ('GENERATED', 'POOL')),
    code_prefix           text NOT NULL DEFAULT '',
    code_length           integer NOT NULL DEFAULT 10,
    refund_on_expiry      boolean NOT NULL DEFAULT true,
    archived              boolean NOT NULL DEFAULT false,
    created_at            timestamptz NOT NULL,
    updated_at            timestamptz NOT NULL,
    CHECK (stock IS NULL OR issued <= stock),
    CHECK (issued >= 0)
);

CREATE TABLE reward_codes (
    reward_id      uuid NOT NULL REFERENCES rewards (id),
    code           text NOT NULL,
    redemption_id  uuid,
    PRIMARY KEY (reward_id, code)
);
CREATE INDEX reward_codes_free ON reward_codes (reward_id) WHERE redemption_id IS NULL;

CREATE TABLE redemptions (
    id               uuid PRIMARY KEY,
    seq              bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    reward_id        uuid NOT NULL REFERENCES rewards (id),
    member_id        uuid NOT NULL REFERENCES members (id),
    code             text NOT NULL UNIQUE,
    status           text NOT NULL CHECK (status IN ('ISSUED', 'USED', 'CANCELLED', 'EXPIRED')),
    points           integer NOT NULL CHECK (points > 0),
    value_minor      bigint,
    spend_entry_id   bigint NOT NULL REFERENCES ledger_entries (id),
    return_entry_id  bigint REFERENCES ledger_entries (id),
    order_id         text,
    created_at       timestamptz NOT NULL,
    expires_at       timestamptz,
    used_at          timestamptz,
    closed_at        timestamptz
);
CREATE INDEX redemptions_member ON redemptions (member_id, reward_id, created_at);
CREATE INDEX redemptions_expiring ON redemptions (expires_at) WHERE status = 'ISSUED';
