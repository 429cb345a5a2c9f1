"""Members in a tenant schema (the search path is already the tenant's)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from uuid import UUID

import asyncpg

from domain.errors import Duplicate
from domain.ports import MemberFilter
from domain.records.idempotency import Claim
from domain.records.members import Member, MemberDraft, MemberStatus
from persistence.db import Conn
from persistence.member_ids import EXTERNAL_ID_CHANGES
from persistence.repositories.like import contains
from persistence.repositories.records import rebuilder

_COLUMNS = "id, seq, external_id, email, name, birthday, status, referral_code, enrolled_at"
_UNIQUE_FIELDS = {
    "members_external_id_key": "externalId",
    "members_email_key": "email",
    "members_referral_code_key": "referralCode",
}

# Processes remember which member an externalId names (persistence/member_ids.py): a change
# of externalId (any update that gives one) and an erasure announce the member's id, sent
# when the transaction commits and not at all if it rolls back.
_ANNOUNCE = f"pg_notify('{EXTERNAL_ID_CHANGES}', id::text)"
_ANNOUNCE_IF_RENAMED = f"CASE WHEN $2::text IS NOT NULL THEN {_ANNOUNCE} END"


# _COLUMNS in the order of domain.records.members.Member's fields, so a row maps by position: the
# pages read fifty of them per request. The status is looked up, not parsed, per row.
_STATUSES = {status.value: status for status in MemberStatus}
_rebuild_member = rebuilder(Member)


def _member(row: asyncpg.Record) -> Member:
    id_, seq, external_id, email, name, birthday, status, referral_code, enrolled_at = row[:9]
    return _rebuild_member(
        id_,
        seq,
        external_id,
        email,
        name,
        birthday,
        _STATUSES.get(status) or MemberStatus(status),
        referral_code,
        enrolled_at,
    )


def _duplicate(err: asyncpg.UniqueViolationError) -> Duplicate:
    field = _UNIQUE_FIELDS.get(getattr(err, "constraint_name", "") or "", "externalId")
    return Duplicate(f"A member with this {field} exists.", field=(field,))


class PgMemberRepository:
    def __init__(self, conn: Conn) -> None:
        self._conn = conn

    async def _one(self, column: str, value: object) -> Member | None:
        # `column` is one of this module's constants, never input.
        row = await self._conn.fetchrow(
            f"SELECT {_COLUMNS} FROM members WHERE {column} = $1", value
        )
        return _member(row) if row else None

    async def get(self, member_id: UUID) -> Member | None:
        return await self._one("id", member_id)

    async def get_claiming(self, member_id: UUID, claim: Claim) -> tuple[Member | None, bool]:
        # One round trip for the member and the key (persistence/repositories/idempotency.py
        # claims it alone). The key is inserted only for a member that exists; a concurrent
        # insert of the same key makes this wait until that transaction ends, as there.
        row = await self._conn.fetchrow(
            f"""WITH claimed AS (
                    INSERT INTO idempotency_keys (key, operation, fingerprint, created_at)
                    SELECT $2::text, $3::text, $4::text, $5::timestamptz
                    FROM members WHERE id = $1
                    ON CONFLICT (key) DO NOTHING RETURNING true)
                SELECT {_COLUMNS}, EXISTS (SELECT FROM claimed) AS claimed
                FROM members WHERE id = $1""",
            member_id,
            claim.key,
            claim.operation,
            claim.fingerprint,
            claim.at,
        )
        return (_member(row), row["claimed"]) if row else (None, False)

    async def get_by_external_id(self, external_id: str) -> Member | None:
        return await self._one("external_id", external_id)

    async def get_by_external_id_claiming(
        self, external_id: str, claim: Claim
    ) -> tuple[Member | None, bool]:
        # get_claiming of the member found by externalId, in one round trip as well. The
        # fingerprint is bound to the member here as domain.idempotency.for_member binds it
        # (sha256 of "<digest>:<member id>", in hex): uuid::text is str(UUID)'s form.
        row = await self._conn.fetchrow(
            f"""WITH member AS (SELECT {_COLUMNS} FROM members WHERE external_id = $1),
                claimed AS (
                    INSERT INTO idempotency_keys (key, operation, fingerprint, created_at)
                    SELECT $2::text, $3::text,
                           encode(sha256(convert_to($4::text || ':' || member.id::text,
                                                    'UTF8')), 'hex'),
                           $5::timestamptz
                    FROM member
                    ON CONFLICT (key) DO NOTHING RETURNING true)
                SELECT {_COLUMNS}, EXISTS (SELECT FROM claimed) AS claimed FROM member""",
            external_id,
            claim.key,
            claim.operation,
            claim.fingerprint,
            claim.at,
        )
        return (_member(row), row["claimed"]) if row else (None, False)

    async def get_by_email(self, email: str) -> Member | None:
        return await self._one("email", email)

    async def get_by_referral_code(self, code: str) -> Member | None:
        return await self._one("referral_code", code)

    async def get_many(self, member_ids: list[UUID]) -> list[Member]:
        rows = await self._conn.fetch(
            f"SELECT {_COLUMNS} FROM members WHERE id = ANY($1::uuid[])", member_ids
        )
        return [_member(r) for r in rows]

    async def add(self, d: MemberDraft, referral_code: str, at: datetime) -> Member:
        try:
            async with self._conn.transaction():  # a savepoint: a duplicate leaves the tx usable
                row = await self._conn.fetchrow(
                    f"""INSERT INTO members
                        (id, external_id, email, name, birthday, referral_code, enrolled_at)
                        VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {_COLUMNS}""",
                    uuid.uuid4(),
                    d.external_id,
                    d.email,
                    d.name,
                    d.birthday,
                    referral_code,
                    at,
                )
        except asyncpg.UniqueViolationError as err:
            raise _duplicate(err) from err
        assert row is not None
        return _member(row)

    async def update(self, member_id: UUID, d: MemberDraft) -> Member:
        try:
            row = await self._conn.fetchrow(
                f"""UPDATE members SET
                        external_id = COALESCE($2, external_id),
                        email = COALESCE($3, email),
                        name = COALESCE($4, name),
                        birthday = COALESCE($5, birthday),
                        updated_at = now()
                    WHERE id = $1 RETURNING {_COLUMNS}, {_ANNOUNCE_IF_RENAMED}""",
                member_id,
                d.external_id,
                d.email,
                d.name,
                d.birthday,
            )
        except asyncpg.UniqueViolationError as err:
            raise _duplicate(err) from err
        assert row is not None
        return _member(row)

    async def erase(self, member_id: UUID) -> Member:
        row = await self._conn.fetchrow(
            f"""UPDATE members SET external_id = NULL, email = NULL, name = NULL,
                    birthday = NULL, status = 'ERASED', updated_at = now()
                WHERE id = $1 RETURNING {_COLUMNS}, {_ANNOUNCE}""",
            member_id,
        )
        assert row is not None
        return _member(row)

    async def page(self, after_seq: int | None, limit: int, where: MemberFilter) -> list[Member]:
        rows = await self._conn.fetch(
            f"""SELECT {_COLUMNS} FROM members
                WHERE ($1::bigint IS NULL OR seq > $1)
                  AND ($2::text IS NULL OR status = $2)
                  AND ($3::text IS NULL OR email = $3)
                  AND ($4::text IS NULL OR name ILIKE $8 ESCAPE '\\'
                       OR email ILIKE $8 ESCAPE '\\' OR external_id = $4)
                  AND ($5::timestamptz IS NULL OR enrolled_at >= $5)
                  AND ($6::timestamptz IS NULL OR enrolled_at < $6)
                  AND ($9::text IS NULL OR EXISTS (
                      SELECT 1 FROM segment_members s
                       WHERE s.segment_key = $9 AND s.member_id = members.id))
                ORDER BY seq LIMIT $7""",
            after_seq,
            where.status.value if where.status else None,
            where.email,
            where.search,
            where.enrolled_after,
            where.enrolled_before,
            limit,
            contains(where.search),
            where.segment,
        )
        return [_member(r) for r in rows]

    async def birthdays_due(self, start: date, end: date, limit: int) -> list[tuple[UUID, date]]:
        # A birthday is matched on month and day in each year the window touches (a window
        # may cross New Year); 29 February counts as 28 February in years without it. It is
        # due until an award is recorded on or after that day.
        rows = await self._conn.fetch(
            """SELECT m.id, b.day FROM members m,
                   LATERAL (
                       SELECT make_date(y, extract(month FROM m.birthday)::int,
                           CASE WHEN extract(month FROM m.birthday) = 2
                                     AND extract(day FROM m.birthday) = 29
                                     AND NOT (y % 4 = 0 AND (y % 100 <> 0 OR y % 400 = 0))
                                THEN 28 ELSE extract(day FROM m.birthday)::int END) AS day
                       FROM (SELECT DISTINCT unnest(ARRAY[extract(year FROM $1::date)::int,
                                                          extract(year FROM $2::date)::int]) AS y
                            ) years
                   ) b
               WHERE m.status = 'ACTIVE' AND m.birthday IS NOT NULL
                 AND b.day BETWEEN $1 AND $2
                 AND NOT EXISTS (
                     SELECT 1 FROM action_events e
                     WHERE e.member_id = m.id AND e.action = 'birthday'
                       AND e.occurred_at >= (b.day::timestamp AT TIME ZONE 'UTC'))
               ORDER BY m.seq, b.day LIMIT $3""",
            start,
            end,
            limit,
        )
        return [(r["id"], r["day"]) for r in rows]
