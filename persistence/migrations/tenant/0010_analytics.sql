-- Analytics: guest identities on orders, and the rollups the program's KPIs are read from.
-- The rollups are kept by triggers in the transaction that writes each fact (an order, its
-- refunds, a ledger entry, an enrolment), so they are exactly as current as the facts and no
-- write path can forget them; an analytics query reads rollup rows, never the facts.

-- The store's own reference for a shopper who ordered without joining: guests are then
-- counted per customer. Orders without it count as orders and revenue, not as customers.
ALTER TABLE orders ADD COLUMN guest_id text CHECK (length(guest_id) BETWEEN 1 AND 255);

-- Per UTC day, summed over shards: every writer of a tenant touches today's row, so one row
-- per day would serialise all of them until commit; a writer picks its shard by backend.
CREATE TABLE analytics_days (
    day                   date NOT NULL,
    shard                 smallint NOT NULL,
    new_members           bigint NOT NULL DEFAULT 0,
    member_orders         bigint NOT NULL DEFAULT 0,
    guest_orders          bigint NOT NULL DEFAULT 0,
    member_revenue_minor  bigint NOT NULL DEFAULT 0,
    guest_revenue_minor   bigint NOT NULL DEFAULT 0,
    points_earned         bigint NOT NULL DEFAULT 0,
    points_redeemed       bigint NOT NULL DEFAULT 0,
    -- Every change of outstanding points (available + pending - debt): the liability at a
    -- date is the sum of the days before it.
    points_net            bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (day, shard)
);

-- Per customer and UTC day: kind 'M' (customer is the member id) or 'G' (the MD5 of the
-- guest id, as a uuid: a fixed 16-byte key hashes several times faster than text when a
-- period's rows are grouped by customer; 128 bits make two guest ids sharing one a
-- non-event).
CREATE TABLE customer_days (
    day                   date NOT NULL,
    kind                  char(1) NOT NULL CHECK (kind IN ('M', 'G')),
    customer              uuid NOT NULL,
    orders                integer NOT NULL DEFAULT 0,
    revenue_minor         bigint NOT NULL DEFAULT 0,
    multi_product_orders  integer NOT NULL DEFAULT 0,
    earns                 integer NOT NULL DEFAULT 0,
    redeems               integer NOT NULL DEFAULT 0,
    PRIMARY KEY (day, kind, customer)
);

CREATE FUNCTION analytics_shard() RETURNS smallint LANGUAGE sql STABLE AS $$
    SELECT (pg_backend_pid() % 16)::smallint
$$;

-- One statement per fact: the day's row and the customer's, in one round of the executor.
-- PL/pgSQL, not SQL: it keeps the statement's plan for the session, where a SQL function
-- would plan its body again at every order.
CREATE FUNCTION analytics_add_order(o orders, sign integer) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    WITH facts AS (
        SELECT (o.placed_at AT TIME ZONE 'UTC')::date AS day, o.member_id IS NOT NULL AS member,
               sign * (o.paid_minor - o.refunded_minor) AS revenue),
    day_row AS (
        INSERT INTO analytics_days AS a (day, shard, member_orders, guest_orders,
                                         member_revenue_minor, guest_revenue_minor)
        SELECT day, analytics_shard(), CASE WHEN member THEN sign ELSE 0 END,
               CASE WHEN member THEN 0 ELSE sign END,
               CASE WHEN member THEN revenue ELSE 0 END, CASE WHEN member THEN 0 ELSE revenue END
          FROM facts
        ON CONFLICT (day, shard) DO UPDATE SET
            member_orders = a.member_orders + EXCLUDED.member_orders,
            guest_orders = a.guest_orders + EXCLUDED.guest_orders,
            member_revenue_minor = a.member_revenue_minor + EXCLUDED.member_revenue_minor,
            guest_revenue_minor = a.guest_revenue_minor + EXCLUDED.guest_revenue_minor)
    -- An anonymous guest (no member, no guestId) is an order and revenue, not a customer.
    INSERT INTO customer_days AS c (day, kind, customer, orders, revenue_minor,
                                    multi_product_orders)
    SELECT day, CASE WHEN member THEN 'M' ELSE 'G' END,
           coalesce(o.member_id, md5(o.guest_id)::uuid), sign, revenue,
           (SELECT CASE WHEN count(DISTINCT line ->> 'sku') > 1 THEN sign ELSE 0 END
              FROM jsonb_array_elements(o.body -> 'lines') AS line)
      FROM facts
     WHERE member OR o.guest_id IS NOT NULL
    ON CONFLICT (day, kind, customer) DO UPDATE SET
        orders = c.orders + EXCLUDED.orders,
        revenue_minor = c.revenue_minor + EXCLUDED.revenue_minor,
        multi_product_orders = c.multi_product_orders + EXCLUDED.multi_product_orders;
