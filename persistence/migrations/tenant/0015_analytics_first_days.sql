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

-- As in 0010, plus the links. An earn or a redeem that makes its day a new day of activity
-- of the member (and of earning, or of redeeming) links it to the member's previous such day,
-- links the next such day (one written earlier, later in time: a late fact) to it instead,
-- and moves the day counters to match. Earns and redeems only ever grow (the ledger is
-- append-only), so a day never stops being a day of activity and links are only added.
-- One statement after the lock: the neighbours, the member's day row, the next days' links
-- and the day rows (the entry's points and the counters of every day whose links moved).
CREATE OR REPLACE FUNCTION analytics_on_entry() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    net bigint := NEW.available_delta + NEW.pending_delta - NEW.debt_delta;
    d date := (NEW.created_at AT TIME ZONE 'UTC')::date;
    earn boolean := NEW.kind = 'EARN';
BEGIN
    IF net = 0 THEN
        RETURN NULL;  -- a maturation moves points between columns, not in or out
    END IF;
    IF NEW.kind NOT IN ('EARN', 'REDEEM') THEN
        INSERT INTO analytics_days AS a (day, shard, points_redeemed, points_net)
        VALUES (d, analytics_shard(),
                CASE WHEN NEW.kind = 'REVERSE' AND net > 0 THEN -net ELSE 0 END, net)
        ON CONFLICT (day, shard) DO UPDATE SET
            points_redeemed = a.points_redeemed + EXCLUDED.points_redeemed,
            points_net = a.points_net + EXCLUDED.points_net;
        RETURN NULL;
    END IF;
    PERFORM analytics_lock_member(NEW.member_id);
    WITH near AS (
        -- The member's previous and next days of activity (pa, na) and of this entry's kind
        -- (pk, nk) around d.
        SELECT (SELECT day FROM customer_days
                 WHERE kind = 'M' AND customer = NEW.member_id AND day < d
                   AND (earns > 0 OR redeems > 0) ORDER BY day DESC LIMIT 1) AS pa,
               (SELECT day FROM customer_days
                 WHERE kind = 'M' AND customer = NEW.member_id AND day > d
                   AND (earns > 0 OR redeems > 0) ORDER BY day LIMIT 1) AS na,
               (SELECT day FROM customer_days
                 WHERE kind = 'M' AND customer = NEW.member_id AND day < d
                   AND CASE WHEN earn THEN earns > 0 ELSE redeems > 0 END
                 ORDER BY day DESC LIMIT 1) AS pk,
               (SELECT day FROM customer_days
                 WHERE kind = 'M' AND customer = NEW.member_id AND day > d
                   AND CASE WHEN earn THEN earns > 0 ELSE redeems > 0 END
                 ORDER BY day LIMIT 1) AS nk),
    own AS (
        INSERT INTO customer_days AS c (day, kind, customer, earns, redeems, prev_active,
                                        prev_earn, prev_redeem)
        SELECT d, 'M', NEW.member_id, earn::integer, (NOT earn)::integer, pa,
               CASE WHEN earn THEN pk END, CASE WHEN NOT earn THEN pk END
          FROM near
        ON CONFLICT (day, kind, customer) DO UPDATE SET
            earns = c.earns + EXCLUDED.earns,
            redeems = c.redeems + EXCLUDED.redeems,
            prev_active = CASE WHEN c.earns + c.redeems = 0 THEN EXCLUDED.prev_active
                               ELSE c.prev_active END,
            prev_earn = CASE WHEN c.earns = 0 AND EXCLUDED.earns > 0 THEN EXCLUDED.prev_earn
                             ELSE c.prev_earn END,
            prev_redeem = CASE WHEN c.redeems = 0 AND EXCLUDED.redeems > 0
                               THEN EXCLUDED.prev_redeem ELSE c.prev_redeem END
        RETURNING (c.earns + c.redeems = 1)::integer AS a,
                  (CASE WHEN earn THEN c.earns ELSE c.redeems END = 1)::integer AS k),
    nexts AS (
        UPDATE customer_days c SET
            prev_active = CASE WHEN own.a = 1 AND c.day = near.na THEN d ELSE c.prev_active END,
            prev_earn = CASE WHEN own.k = 1 AND earn AND c.day = near.nk THEN d
                             ELSE c.prev_earn END,
            prev_redeem = CASE WHEN own.k = 1 AND NOT earn AND c.day = near.nk THEN d
                               ELSE c.prev_redeem END
          FROM near, own
         WHERE c.kind = 'M' AND c.customer = NEW.member_id AND c.day IN (near.na, near.nk)
           AND (own.a = 1 AND c.day = near.na OR own.k = 1 AND c.day = near.nk)),
    -- Per day: points earned, redeemed, net; then for activity (a) and this kind (k): days,
    -- first days, links to the day; the first days of activity in their week and month.
    delta (day, pe, pr, pn, ad, af, ap, kd, kf, kp, wf, mf) AS (
        SELECT v.* FROM near, own, LATERAL (VALUES
            (d, CASE WHEN earn THEN net ELSE 0 END, CASE WHEN earn THEN 0 ELSE -net END, net,
             own.a, own.a * (pa IS NULL)::integer, own.a * (na IS NOT NULL)::integer,
             own.k, own.k * (pk IS NULL)::integer, own.k * (nk IS NOT NULL)::integer,
             own.a * analytics_first_in(d, pa, 'week'),
             own.a * analytics_first_in(d, pa, 'month')),
            (pa, 0, 0, 0, 0, 0, own.a, 0, 0, 0, 0, 0),
            (pk, 0, 0, 0, 0, 0, 0, 0, 0, own.k, 0, 0),
            (na, 0, 0, 0, 0, -own.a * (pa IS NULL)::integer, 0, 0, 0, 0,
             own.a * (analytics_first_in(na, d, 'week') - analytics_first_in(na, pa, 'week')),
             own.a * (analytics_first_in(na, d, 'month') - analytics_first_in(na, pa, 'month'))),
            (nk, 0, 0, 0, 0, 0, 0, 0, -own.k * (pk IS NULL)::integer, 0, 0, 0),
            (CASE WHEN na IS NOT NULL THEN pa END, 0, 0, 0, 0, 0, -own.a, 0, 0, 0, 0, 0),
            (CASE WHEN nk IS NOT NULL THEN pk END, 0, 0, 0, 0, 0, 0, 0, 0, -own.k, 0, 0)) v)
    INSERT INTO analytics_days AS a (day, shard, points_earned, points_redeemed, points_net,
                                     act_days, act_first, act_prev, earn_days, earn_first,
                                     earn_prev, redeem_days, redeem_first, redeem_prev,
                                     act_week_first, act_month_first)
    SELECT day, analytics_shard(), sum(pe), sum(pr), sum(pn), sum(ad), sum(af), sum(ap),
           CASE WHEN earn THEN sum(kd) ELSE 0 END, CASE WHEN earn THEN sum(kf) ELSE 0 END,
           CASE WHEN earn THEN sum(kp) ELSE 0 END, CASE WHEN earn THEN 0 ELSE sum(kd) END,
           CASE WHEN earn THEN 0 ELSE sum(kf) END, CASE WHEN earn THEN 0 ELSE sum(kp) END,
           sum(wf), sum(mf)
      FROM delta WHERE day IS NOT NULL GROUP BY day
    ON CONFLICT (day, shard) DO UPDATE SET
        points_earned = a.points_earned + EXCLUDED.points_earned,
        points_redeemed = a.points_redeemed + EXCLUDED.points_redeemed,
        points_net = a.points_net + EXCLUDED.points_net,
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
