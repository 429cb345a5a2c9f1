-- Webhooks fed by a transactional outbox (docs/webhooks.md).

-- The endpoints a tenant registered. The secrets sign messages, so they are kept as they
-- are (the API shows each once); `previous_secret` signs beside the current one until
-- `previous_secret_until` (a rotation's rollover).
CREATE TABLE webhook_endpoints (
    id                     uuid PRIMARY KEY,
    seq                    bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    url                    text NOT NULL,
    description            text,
    event_types            text[] NOT NULL,
    enabled                boolean NOT NULL DEFAULT true,
    disabled_reason        text,
    disabled_at            timestamptz,
    secret                 text NOT NULL,
    previous_secret        text,
    previous_secret_until  timestamptz,
    failing_since          timestamptz,
    consecutive_failures   integer NOT NULL DEFAULT 0,
    created_at             timestamptz NOT NULL,
    updated_at             timestamptz NOT NULL
);

-- The outbox: one row per event, written in the transaction of the change it tells of.
-- One member's events get ids in the order their transactions committed (the writer holds
-- a lock on the member from its insert to its commit), which is the order deliveries keep.
CREATE TABLE webhook_events (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    msg_id       uuid NOT NULL UNIQUE,
    type         text NOT NULL,
    member_id    uuid,
    occurred_at  timestamptz NOT NULL,
    data         jsonb NOT NULL
);
CREATE INDEX webhook_events_occurred ON webhook_events (occurred_at);

-- One event to one endpoint, made with the event for every enabled endpoint subscribed to
-- its type. `member_id` orders it (NULL: a test or a redelivery, outside any order);
-- `next_attempt_at` is also the lease of a worker's claim.
CREATE TABLE webhook_deliveries (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id         bigint NOT NULL REFERENCES webhook_events (id),
    endpoint_id      uuid NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    member_id        uuid,
    status           text NOT NULL DEFAULT 'PENDING'
                     CHECK (status IN ('PENDING', 'DELIVERED', 'FAILED')),
    attempts         integer NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz,
    last_attempt_at  timestamptz,
    response_status  integer,
    last_error       text,
    created_at       timestamptz NOT NULL,
    finished_at      timestamptz
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at)
    WHERE status = 'PENDING';
CREATE INDEX webhook_deliveries_queue ON webhook_deliveries (endpoint_id, member_id, event_id)
    WHERE status = 'PENDING';
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (endpoint_id, id);
CREATE INDEX webhook_deliveries_event ON webhook_deliveries (event_id);

-- points.expiring: which (member, wallet, day of expiry) was announced already, so each is
-- announced once however often the worker looks.
CREATE TABLE points_expiring_notices (
    member_id   uuid NOT NULL,
    wallet      text NOT NULL,
    expires_on  date NOT NULL,
    noticed_at  timestamptz NOT NULL,
    PRIMARY KEY (member_id, wallet, expires_on)
);
