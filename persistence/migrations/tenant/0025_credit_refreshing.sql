-- A credit and the segments' refresh inputs read after its balance lock is held, in one
-- round trip (docs/performance.md, "The busy member: the credit and the refresh in one
-- call").
--
-- The refresh inputs are written once, here: the repository's refresh
-- (persistence/repositories/segments.py) and the credit below both call
-- segment_refresh_inputs. A later migration that changes what a refresh reads replaces this
-- function (CREATE OR REPLACE when its columns stay; otherwise DROP both functions and
-- create them again, the credit's result ending with the same columns:
-- tests/integration/test_credit_refreshing.py compares them).

-- The member's tier and whether it is the top one. A function of its own, so that a query
-- calling it only under a false one-time filter (segment_refresh_inputs without tiers)
-- never names the tier tables, and takes no lock on them: a tenant known to have no tiers
-- refreshes segments while its tiers table is locked (tests/api/test_program_memory.py).
CREATE FUNCTION member_tier_of(p_member uuid)
RETURNS TABLE (name text, top boolean) LANGUAGE plpgsql STABLE
SET search_path FROM CURRENT AS $$
#variable_conflict use_column
BEGIN
    RETURN QUERY
    SELECT t.name,
           t.threshold = (SELECT max(a.threshold) FROM tiers a WHERE NOT a.archived) AS top
      FROM member_tiers x JOIN tiers t ON t.id = x.tier_id AND NOT t.archived
     WHERE x.member_id = p_member;
END;
$$;

-- For each member asked: the segment definitions (the same on every
-- row), the segments the member holds, and the member's facts when active (active_member
-- NULL otherwise). Orders are read per member up to the 100 most recent for intervals and
-- windowed counts; counts and spend are exact; fully refunded orders neither count nor
-- spend (as in the tier metrics). with_tiers false, for a tenant known to have no tiers:
-- member_tier_of is not called (the lateral join is cut by a one-time filter), so the
-- tier tables are neither read nor locked, and no member holds a tier.
CREATE FUNCTION segment_refresh_inputs(p_members uuid[], p_with_tiers boolean)
RETURNS TABLE (
    defs              json,
    asked             uuid,
    held              text[],
    active_member     uuid,
    enrolled_at       timestamptz,
    birthday          date,
    balance           bigint,
    last_activity_at  timestamptz,
    order_times       timestamptz[],
    order_count       bigint,
    spend             bigint,
    nps_score         smallint,
    tier              text,
    top_tier          boolean
) LANGUAGE plpgsql STABLE
SET search_path FROM CURRENT AS $$
#variable_conflict use_column
BEGIN
    RETURN QUERY
    WITH defs AS (
        SELECT coalesce(json_agg(json_build_object(
                   'key', s.key, 'name', s.name, 'rule', s.rule, 'builtin', s.builtin)
                   ORDER BY s.key),
               '[]'::json) AS defs
          FROM segments s),
    held AS (
        SELECT sm.member_id, array_agg(sm.segment_key) AS keys FROM segment_members sm
         WHERE sm.member_id = ANY(p_members) GROUP BY sm.member_id),
    facts AS (
        SELECT m.id AS active_member, m.enrolled_at, m.birthday,
               coalesce(b.available - b.debt, 0) AS balance, b.last_activity_at,
               (SELECT array_agg(r.placed_at ORDER BY r.placed_at) FROM (
                    SELECT o.placed_at FROM orders o
                     WHERE o.member_id = m.id
                       AND (o.refunded_minor < o.paid_minor OR o.paid_minor = 0)
                     ORDER BY o.placed_at DESC LIMIT 100) r) AS order_times,
               (SELECT count(*) FROM orders o
                 WHERE o.member_id = m.id
                   AND (o.refunded_minor < o.paid_minor OR o.paid_minor = 0)) AS order_count,
               (SELECT coalesce(sum(o.paid_minor - o.refunded_minor), 0) FROM orders o
                 WHERE o.member_id = m.id)::bigint AS spend,
               (SELECT sr.score FROM survey_responses sr
                 WHERE sr.member_id = m.id AND sr.kind = 'NPS'
                 ORDER BY sr.seq DESC LIMIT 1) AS nps_score,
               mt.name AS tier,
               coalesce(mt.top, false) AS top_tier
          FROM members m
          LEFT JOIN balances b ON b.member_id = m.id AND b.wallet = 'points'
          LEFT JOIN LATERAL (
              SELECT mtt.name, mtt.top FROM member_tier_of(m.id) mtt WHERE p_with_tiers) mt
            ON true
         WHERE m.id = ANY(p_members) AND m.status = 'ACTIVE')
    SELECT d.defs, i.asked, h.keys, f.*
      FROM defs d
     CROSS JOIN unnest(p_members) AS i(asked)
      LEFT JOIN facts f ON f.active_member = i.asked
      LEFT JOIN held h ON h.member_id = i.asked;
