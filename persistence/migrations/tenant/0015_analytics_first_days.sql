-- Distinct members counted without grouping by member. Each member's day row in
-- customer_days that holds points activity also names the member's previous day of the same
-- activity, and the day rollup counts those links, so the members active within a period
-- come from sums over days instead of grouping hundreds of thousands of rows by member.
-- prev_active: the previous day with an earn or a redeem; prev_earn, prev_redeem: with an
-- earn, with a redeem. NULL on rows without that activity, and on a member's first such day.
ALTER TABLE customer_days
    ADD COLUMN prev_active date,
    ADD COLUMN prev_earn date,
    ADD COLUMN prev_redeem date;

-- Per day, for each activity X (act: earn or redeem; earn; redeem), over members' days of X:
--   x_days   the days of X on this day (one per member)
--   x_first  those that are the member's first day of X
--   x_prev   the days of X whose previous day of X is this day
-- Members with X within [s, e) = sum(x_first) + sum(x_prev - x_days before s) - the days of X
-- from e on whose previous day of X is before s (none when the period ends today): every
-- member's chain of days, cut at s, leaves one link across s (docs/analytics.md).
-- act_week_first, act_month_first: this day's days of activity with no earlier one in the
-- same week (from Monday), month: the series' active members of a whole bucket are a sum.
ALTER TABLE analytics_days
    ADD COLUMN act_days bigint NOT NULL DEFAULT 0,
    ADD COLUMN act_first bigint NOT NULL DEFAULT 0,
    ADD COLUMN act_prev bigint NOT NULL DEFAULT 0,
    ADD COLUMN earn_days bigint NOT NULL DEFAULT 0,
    ADD COLUMN earn_first bigint NOT NULL DEFAULT 0,
    ADD COLUMN earn_prev bigint NOT NULL DEFAULT 0,
    ADD COLUMN redeem_days bigint NOT NULL DEFAULT 0,
    ADD COLUMN redeem_first bigint NOT NULL DEFAULT 0,
    ADD COLUMN redeem_prev bigint NOT NULL DEFAULT 0,
    ADD COLUMN act_week_first bigint NOT NULL DEFAULT 0,
    ADD COLUMN act_month_first bigint NOT NULL DEFAULT 0;

-- A member's rows by day: the previous and next activity days of a new one.
CREATE INDEX customer_days_member ON customer_days (customer, day) WHERE kind = 'M';

-- The customers who ordered in a period are still grouped by customer, over order rows
-- only (a sixth of the rows on a busy program): from this index alone where the table's
-- pages are all visible, which vacuum sees to.
CREATE INDEX customer_days_orders ON customer_days (day)
    INCLUDE (kind, customer, orders, revenue_minor, multi_product_orders) WHERE orders > 0;

-- Every writer of a member's customer_days rows takes this lock first, so the links of two
-- transactions adding days of one member (a late fact, midnight) never cross: the second
-- waits, then reads the first's committed day (a new snapshot per statement). Taken before
-- any row of the member is touched, it adds no lock cycle.
CREATE FUNCTION analytics_lock_member(member uuid) RETURNS void LANGUAGE sql AS $$
    SELECT pg_advisory_xact_lock(8232, hashtext(member::text))
$$;

-- Whether a day of activity whose previous one is `prev` (NULL: none) is the first of its
-- week, of its month.
CREATE FUNCTION analytics_first_in(d date, prev date, width text) RETURNS integer
LANGUAGE sql IMMUTABLE AS $$
    SELECT (prev IS NULL OR prev < date_trunc(width, d::timestamp)::date)::integer
$$;

