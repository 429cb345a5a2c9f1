"""The balance row's next_due_at is never later than the soonest lot due, however lots are
written, so the lock can skip reading lots until then and still never miss one."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

from api.schema.common.ids import uuid_of
from domain.ledger import DEFAULT_WALLET, EntryKind
from domain.wallet import LockedWallet
from persistence.uow import PgUnitOfWorkFactory
from tests.support.earning import enroll, fetch, schema_of

NEXT_DUE = "SELECT next_due_at FROM balances WHERE member_id = $1 AND wallet = 'points'"


async def test_points_given_back_to_an_expired_lot_are_due_at_the_next_lock(gql, services, tenant):
    # given a member who earned 10 points expiring in a day, and spent them
    member_id = uuid_of(await enroll(gql, tenant), "Member")
    uow = PgUnitOfWorkFactory(services.pool, await schema_of(services, tenant))
    now = await services.pool.fetchval("SELECT now()")
    expiry = now + timedelta(days=1)
    async with uow() as unit:
        wallet = await LockedWallet.open(unit.ledger, member_id, DEFAULT_WALLET, now)
        await wallet.credit(10, kind=EntryKind.ADJUST, available_at=now, expires_at=expiry)
        await wallet.save()
    async with uow() as unit:
        wallet = await LockedWallet.open(unit.ledger, member_id, DEFAULT_WALLET, now)
        spent = await wallet.spend(10, kind=EntryKind.REDEEM)
        await wallet.save()
    # (the lock counted the wallet's next due time: the lot's expiry)
    assert await _next_due(services, tenant, member_id) == [expiry]

    # when the wallet is locked after the expiry: the lot is empty, nothing is due
    later = now + timedelta(days=2)
    async with uow() as unit:
        _, due = await unit.ledger.lock_balance_with_due_lots(member_id, DEFAULT_WALLET, later)

    # then the lock recounts: nothing will come due
    assert due == []
    assert await _next_due(services, tenant, member_id) == [None]

    # when the spent points go back to their lot (as a cancelled redemption does)
    async with uow() as unit:
        await unit.ledger.undraw(spent.id)

    # then the wallet is due again from the lot's expiry, and the next lock reads the lot
    assert await _next_due(services, tenant, member_id) == [expiry]
    async with uow() as unit:
        _, due = await unit.ledger.lock_balance_with_due_lots(member_id, DEFAULT_WALLET, later)
    assert [(lot.remaining, lot.expires_at) for lot in due] == [(10, expiry)]


async def test_a_lot_written_in_sql_brings_the_next_due_time_forward(gql, services, tenant):
    # given a member whose lock counted that nothing is due
    member_id = uuid_of(await enroll(gql, tenant), "Member")
    uow = PgUnitOfWorkFactory(services.pool, await schema_of(services, tenant))
    now = await services.pool.fetchval("SELECT now()")
    async with uow() as unit:
        await unit.ledger.lock_balance_with_due_lots(member_id, DEFAULT_WALLET, now)
        await unit.ledger.lock_balance_with_due_lots(member_id, DEFAULT_WALLET, now)
    assert await _next_due(services, tenant, member_id) == [None]

    # when a pending lot is inserted straight in SQL (an import), maturing in an hour
    matures = now + timedelta(hours=1)
    await fetch(
        services,
        tenant,
        """WITH e AS (INSERT INTO ledger_entries (member_id, wallet, kind, available_delta,
                          pending_delta, lifetime_delta, created_at)
                      VALUES ($1, 'points', 'ADJUST', 0, 5, 5, $2) RETURNING id)
           INSERT INTO lots (member_id, wallet, entry_id, points, remaining, available_at,
                             pending)
           SELECT $1, 'points', id, 5, 5, $3, true FROM e RETURNING id""",
        member_id,
        now,
        matures,
    )

    # then the wallet is due when the lot matures, and a lock after that reads it
    assert await _next_due(services, tenant, member_id) == [matures]
    async with uow() as unit:
        _, due = await unit.ledger.lock_balance_with_due_lots(
            member_id, DEFAULT_WALLET, matures + timedelta(minutes=1)
        )
    assert [(lot.remaining, lot.pending) for lot in due] == [(5, True)]


async def _next_due(services, tenant, member_id: UUID) -> list:
    return [r["next_due_at"] for r in await fetch(services, tenant, NEXT_DUE, member_id)]