END;
$$;

-- The credit of persistence/repositories/credit_at_once.py (an entry, its lot, the balance
-- one version higher, the key's result), whose UPDATE takes the balance row lock; no row
-- when it declines. With p_refresh, then segment_refresh_inputs of the member, read by a
-- statement of its own: in READ COMMITTED each statement of a VOLATILE function takes a
-- fresh snapshot, so it sees what committed before the lock was granted (a single
-- statement would read a snapshot taken before it waited for the lock). A row per asked
-- member (one); without p_refresh, one row whose last columns are NULL.
CREATE FUNCTION credit_at_once(
    p_member uuid, p_wallet text, p_kind text, p_points bigint, p_reason text, p_note text,
    p_key text, p_actor text, p_config_version integer, p_at timestamptz,
    p_expires_at timestamptz, p_answered_key text, p_max_balance bigint,
    p_refresh boolean, p_with_tiers boolean)
RETURNS TABLE (
    id                bigint,
    member_id         uuid,
    wallet            text,
    kind              text,
    available_delta   bigint,
    pending_delta     bigint,
    lifetime_delta    bigint,
    reason            text,
    note              text,
    created_at        timestamptz,
    debt_delta        bigint,
    shortfall         bigint,
    order_id          text,
    rate              text,
    config_version    integer,
    actor             text,
    available         bigint,
    pending           bigint,
    lifetime          bigint,
    version           bigint,
    debt              bigint,
    -- segment_refresh_inputs' columns
    defs              json,
    asked             uuid,
    held              text[],
    active_member     uuid,
    enrolled_at       timestamptz,
    birthday          date,
    balance           bigint,
    last_activity_at  timestamptz,
    order_times       timestamptz[],
    order_count       bigint,
    spend             bigint,
    nps_score         smallint,
    tier              text,
    top_tier          boolean
) LANGUAGE plpgsql VOLATILE
SET search_path FROM CURRENT AS $$
#variable_conflict use_column
BEGIN
    WITH credited AS (
        UPDATE balances b
           SET available = b.available + p_points, lifetime = b.lifetime + p_points,
               version = b.version + 1, last_activity_at = p_at, updated_at = now()
         WHERE b.member_id = p_member AND b.wallet = p_wallet AND b.debt = 0
           AND (b.next_due_at IS NULL OR b.next_due_at > p_at)
           AND b.available + b.pending + p_points <= p_max_balance
           AND b.lifetime + p_points <= p_max_balance
        RETURNING b.member_id, b.wallet, b.available, b.pending, b.lifetime, b.version, b.debt),
    entry AS (
        INSERT INTO ledger_entries AS e
            (member_id, wallet, kind, available_delta, pending_delta, lifetime_delta,
             reason, note, idempotency_key, actor, created_at, debt_delta, shortfall,
             order_id, rate, config_version)
        SELECT c.member_id, c.wallet, p_kind, p_points, 0, p_points, p_reason, p_note,
               p_key, p_actor, p_at, 0, 0, NULL, NULL, p_config_version
          FROM credited c
        RETURNING e.id, e.member_id, e.wallet, e.kind, e.available_delta, e.pending_delta,
                  e.lifetime_delta, e.reason, e.note, e.created_at, e.debt_delta,
                  e.shortfall, e.order_id, e.rate, e.config_version, e.actor),
    lot AS (
        INSERT INTO lots (member_id, wallet, entry_id, points, remaining, available_at,
                          expires_at, pending, order_id)
        SELECT n.member_id, n.wallet, n.id, p_points, p_points, p_at, p_expires_at, false,
               NULL
          FROM entry n),
    answered AS (
        UPDATE idempotency_keys k SET result = jsonb_build_object('entryId', n.id)
          FROM entry n WHERE k.key = p_answered_key)
    SELECT n.id, n.member_id, n.wallet, n.kind, n.available_delta, n.pending_delta,
           n.lifetime_delta, n.reason, n.note, n.created_at, n.debt_delta, n.shortfall,
           n.order_id, n.rate, n.config_version, n.actor,
           c.available, c.pending, c.lifetime, c.version, c.debt
      INTO id, member_id, wallet, kind, available_delta, pending_delta, lifetime_delta,
           reason, note, created_at, debt_delta, shortfall, order_id, rate, config_version,
           actor, available, pending, lifetime, version, debt
      FROM entry n, credited c;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    IF NOT p_refresh THEN
        RETURN NEXT;
        RETURN;
    END IF;
    FOR defs, asked, held, active_member, enrolled_at, birthday, balance, last_activity_at,
        order_times, order_count, spend, nps_score, tier, top_tier IN
        SELECT * FROM segment_refresh_inputs(ARRAY[p_member], p_with_tiers)
    LOOP
        RETURN NEXT;
    END LOOP;
END;
$$;
