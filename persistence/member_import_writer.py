"""One batch of an import's checked rows, written set-wise in the caller's transaction: the
rows copied into a temporary table (COPY), then members, balances, opening ledger entries,
their lots, the rows' idempotency keys, tiers and the import's counters each in one
statement. Ledger and balances agree as the wallet would leave them: one ADJUST entry per
member with points, a lot of its available points, a balance row of the same sums.

A row whose member exists already is not written: it was imported before when that member's
import key holds the same row (counted as such), else it is reported. Either way the row's
own key is written, so a run that resumes after this batch committed skips it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID, uuid4

from asyncpg.pool import PoolConnectionProxy

from domain.errors import ErrorCode
from domain.member_import import ImportRow, ImportTally, RowError, row_key
from domain.members import new_referral_code

OPERATION = "importMember"
OPENING_REASON = "Opening balance (import)"

_BATCH_TABLE = """CREATE TEMPORARY TABLE import_batch (
    line integer PRIMARY KEY, key text NOT NULL, member_id uuid NOT NULL, external_id text,
    email text, name text, birthday date, points bigint NOT NULL, lifetime bigint NOT NULL,
    tier_id uuid, retain_until timestamptz, enrolled_at timestamptz NOT NULL,
    referral_code text NOT NULL, digest text NOT NULL
) ON COMMIT DROP"""
_COLUMNS = [
    "line",
    "key",
    "member_id",
    "external_id",
    "email",
    "name",
    "birthday",
    "points",
    "lifetime",
    "tier_id",
    "retain_until",
    "enrolled_at",
    "referral_code",
    "digest",
]

# Members the batch's rows name already: index probes of the two unique columns (by the
# arrays, so the plan never depends on how many members the tenant has).
_TAKEN = """
SELECT id, external_id, email FROM members
 WHERE external_id = ANY($1::text[]) OR email = ANY($2::text[])
"""
# Of those, the rows an import key of that member holds unchanged: imported before.
_SAME_ROWS = """
SELECT fingerprint, result ->> 'memberId' AS member_id FROM idempotency_keys
 WHERE operation = $1 AND fingerprint = ANY($2::text[])
"""

_WRITE = """
WITH new_members AS (
    INSERT INTO members (id, external_id, email, name, birthday, referral_code, enrolled_at,
                         updated_at)
    SELECT member_id, external_id, email, name, birthday, referral_code, enrolled_at, $1
      FROM import_batch ORDER BY line
    RETURNING id
), entries AS (
    INSERT INTO ledger_entries (member_id, wallet, kind, available_delta, pending_delta,
                                lifetime_delta, reason, idempotency_key, actor,
                                config_version, created_at)
    SELECT b.member_id, 'points', 'ADJUST', b.points, 0, b.lifetime, $2, b.key, $3, $4, $1
      FROM import_batch b
     WHERE (b.points > 0 OR b.lifetime > 0) AND EXISTS (SELECT FROM new_members)
     ORDER BY b.line
    RETURNING id, member_id, available_delta, lifetime_delta
), balances_written AS (
    INSERT INTO balances (member_id, wallet, available, lifetime, version, updated_at,
                          last_activity_at)
    SELECT member_id, 'points', available_delta, lifetime_delta, 1, $1, $1 FROM entries
    RETURNING member_id
), keys AS (
    INSERT INTO idempotency_keys (key, operation, fingerprint, result, created_at)
    SELECT b.key, $5, b.digest,
           jsonb_build_object('memberId', b.member_id, 'entryId', e.id), $1
      FROM import_batch b LEFT JOIN entries e ON e.member_id = b.member_id
    RETURNING key
)
SELECT e.id, e.member_id, e.available_delta,
       (SELECT count(*) FROM balances_written) AS balances,
       (SELECT count(*) FROM keys) AS keys
  FROM entries e
