"""Members in memory, as persistence/repositories/members.py keeps them."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, date, datetime
from uuid import UUID

from domain.errors import Duplicate
from domain.idempotency import for_member
from domain.ports import MemberFilter
from domain.records.idempotency import Claim, IdempotencyRecord
from domain.records.members import Member, MemberDraft, MemberStatus
from tests.unit.fakes.tables import Sequences, Tables

# The unique columns, in the order their indexes were created (the first one broken is the
# one reported), with the field name the real repository reports.
_UNIQUE = (("external_id", "externalId"), ("email", "email"), ("referral_code", "referralCode"))


def _refuse_duplicate(tables: Tables, candidate: Member) -> None:
    for column, name in _UNIQUE:
        value = getattr(candidate, column)
        if value is None:
            continue
        if any(
            getattr(m, column) == value and m.id != candidate.id for m in tables.members.values()
        ):
            raise Duplicate(f"A member with this {name} exists.", field=(name,))


def _ilike_contains(text: str | None, part: str) -> bool:
    return text is not None and part.casefold() in text.casefold()


def _birthday_in(year: int, birthday: date) -> date:
    """The day a birthday falls on in `year`: 29 February is 28 February in common years."""
    try:
        return birthday.replace(year=year)
    except ValueError:
        return date(year, 2, 28)


class FakeMemberRepository:
    def __init__(self, tables: Tables, sequences: Sequences) -> None:
        self._tables = tables
        self._sequences = sequences

    async def get(self, member_id: UUID) -> Member | None:
        return self._tables.members.get(member_id)

    async def get_claiming(self, member_id: UUID, claim: Claim) -> tuple[Member | None, bool]:
        return self._claiming(self._tables.members.get(member_id), claim)

    async def get_by_external_id_claiming(
        self, external_id: str, claim: Claim
    ) -> tuple[Member | None, bool]:
        member = self._by("external_id", external_id)
        if member is None:
            return None, False
        return self._claiming(
            member, replace(claim, fingerprint=for_member(claim.fingerprint, member.id))
        )

    def _claiming(self, member: Member | None, claim: Claim) -> tuple[Member | None, bool]:
        if member is None:
            return None, False
        keys = self._tables.idempotency_keys
        if claim.key in keys:
            return member, False
        keys[claim.key] = IdempotencyRecord(claim.operation, claim.fingerprint, {})
        return member, True

    def _by(self, column: str, value: object) -> Member | None:
        return next((m for m in self._tables.members.values() if getattr(m, column) == value), None)

    async def get_by_external_id(self, external_id: str) -> Member | None:
        return self._by("external_id", external_id)

    async def get_by_email(self, email: str) -> Member | None:
        return self._by("email", email)

    async def get_by_referral_code(self, code: str) -> Member | None:
        return self._by("referral_code", code)

    async def get_many(self, member_ids: list[UUID]) -> list[Member]:
        wanted = set(member_ids)
        return [m for m in self._tables.members.values() if m.id in wanted]

    async def add(self, d: MemberDraft, referral_code: str, at: datetime) -> Member:
        member = Member(
            id=uuid.uuid4(),
            seq=self._sequences.next("members"),
            external_id=d.external_id,
            email=d.email,
            name=d.name,
            birthday=d.birthday,
            status=MemberStatus.ACTIVE,
            referral_code=referral_code,
            enrolled_at=at,
        )
        _refuse_duplicate(self._tables, member)
        self._tables.members[member.id] = member
        return member

    async def update(self, member_id: UUID, d: MemberDraft) -> Member:
        current = self._tables.members[member_id]
        changed = replace(
            current,
            external_id=d.external_id if d.external_id is not None else current.external_id,
            email=d.email if d.email is not None else current.email,
            name=d.name if d.name is not None else current.name,
            birthday=d.birthday if d.birthday is not None else current.birthday,
        )
        _refuse_duplicate(self._tables, changed)
        self._tables.members[member_id] = changed
        return changed

    async def erase(self, member_id: UUID) -> Member:
        erased = replace(
            self._tables.members[member_id],
            external_id=None,
            email=None,
            name=None,
            birthday=None,
            status=MemberStatus.ERASED,
        )
        self._tables.members[member_id] = erased
        return erased

    async def page(self, after_seq: int | None, limit: int, where: MemberFilter) -> list[Member]:
        def matches(m: Member) -> bool:
            search = where.search
            return (
                (after_seq is None or m.seq > after_seq)
                and (where.status is None or m.status is where.status)
                and (where.email is None or m.email == where.email)
                and (
                    search is None
                    or _ilike_contains(m.name, search)
                    or _ilike_contains(m.email, search)
                    or m.external_id == search
                )
                and (where.enrolled_after is None or m.enrolled_at >= where.enrolled_after)
                and (where.enrolled_before is None or m.enrolled_at < where.enrolled_before)
                and (where.segment is None or (where.segment, m.id) in self._tables.segment_members)
            )

        found = sorted(filter(matches, self._tables.members.values()), key=lambda m: m.seq)
        return found[:limit]

    async def birthdays_due(self, start: date, end: date, limit: int) -> list[tuple[UUID, date]]:
        due: list[tuple[int, date, UUID]] = []
        for m in self._tables.members.values():
            if m.status is not MemberStatus.ACTIVE or m.birthday is None:
                continue
            for year in sorted({start.year, end.year}):
                day = _birthday_in(year, m.birthday)
                if not start <= day <= end:
                    continue
                since = datetime(day.year, day.month, day.day, tzinfo=UTC)
                awarded = any(
                    e.member_id == m.id and e.action == "birthday" and e.occurred_at >= since
                    for e in self._tables.action_events
                )
                if not awarded:
                    due.append((m.seq, day, m.id))
        due.sort(key=lambda d: (d[0], d[1]))
        return [(member_id, day) for _, day, member_id in due[:limit]]