END;
$$;

CREATE FUNCTION analytics_on_order() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        IF OLD.member_id IS NOT DISTINCT FROM NEW.member_id
           AND OLD.guest_id IS NOT DISTINCT FROM NEW.guest_id
           AND OLD.placed_at = NEW.placed_at
           AND OLD.paid_minor = NEW.paid_minor
           AND OLD.refunded_minor = NEW.refunded_minor
           AND OLD.body -> 'lines' = NEW.body -> 'lines' THEN
            RETURN NULL;  -- nothing the numbers depend on changed
        END IF;
        PERFORM analytics_add_order(OLD, -1);
    END IF;
    PERFORM analytics_add_order(NEW, 1);
    RETURN NULL;
END;
$$;
CREATE TRIGGER orders_analytics AFTER INSERT OR UPDATE ON orders
    FOR EACH ROW EXECUTE FUNCTION analytics_on_order();

-- Points earned are EARN entries; points redeemed are REDEEM entries less the points
-- cancelled or expired codes gave back (REVERSE entries that add points). Default wallet only.
CREATE FUNCTION analytics_on_entry() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    net bigint := NEW.available_delta + NEW.pending_delta - NEW.debt_delta;
BEGIN
    IF net = 0 THEN
        RETURN NULL;  -- a maturation moves points between columns, not in or out
    END IF;
    WITH day_row AS (
        INSERT INTO analytics_days AS a (day, shard, points_earned, points_redeemed, points_net)
        VALUES ((NEW.created_at AT TIME ZONE 'UTC')::date, analytics_shard(),
                CASE WHEN NEW.kind = 'EARN' THEN net ELSE 0 END,
                CASE WHEN NEW.kind = 'REDEEM' THEN -net
                     WHEN NEW.kind = 'REVERSE' AND net > 0 THEN -net ELSE 0 END,
                net)
        ON CONFLICT (day, shard) DO UPDATE SET
            points_earned = a.points_earned + EXCLUDED.points_earned,
            points_redeemed = a.points_redeemed + EXCLUDED.points_redeemed,
            points_net = a.points_net + EXCLUDED.points_net)
    INSERT INTO customer_days AS c (day, kind, customer, earns, redeems)
    SELECT (NEW.created_at AT TIME ZONE 'UTC')::date, 'M', NEW.member_id,
           (NEW.kind = 'EARN')::integer, (NEW.kind = 'REDEEM')::integer
     WHERE NEW.kind IN ('EARN', 'REDEEM')
    ON CONFLICT (day, kind, customer) DO UPDATE SET
        earns = c.earns + EXCLUDED.earns, redeems = c.redeems + EXCLUDED.redeems;
    RETURN NULL;
END;
$$;
-- Only the default wallet counts; other wallets (stamps) never call the function.
CREATE TRIGGER ledger_entries_analytics AFTER INSERT ON ledger_entries
    FOR EACH ROW WHEN (NEW.wallet = 'points') EXECUTE FUNCTION analytics_on_entry();

CREATE FUNCTION analytics_on_member() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO analytics_days AS a (day, shard, new_members)
    VALUES ((NEW.enrolled_at AT TIME ZONE 'UTC')::date, analytics_shard(), 1)
    ON CONFLICT (day, shard) DO UPDATE SET new_members = a.new_members + 1;
    RETURN NULL;
END;
$$;
CREATE TRIGGER members_analytics AFTER INSERT ON members
    FOR EACH ROW EXECUTE FUNCTION analytics_on_member();