"""

# What the rollup triggers would add for these members and their ADJUST entries (tenant
# migration 0010: a new member on its enrolment day; an entry's net points on its day),
# added once per day; the triggers are off for this transaction (0021).
_ROLLUPS_OFF = "SELECT set_config('loyalty.bulk_rollups', 'on', true)"
# The batch's statements look costly to the planner (thousands of rows, subplans), which
# would have it compile them (JIT) for longer than they take to run.
_NO_JIT = "SELECT set_config('jit', 'off', true)"
_ROLLUPS = """
INSERT INTO analytics_days AS a (day, shard, new_members, points_net)
SELECT day, analytics_shard(), sum(m), sum(n)
  FROM (SELECT (enrolled_at AT TIME ZONE 'UTC')::date AS day, 1 AS m, 0 AS n FROM import_batch
        UNION ALL
        SELECT ($1::timestamptz AT TIME ZONE 'UTC')::date, 0, points FROM import_batch
         WHERE points > 0) facts
 GROUP BY day
ON CONFLICT (day, shard) DO UPDATE SET
    new_members = a.new_members + EXCLUDED.new_members,
    points_net = a.points_net + EXCLUDED.points_net
"""

_LOTS = """
INSERT INTO lots (member_id, wallet, entry_id, points, remaining, available_at, expires_at)
SELECT m, 'points', e, p, p, $4, $5
  FROM unnest($1::uuid[], $2::bigint[], $3::bigint[]) AS x(m, e, p)
"""

_TIERS = """
WITH placed AS (
    INSERT INTO member_tiers (member_id, tier_id, since, retain_until, evaluated_version,
                              evaluated_at)
    SELECT member_id, tier_id, $1, retain_until, $2, $1 FROM import_batch
     WHERE tier_id IS NOT NULL
    RETURNING member_id, tier_id
)
INSERT INTO tier_history (member_id, from_tier, to_tier, reason, at)
SELECT member_id, NULL, tier_id, 'QUALIFIED', $1 FROM placed
"""

# Keys for rows not written (imported before, or reported): this import has seen them.
_SEEN_KEYS = """
INSERT INTO idempotency_keys (key, operation, fingerprint, result, created_at)
SELECT k, $4, d, jsonb_build_object('memberId', m, 'entryId', NULL, 'written', false), $5
  FROM unnest($1::text[], $2::text[], $3::uuid[]) AS x(k, d, m)
