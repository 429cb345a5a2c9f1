"""Given the same adjustments made to two members, one where credits may take the one-statement
way (persistence/repositories/credit_at_once.py) and one where they always take the plain
way (the wallet locked, settled, credited and saved), then both ledgers are the same: entries,
lots, draws, balance rows (versions, next due times, activity), idempotency results and what
the use case answered; and the fast way was taken where it can be, and declined where it
cannot (nothing due known yet, lots due, an overflow)."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import pytest

from api.schema.common.ids import uuid_of
from api.services import Services
from domain.clock import FixedClock
from domain.errors import DomainError
from domain.ledger import DEFAULT_WALLET, MAX_BALANCE, EntryKind
from domain.points import AdjustPoints, adjust_points
from domain.wallet import LockedWallet
from persistence.uow import PgUnitOfWorkFactory
from tests.support.earning import configure, enroll, schema_of
from tests.support.fast_ways import count_taken, decline
from tests.support.ledger_checks import assert_schema_ledger_consistent
from tests.support.ledger_snapshot import ledger_of

# (days after the start, points, reason, note, key): a key used twice is a retry; no points:
# the wallet filled (the plain way) to three points short of the maximum.
STEPS: list[tuple[int, int | None, str | None, str | None, str | None]] = [
    (0, 10, None, None, None),  # the first lock: next due time not known yet
    (0, 5, "Goodwill", "ticket 1", "k1"),
    (0, 5, "Goodwill", "ticket 1", "k1"),  # replayed
    (0, -3, None, None, "k2"),
    (0, 7, None, "n", None),
    (0, 1, None, None, None),
    (3, 4, "After expiry", None, "k3"),  # the expiring lot is due: settled first
    (3, 2, None, None, None),
    (3, None, None, None, None),
    (3, 5, None, None, None),  # refused: past the maximum
    (3, 3, None, None, "k4"),
]


async def _run(
    services: Services, uow: PgUnitOfWorkFactory, member_id: UUID, prefix: str, start: datetime
) -> list[Any]:
    cache = services.balances.for_tenant(UUID(int=0))
    # An expiring lot, as an earlier earn would leave: due on day 1.
    async with uow() as unit:
        wallet = await LockedWallet.open(unit.ledger, member_id, DEFAULT_WALLET, start)
        await wallet.credit(
            6,
            kind=EntryKind.ADJUST,
            available_at=start,
            expires_at=start + timedelta(days=1),
        )
        await wallet.save()
    answers: list[Any] = []
    for day, points, reason, note, key in STEPS:
        clock = FixedClock(start + timedelta(days=day))
        if points is None:
            await _fill(uow, member_id, clock.now())
            continue
        cmd = AdjustPoints(
            member_id,
            points,
            DEFAULT_WALLET,
            reason,
            note,
            f"{prefix}-{key}" if key else None,
            actor="test",
        )
        try:
            done = await adjust_points(uow, cache, clock, cmd)
        except DomainError as err:
            answers.append(("refused", err.code))
            continue
        b = done.balance
        answers.append(
            (
                done.replayed,
                done.entry.kind,
                done.entry.available_delta,
                done.entry.lifetime_delta,
                (b.available, b.pending, b.lifetime, b.version, b.debt) if b else None,
            )
        )
    return answers


async def _fill(uow: PgUnitOfWorkFactory, member_id: UUID, now: datetime) -> None:
    async with uow() as unit:
        wallet = await LockedWallet.open(unit.ledger, member_id, DEFAULT_WALLET, now)
        room = MAX_BALANCE - 3 - wallet.balance.lifetime
        await wallet.credit(room, kind=EntryKind.ADJUST, available_at=now, expires_at=None)
        await wallet.save()


@pytest.mark.parametrize("expiring", [False, True], ids=["lots-never-expire", "lots-expire"])
async def test_credits_at_once_write_what_the_plain_way_writes(
    gql, services: Services, make_tenant, monkeypatch: pytest.MonkeyPatch, expiring: bool
):
    # given two members of one tenant (whose lots expire after 30 days, or never), and
    # credits through the fast way counted
    tenant = await make_tenant()
    if expiring:
        await configure(gql, tenant, lotExpiry={"after": 30, "unit": "DAYS"})
    schema = await schema_of(services, tenant)
    uow = PgUnitOfWorkFactory(services.pool, schema)
    fast_member = uuid_of(await enroll(gql, tenant), "Member")
    plain_member = uuid_of(await enroll(gql, tenant), "Member")
    start = (await services.pool.fetchval("SELECT now()")) + timedelta(seconds=1)

    # when the same adjustments are made to each, one way each
    taken = count_taken(monkeypatch, "credit_at_once")
    fast = await _run(services, uow, fast_member, "fast", start)
    decline(monkeypatch, "credit_at_once")
    plain = await _run(services, uow, plain_member, "plain", start)
    monkeypatch.undo()

    # then they answered the same, and wrote the same ledger
    assert fast == plain
    assert await ledger_of(services, schema, fast_member, "fast") == await ledger_of(
        services, schema, plain_member, "plain"
    )
    await assert_schema_ledger_consistent(services.pool, schema)
    # and the fast way was declined where lots were due (settled first), where the next due
    # time had passed (recounted first) and where the credit overflows, and taken by every
    # other credit
    assert taken == [True, True, True, True, False, False, False, True]


async def test_concurrent_credits_at_once_on_one_member_all_count(gql, services: Services, tenant):
    # given a member whose wallet has been locked once (its next due time known)
    schema = await schema_of(services, tenant)
    uow = PgUnitOfWorkFactory(services.pool, schema)
    member_id = uuid_of(await enroll(gql, tenant), "Member")
    cache = services.balances.for_tenant(UUID(tenant.id))
    clock = FixedClock(await services.pool.fetchval("SELECT now()"))

    def credit(points: int, key: str | None = None) -> Any:
        cmd = AdjustPoints(member_id, points, DEFAULT_WALLET, None, None, key)
        return adjust_points(uow, cache, clock, cmd)

    # (enough for the debits, which may take the lock before any credit does)
    await credit(4)

    # when sixteen credits and four debits race on it
    await asyncio.gather(
        *(credit(2, f"c-{member_id}-{i}") for i in range(16)),
        *(credit(-1) for _ in range(4)),
    )

    # then every one counted, once, and the ledger agrees with the balance
    async with uow() as unit:
        balance = await unit.ledger.read_balance(member_id, DEFAULT_WALLET)
    assert (balance.available, balance.lifetime, balance.version) == (32, 36, 21)
    await assert_schema_ledger_consistent(services.pool, schema)
