-- One tenant's members and points ledger. Runs with search_path set to the tenant schema.
CREATE TABLE members (
    id             uuid PRIMARY KEY,
    -- Keyset pagination walks this: monotonic, compact, never reused.
    seq            bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    external_id    text UNIQUE,
    email          text UNIQUE,
    name           text,
    birthday       date,
    status         text NOT NULL DEFAULT 'ACTIVE' CHECK (status IN ('ACTIVE', 'SUSPENDED', 'ERASED')),
    referral_code  text NOT NULL UNIQUE,
    enrolled_at    timestamptz NOT NULL,
    updated_at     timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE balances (
    member_id   uuid NOT NULL REFERENCES members (id),
    wallet      text NOT NULL DEFAULT 'points',
    available   bigint NOT NULL DEFAULT 0 CHECK (available >= 0),
    pending     bigint NOT NULL DEFAULT 0 CHECK (pending >= 0),
    lifetime    bigint NOT NULL DEFAULT 0,
    version     bigint NOT NULL DEFAULT 0,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (member_id, wallet)
);

CREATE TABLE ledger_entries (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    member_id        uuid NOT NULL REFERENCES members (id),
    wallet           text NOT NULL DEFAULT 'points',
    kind             text NOT NULL CHECK (kind IN ('EARN', 'REDEEM', 'EXPIRE', 'REVERSE', 'ADJUST', 'MATURE')),
    available_delta  bigint NOT NULL,
    pending_delta    bigint NOT NULL,
    lifetime_delta   bigint NOT NULL,
    reason           text,
    note             text,
    idempotency_key  text,
    actor            text,
    config_version   integer,
    created_at       timestamptz NOT NULL
);
CREATE INDEX ledger_entries_member ON ledger_entries (member_id, wallet, id DESC);

-- The ledger is append-only: corrections are new entries, never edits.
CREATE FUNCTION refuse_ledger_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'ledger_entries is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER ledger_entries_append_only
    BEFORE UPDATE OR DELETE ON ledger_entries
    FOR EACH ROW EXECUTE FUNCTION refuse_ledger_change();
CREATE TRIGGER ledger_entries_no_truncate
    BEFORE TRUNCATE ON ledger_entries
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_ledger_change();

CREATE TABLE lots (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    member_id     uuid NOT NULL REFERENCES members (id),
    wallet        text NOT NULL DEFAULT 'points',
    entry_id      bigint NOT NULL REFERENCES ledger_entries (id),
    points        bigint NOT NULL CHECK (points > 0),
    remaining     bigint NOT NULL CHECK (remaining >= 0 AND remaining <= points),
    available_at  timestamptz NOT NULL,
    expires_at    timestamptz
);
CREATE INDEX lots_open ON lots (member_id, wallet, expires_at) WHERE remaining > 0;

-- Which lots paid for a spending entry: what refunds and cancellations give back.
CREATE TABLE lot_draws (
    entry_id  bigint NOT NULL REFERENCES ledger_entries (id),
    lot_id    bigint NOT NULL REFERENCES lots (id),
    points    bigint NOT NULL CHECK (points > 0),
    PRIMARY KEY (entry_id, lot_id)
);

CREATE TABLE idempotency_keys (
    key          text PRIMARY KEY,
    operation    text NOT NULL,
    fingerprint  text NOT NULL,
    result       jsonb,
    created_at   timestamptz NOT NULL
);
