-- Earning: versioned program configuration, orders, actions, pending lots and debt.

CREATE TABLE program_config (
    version     integer PRIMARY KEY,
    config      jsonb NOT NULL,
    created_at  timestamptz NOT NULL,
    created_by  text
);

-- Pending lots become available when their return window ends; `pending` says which
-- balance column a lot's remaining points are counted in.
ALTER TABLE lots ADD COLUMN pending boolean NOT NULL DEFAULT false;
ALTER TABLE lots ADD COLUMN order_id text;
CREATE INDEX lots_maturing ON lots (available_at) WHERE pending AND remaining > 0;
CREATE INDEX lots_expiring ON lots (expires_at) WHERE remaining > 0 AND expires_at IS NOT NULL;
CREATE INDEX lots_order ON lots (order_id) WHERE order_id IS NOT NULL;

-- Points owed after a refund of points already spent, under the 'allow negative' policy.
-- The member sees available - debt; later earnings pay it off first.
ALTER TABLE balances ADD COLUMN debt bigint NOT NULL DEFAULT 0 CHECK (debt >= 0);
ALTER TABLE balances ADD COLUMN last_activity_at timestamptz;
CREATE INDEX balances_inactive ON balances (last_activity_at) WHERE available > 0;

ALTER TABLE ledger_entries ADD COLUMN debt_delta bigint NOT NULL DEFAULT 0;
-- Points a refund should have taken back but could not (the clawback policy's record).
ALTER TABLE ledger_entries ADD COLUMN shortfall bigint NOT NULL DEFAULT 0;
ALTER TABLE ledger_entries ADD COLUMN order_id text;
ALTER TABLE ledger_entries ADD COLUMN rate text;

CREATE TABLE orders (
    order_id         text PRIMARY KEY,
    member_id        uuid REFERENCES members (id),
    currency         char(3) NOT NULL,
    channel          text NOT NULL,
    placed_at        timestamptz NOT NULL,
    -- What the points were computed on, in minor units: lines after discounts.
    paid_minor       bigint NOT NULL CHECK (paid_minor >= 0),
    refunded_minor   bigint NOT NULL DEFAULT 0 CHECK (refunded_minor >= 0),
    body             jsonb NOT NULL,
    fingerprint      text NOT NULL,
    config_version   integer NOT NULL,
    earned_points    bigint NOT NULL DEFAULT 0,
    reversed_points  bigint NOT NULL DEFAULT 0,
    breakdown        jsonb NOT NULL DEFAULT '[]',
    created_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL,
    CHECK (refunded_minor <= paid_minor)
);
CREATE INDEX orders_member ON orders (member_id, placed_at) WHERE member_id IS NOT NULL;

CREATE TABLE refunds (
    refund_id    text PRIMARY KEY,
    order_id     text NOT NULL REFERENCES orders (order_id),
    amount_minor bigint NOT NULL CHECK (amount_minor > 0),
    points       bigint NOT NULL,
    created_at   timestamptz NOT NULL
);

CREATE TABLE action_events (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    member_id    uuid NOT NULL REFERENCES members (id),
    action       text NOT NULL,
    occurred_at  timestamptz NOT NULL,
    entry_id     bigint REFERENCES ledger_entries (id)
);
CREATE INDEX action_events_member ON action_events (member_id, action, occurred_at DESC);