-- Day `d` just became a day of member `m` with the activity `flag` ('A' earn or redeem,
-- 'E' earn, 'R' redeem): it links to the previous such day, the next such day (a day
-- written before this one, later in time) now links to it, and the day counters follow.
CREATE FUNCTION analytics_link(m uuid, d date, flag text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    prev date;
    nxt date;
BEGIN
    SELECT day INTO prev FROM customer_days
     WHERE kind = 'M' AND customer = m AND day < d
       AND CASE flag WHEN 'E' THEN earns > 0 WHEN 'R' THEN redeems > 0
                     ELSE earns > 0 OR redeems > 0 END
     ORDER BY day DESC LIMIT 1;
    SELECT day INTO nxt FROM customer_days
     WHERE kind = 'M' AND customer = m AND day > d
       AND CASE flag WHEN 'E' THEN earns > 0 WHEN 'R' THEN redeems > 0
                     ELSE earns > 0 OR redeems > 0 END
     ORDER BY day LIMIT 1;
    -- This day links to prev; the next day (nxt) linked to prev and now links to this day.
    UPDATE customer_days SET
        prev_active = CASE WHEN flag <> 'A' THEN prev_active WHEN day = d THEN prev ELSE d END,
        prev_earn = CASE WHEN flag <> 'E' THEN prev_earn WHEN day = d THEN prev ELSE d END,
        prev_redeem = CASE WHEN flag <> 'R' THEN prev_redeem WHEN day = d THEN prev ELSE d END
     WHERE kind = 'M' AND customer = m AND day IN (d, nxt);
    -- The counters: one more day of X on d, its link to prev (or first), and next's link
    -- moved from prev (or first) to d.
    WITH delta (day, days, firsts, prev_links, week_first, month_first) AS (
        VALUES (d, 1, (prev IS NULL)::integer, (nxt IS NOT NULL)::integer,
                analytics_first_in(d, prev, 'week'), analytics_first_in(d, prev, 'month')),
               (prev, 0, 0, 1, 0, 0),
               (nxt, 0, -(prev IS NULL)::integer, 0,
                analytics_first_in(nxt, d, 'week') - analytics_first_in(nxt, prev, 'week'),
                analytics_first_in(nxt, d, 'month') - analytics_first_in(nxt, prev, 'month')),
               (CASE WHEN nxt IS NOT NULL THEN prev END, 0, 0, -1, 0, 0))
    INSERT INTO analytics_days AS a (day, shard, act_days, act_first, act_prev, earn_days,
                                     earn_first, earn_prev, redeem_days, redeem_first,
                                     redeem_prev, act_week_first, act_month_first)
    SELECT day, analytics_shard(),
           CASE WHEN flag = 'A' THEN sum(days) ELSE 0 END,
           CASE WHEN flag = 'A' THEN sum(firsts) ELSE 0 END,
           CASE WHEN flag = 'A' THEN sum(prev_links) ELSE 0 END,
           CASE WHEN flag = 'E' THEN sum(days) ELSE 0 END,
           CASE WHEN flag = 'E' THEN sum(firsts) ELSE 0 END,
           CASE WHEN flag = 'E' THEN sum(prev_links) ELSE 0 END,
           CASE WHEN flag = 'R' THEN sum(days) ELSE 0 END,
           CASE WHEN flag = 'R' THEN sum(firsts) ELSE 0 END,
           CASE WHEN flag = 'R' THEN sum(prev_links) ELSE 0 END,
           CASE WHEN flag = 'A' THEN sum(week_first) ELSE 0 END,
           CASE WHEN flag = 'A' THEN sum(month_first) ELSE 0 END
      FROM delta WHERE day IS NOT NULL GROUP BY day
    ON CONFLICT (day, shard) DO UPDATE SET
        act_days = a.act_days + EXCLUDED.act_days,
        act_first = a.act_first + EXCLUDED.act_first,
        act_prev = a.act_prev + EXCLUDED.act_prev,
        earn_days = a.earn_days + EXCLUDED.earn_days,
        earn_first = a.earn_first + EXCLUDED.earn_first,
        earn_prev = a.earn_prev + EXCLUDED.earn_prev,
        redeem_days = a.redeem_days + EXCLUDED.redeem_days,
        redeem_first = a.redeem_first + EXCLUDED.redeem_first,
        redeem_prev = a.redeem_prev + EXCLUDED.redeem_prev,
        act_week_first = a.act_week_first + EXCLUDED.act_week_first,
        act_month_first = a.act_month_first + EXCLUDED.act_month_first;
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

-- As in 0010, and the links computed over each member's rows in the same pass, then
-- the day counters from the links.
CREATE OR REPLACE FUNCTION analytics_rebuild() RETURNS void LANGUAGE sql
SET work_mem = '256MB' AS $$
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
                 ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
    -- Stored by day, as the triggers store them: a period's rows on few pages.
    ORDER BY day;
    -- Every day a member's day links to has facts of its own, so its row is there.
    UPDATE analytics_days a SET
        act_days = c.ad, act_first = c.af, act_prev = c.ap,
        earn_days = c.ed, earn_first = c.ef, earn_prev = c.ep,
        redeem_days = c.rd, redeem_first = c.rf, redeem_prev = c.rp,
        act_week_first = c.wf, act_month_first = c.mf
      FROM (SELECT day, sum(ad) AS ad, sum(af) AS af, sum(ap) AS ap, sum(ed) AS ed,
                   sum(ef) AS ef, sum(ep) AS ep, sum(rd) AS rd, sum(rf) AS rf, sum(rp) AS rp,
                   sum(wf) AS wf, sum(mf) AS mf
              FROM (SELECT day, 1 AS ad, (prev_active IS NULL)::int AS af, 0 AS ap,
                           (earns > 0)::int AS ed, (earns > 0 AND prev_earn IS NULL)::int AS ef,
                           0 AS ep, (redeems > 0)::int AS rd,
                           (redeems > 0 AND prev_redeem IS NULL)::int AS rf, 0 AS rp,
                           analytics_first_in(day, prev_active, 'week') AS wf,
                           analytics_first_in(day, prev_active, 'month') AS mf
                      FROM customer_days WHERE kind = 'M' AND (earns > 0 OR redeems > 0)
                    UNION ALL
                    SELECT prev_active, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0
                      FROM customer_days WHERE kind = 'M' AND prev_active IS NOT NULL
                    UNION ALL
                    SELECT prev_earn, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0
                      FROM customer_days WHERE kind = 'M' AND prev_earn IS NOT NULL
                    UNION ALL
                    SELECT prev_redeem, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0
                      FROM customer_days WHERE kind = 'M' AND prev_redeem IS NOT NULL) links
             GROUP BY day) c
     WHERE a.day = c.day AND a.shard = 0;
$$;
SELECT analytics_rebuild();
