-- Distinct members counted without grouping by member. Each member's day row in
-- customer_days that holds points activity also names the member's previous day of the same
-- activity: the members active within [s, e) are then the rows of [s, e) whose previous
-- active day is before s (one per member: their first active day in the period), a count
-- over the period's rows instead of grouping hundreds of thousands of rows by member.
-- prev_active: the previous day with an earn or a redeem; prev_earn, prev_redeem: with an
-- earn, with a redeem. NULL on rows without that activity, and on a member's first such day.
ALTER TABLE customer_days
    ADD COLUMN prev_active date,
    ADD COLUMN prev_earn date,
    ADD COLUMN prev_redeem date;

-- A member's rows by day: the previous and next activity days of a new one.
CREATE INDEX customer_days_member ON customer_days (customer, day) WHERE kind = 'M';

-- Every writer of a member's customer_days rows takes this lock first, so the links of two
-- transactions adding days of one member (a late fact, midnight) never cross: the second
-- waits, then reads the first's committed day (a new snapshot per statement). Taken before
-- any row of the member is touched, it adds no lock cycle.
CREATE FUNCTION analytics_lock_member(member uuid) RETURNS void LANGUAGE sql AS $$
    SELECT pg_advisory_xact_lock(8232, hashtext(member::text))
$$;

-- Day `d` just became a day of member `m` with the activity `flag` ('A' earn or redeem,
-- 'E' earn, 'R' redeem): it links to the previous such day, and the next such day (a day
-- written before this one, later in time) now links to it.
CREATE FUNCTION analytics_link(m uuid, d date, flag text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    prev date;
BEGIN
    SELECT day INTO prev FROM customer_days
     WHERE kind = 'M' AND customer = m AND day < d
       AND CASE flag WHEN 'E' THEN earns > 0 WHEN 'R' THEN redeems > 0
                     ELSE earns > 0 OR redeems > 0 END
     ORDER BY day DESC LIMIT 1;
    UPDATE customer_days SET
        prev_active = CASE WHEN flag = 'A' THEN prev ELSE prev_active END,
        prev_earn = CASE WHEN flag = 'E' THEN prev ELSE prev_earn END,
        prev_redeem = CASE WHEN flag = 'R' THEN prev ELSE prev_redeem END
     WHERE kind = 'M' AND customer = m AND day = d;
    UPDATE customer_days SET
        prev_active = CASE WHEN flag = 'A' THEN d ELSE prev_active END,
        prev_earn = CASE WHEN flag = 'E' THEN d ELSE prev_earn END,
        prev_redeem = CASE WHEN flag = 'R' THEN d ELSE prev_redeem END
     WHERE kind = 'M' AND customer = m
       AND day = (SELECT day FROM customer_days
                   WHERE kind = 'M' AND customer = m AND day > d
                     AND CASE flag WHEN 'E' THEN earns > 0 WHEN 'R' THEN redeems > 0
                                   ELSE earns > 0 OR redeems > 0 END
                   ORDER BY day LIMIT 1);
END;
$$;

-- As in 0010, plus the lock and, when the entry makes its day a new activity day of the
-- member, the links. Earns and redeems only ever grow (the ledger is append-only), so a day
-- never stops being an activity day and links are only ever added.
CREATE OR REPLACE FUNCTION analytics_on_entry() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    net bigint := NEW.available_delta + NEW.pending_delta - NEW.debt_delta;
    d date := (NEW.created_at AT TIME ZONE 'UTC')::date;
    e integer;
    r integer;
BEGIN
    IF net = 0 THEN
        RETURN NULL;  -- a maturation moves points between columns, not in or out
    END IF;
    IF NEW.kind IN ('EARN', 'REDEEM') THEN
        PERFORM analytics_lock_member(NEW.member_id);
    END IF;
    WITH day_row AS (
        INSERT INTO analytics_days AS a (day, shard, points_earned, points_redeemed, points_net)
        VALUES (d, analytics_shard(),
                CASE WHEN NEW.kind = 'EARN' THEN net ELSE 0 END,
                CASE WHEN NEW.kind = 'REDEEM' THEN -net
                     WHEN NEW.kind = 'REVERSE' AND net > 0 THEN -net ELSE 0 END,
                net)
        ON CONFLICT (day, shard) DO UPDATE SET
            points_earned = a.points_earned + EXCLUDED.points_earned,
            points_redeemed = a.points_redeemed + EXCLUDED.points_redeemed,
            points_net = a.points_net + EXCLUDED.points_net)
    INSERT INTO customer_days AS c (day, kind, customer, earns, redeems)
    SELECT d, 'M', NEW.member_id, (NEW.kind = 'EARN')::integer, (NEW.kind = 'REDEEM')::integer
     WHERE NEW.kind IN ('EARN', 'REDEEM')
    ON CONFLICT (day, kind, customer) DO UPDATE SET
        earns = c.earns + EXCLUDED.earns, redeems = c.redeems + EXCLUDED.redeems
    RETURNING c.earns, c.redeems INTO e, r;
    IF e + r = 1 THEN
        PERFORM analytics_link(NEW.member_id, d, 'A');
    END IF;
    IF (NEW.kind = 'EARN' AND e = 1) OR (NEW.kind = 'REDEEM' AND r = 1) THEN
        PERFORM analytics_link(NEW.member_id, d, CASE WHEN NEW.kind = 'EARN' THEN 'E' ELSE 'R' END);
    END IF;
    RETURN NULL;
END;
$$;

-- As in 0010, plus the lock on the members whose rows the order touches.
CREATE OR REPLACE FUNCTION analytics_on_order() RETURNS trigger LANGUAGE plpgsql AS $$
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
        -- An order moved between two members locks both, the lesser id first.
        IF least(OLD.member_id, NEW.member_id) IS NOT NULL THEN
            PERFORM analytics_lock_member(least(OLD.member_id, NEW.member_id));
            PERFORM analytics_lock_member(greatest(OLD.member_id, NEW.member_id));
        END IF;
        PERFORM analytics_add_order(OLD, -1);
    ELSIF NEW.member_id IS NOT NULL THEN
        PERFORM analytics_lock_member(NEW.member_id);
    END IF;
    PERFORM analytics_add_order(NEW, 1);
    RETURN NULL;
END;
$$;

-- As in 0010, and the links computed over each member's rows in the same pass.
CREATE OR REPLACE FUNCTION analytics_rebuild() RETURNS void LANGUAGE sql AS $$
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
                               multi_product_orders, earns, redeems, prev_active, prev_earn,
                               prev_redeem)
    SELECT day, kind, customer, o, rv, mp, e, r,
           CASE WHEN e > 0 OR r > 0 THEN max(day) FILTER (WHERE e > 0 OR r > 0) OVER w END,
           CASE WHEN e > 0 THEN max(day) FILTER (WHERE e > 0) OVER w END,
           CASE WHEN r > 0 THEN max(day) FILTER (WHERE r > 0) OVER w END
      FROM (SELECT day, kind, customer, sum(o) AS o, sum(rv) AS rv, sum(mp) AS mp,
                   sum(e) AS e, sum(r) AS r
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
             GROUP BY day, kind, customer) per_day
    WINDOW w AS (PARTITION BY kind, customer ORDER BY day
                 ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING);
$$;
SELECT analytics_rebuild();