ON CONFLICT (key) DO NOTHING
"""


@dataclass(frozen=True, slots=True)
class BatchContext:
    import_id: UUID
    now: datetime
    actor: str | None
    config_version: int | None
    tier_version: int
    expires_at: datetime | None  # of the opening lots, by the program's expiry rule
    retain_until: dict[UUID, datetime | None]  # how long an imported tier is kept, by tier


@dataclass
class BatchOutcome:
    tally: ImportTally
    errors: list[RowError]


async def done_lines(conn: PoolConnectionProxy, import_id: UUID, lines: Sequence[int]) -> set[int]:
    """The lines this import has written or seen already (a run resuming)."""
    keys = [row_key(import_id, line) for line in lines]
    found = await conn.fetch("SELECT key FROM idempotency_keys WHERE key = ANY($1::text[])", keys)
    return {int(r["key"].rsplit(":", 1)[1]) for r in found}


async def write_batch(
    conn: PoolConnectionProxy, rows: Sequence[ImportRow], ctx: BatchContext
) -> BatchOutcome:
    """Writes `rows` (checked, none written before by this import) in the caller's
    transaction."""
    tally = ImportTally(rows=len(rows))
    errors: list[RowError] = []
    if not rows:
        return BatchOutcome(tally, errors)
    ids = {row.line: uuid4() for row in rows}
    codes = _fresh_codes(len(rows))
    await conn.execute(_NO_JIT)
    await conn.execute(_BATCH_TABLE)
    await conn.copy_records_to_table(
        "import_batch",
        columns=_COLUMNS,
        records=[_record(row, ids[row.line], codes[i], ctx) for i, row in enumerate(rows)],
    )
    # Statistics of the batch, so the statements that read it plan for its size.
    await conn.execute("ANALYZE import_batch")
    await _new_codes_where_taken(conn, codes)
    seen = await _taken(conn, rows)
    if seen:
        same = await conn.fetch(_SAME_ROWS, OPERATION, [row.digest for row, _, _ in seen.values()])
        held = {(r["fingerprint"], r["member_id"]) for r in same}
        for line, (row, member_id, column) in seen.items():
            if (row.digest, str(member_id)) in held:
                tally.already_imported += 1
            else:
                errors.append(
                    RowError(
                        line, column, ErrorCode.DUPLICATE, f"A member with this {column} exists."
                    )
                )
    if seen:
        await conn.execute("DELETE FROM import_batch WHERE line = ANY($1::int[])", list(seen))
        await conn.execute(
            _SEEN_KEYS,
            [row_key(ctx.import_id, line) for line in seen],
            [row.digest for row, _, _ in seen.values()],
            [member_id for _, member_id, _ in seen.values()],
            OPERATION,
            ctx.now,
        )
    tally.failed = len(errors)
    await conn.execute(_ROLLUPS_OFF)
    await conn.execute(_ROLLUPS, ctx.now)
    written = await conn.fetch(
        _WRITE, ctx.now, OPENING_REASON, ctx.actor, ctx.config_version, OPERATION
    )
    with_points = [r for r in written if r["available_delta"] > 0]
    if with_points:
        await conn.execute(
            _LOTS,
            [r["member_id"] for r in with_points],
            [r["id"] for r in with_points],
            [r["available_delta"] for r in with_points],
            ctx.now,
            ctx.expires_at,
        )
    await conn.execute(_TIERS, ctx.now, ctx.tier_version)
    await conn.execute("SELECT set_config('loyalty.bulk_rollups', 'off', true)")
    tally.imported = len(rows) - len(seen)
    tally.points = sum(r["available_delta"] for r in written)
    return BatchOutcome(tally, errors)


def _record(row: ImportRow, member_id: UUID, code: str, ctx: BatchContext) -> tuple[object, ...]:
    return (
        row.line,
        row_key(ctx.import_id, row.line),
        member_id,
        row.external_id,
        row.email,
        row.name,
        row.birthday,
        row.points,
        row.lifetime,
        row.tier_id,
        ctx.retain_until.get(row.tier_id) if row.tier_id else None,
        row.enrolled_at,
        code,
        row.digest,
    )


def _fresh_codes(count: int) -> list[str]:
    codes: set[str] = set()
    while len(codes) < count:
        codes.add(new_referral_code())
    return list(codes)


async def _taken(
    conn: PoolConnectionProxy, rows: Sequence[ImportRow]
) -> dict[int, tuple[ImportRow, UUID, str]]:
    """{line: (row, the member it names, the column naming it)} for rows whose member
    exists; the externalId is looked at first."""
    found = await conn.fetch(
        _TAKEN,
        [r.external_id for r in rows if r.external_id is not None],
        [r.email for r in rows if r.email is not None],
    )
    by_external = {f["external_id"]: f["id"] for f in found if f["external_id"] is not None}
    by_email = {f["email"]: f["id"] for f in found if f["email"] is not None}
    seen: dict[int, tuple[ImportRow, UUID, str]] = {}
    for row in rows:
        if row.external_id is not None and row.external_id in by_external:
            seen[row.line] = (row, by_external[row.external_id], "external_id")
        elif row.email is not None and row.email in by_email:
            seen[row.line] = (row, by_email[row.email], "email")
    return seen


async def _new_codes_where_taken(conn: PoolConnectionProxy, codes: list[str]) -> None:
    """Referral codes are random: the rare one a member holds already is drawn again."""
    while True:
        clashes = await conn.fetch(
            "SELECT referral_code FROM members WHERE referral_code = ANY($1::text[])", codes
        )
        if not clashes:
            return
        await conn.execute(
            """UPDATE import_batch b SET referral_code = x.code
                 FROM unnest($1::text[], $2::text[]) AS x(taken, code)
                WHERE b.referral_code = x.taken""",
            [r["referral_code"] for r in clashes],
            fresh := _fresh_codes(len(clashes)),
        )
        codes = fresh