-- Rebuilds the rollups from the facts, set-wise: for this migration on a tenant that already
-- has data, and for bulk loads that write facts with triggers off.
-- The lock waits for writers whose triggers already touched the rollups (their facts are
-- then committed and counted here) and holds new ones back until the rebuild commits (their
-- facts, unseen here, are then added by their own triggers).
CREATE FUNCTION analytics_rebuild() RETURNS void LANGUAGE sql AS $$
    LOCK TABLE analytics_days, customer_days IN SHARE ROW EXCLUSIVE MODE;
    DELETE FROM analytics_days;
    DELETE FROM customer_days;
    INSERT INTO analytics_days (day, shard, new_members, member_orders, guest_orders,
                                member_revenue_minor, guest_revenue_minor, points_earned,
                                points_redeemed, points_net)
    SELECT day, 0, sum(m), sum(mo), sum(go), sum(mr), sum(gr), sum(e), sum(r), sum(n)
      FROM (SELECT (enrolled_at AT TIME ZONE 'UTC')::date AS day, 1 AS m, 0 AS mo, 0 AS go,
                   0 AS mr, 0 AS gr, 0 AS e, 0 AS r, 0 AS n
              FROM members
            UNION ALL
            SELECT (placed_at AT TIME ZONE 'UTC')::date, 0,
                   (member_id IS NOT NULL)::int, (member_id IS NULL)::int,
                   CASE WHEN member_id IS NOT NULL THEN paid_minor - refunded_minor ELSE 0 END,
                   CASE WHEN member_id IS NULL THEN paid_minor - refunded_minor ELSE 0 END,
                   0, 0, 0
              FROM orders
            UNION ALL
            SELECT (created_at AT TIME ZONE 'UTC')::date, 0, 0, 0, 0, 0,
                   CASE WHEN kind = 'EARN' THEN net ELSE 0 END,
                   CASE WHEN kind = 'REDEEM' THEN -net
                        WHEN kind = 'REVERSE' AND net > 0 THEN -net ELSE 0 END,
                   net
              FROM (SELECT created_at, kind,
                           available_delta + pending_delta - debt_delta AS net
                      FROM ledger_entries WHERE wallet = 'points') e) facts
     GROUP BY day;
    INSERT INTO customer_days (day, kind, customer, orders, revenue_minor,
                               multi_product_orders, earns, redeems)
    SELECT day, kind, customer, sum(o), sum(rv), sum(mp), sum(e), sum(r)
      FROM (SELECT (placed_at AT TIME ZONE 'UTC')::date AS day,
                   CASE WHEN member_id IS NOT NULL THEN 'M' ELSE 'G' END AS kind,
                   coalesce(member_id, md5(guest_id)::uuid) AS customer, 1 AS o,
                   paid_minor - refunded_minor AS rv,
                   (SELECT (count(DISTINCT line ->> 'sku') > 1)::int
                      FROM jsonb_array_elements(body -> 'lines') AS line) AS mp,
                   0 AS e, 0 AS r
              FROM orders WHERE member_id IS NOT NULL OR guest_id IS NOT NULL
            UNION ALL
            SELECT (created_at AT TIME ZONE 'UTC')::date, 'M', member_id, 0, 0, 0,
                   (kind = 'EARN')::int, (kind = 'REDEEM')::int
              FROM ledger_entries
             WHERE wallet = 'points' AND kind IN ('EARN', 'REDEEM')
               AND available_delta + pending_delta - debt_delta <> 0) facts
     GROUP BY day, kind, customer;
$$;
SELECT analytics_rebuild();

-- What the program costs beyond the points it gives (CLV and ROI inputs), set by the tenant.
CREATE TABLE analytics_settings (
    singleton            boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    gross_margin         numeric(5, 4) CHECK (gross_margin BETWEEN 0 AND 1),
    monthly_cost_minor   bigint NOT NULL DEFAULT 0 CHECK (monthly_cost_minor >= 0),
    updated_at           timestamptz NOT NULL DEFAULT now()
);
INSERT INTO analytics_settings (singleton) VALUES (true);

-- Referrals sent and converted in a period.
CREATE INDEX referrals_created ON referrals (created_at);
CREATE INDEX member_tiers_tier ON member_tiers (tier_id);
