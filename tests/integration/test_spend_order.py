"""A spend reads only the lots it needs, in spend order, however many lots a member has."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

from api.schema.common.ids import uuid_of
from domain.ledger import DEFAULT_WALLET, spend_order
from persistence.uow import PgUnitOfWorkFactory
from tests.support.earning import adjust, configure, enroll, fetch, schema_of
from tests.support.ledger_checks import assert_ledger_matches_balances

NEVER_EXPIRING = 60
EXPIRING = 200


async def test_a_spend_reads_the_lots_it_needs_and_takes_the_soonest_to_expire(clocked, tenant):
    # given 60 one-point lots that never expire, then 200 that expire a minute apart, each
    # earned at a later time than the one before
    gql, services, clock = clocked.gql, clocked.services, clocked.clock
    member_id = await enroll(gql, tenant, externalId="many-lots")
    for i in range(NEVER_EXPIRING + EXPIRING):
        if i == NEVER_EXPIRING:
            await configure(gql, tenant, lotExpiry={"after": 30, "unit": "DAYS"})
        assert (await adjust(gql, tenant, member_id, 1))["errors"] == []
        clock.advance(timedelta(minutes=1))
    uow = PgUnitOfWorkFactory(services.pool, await schema_of(services, tenant))
    member = uuid_of(member_id, "Member")

    # when the lots covering 150 points are read, and when all are
    async with uow() as unit:
        some = await unit.ledger.spendable_lots(member, DEFAULT_WALLET, clock.now(), covering=150)
        every = await unit.ledger.spendable_lots(member, DEFAULT_WALLET, clock.now())

    # then the first read stops after the batch that covers them, in the domain's spend order
    assert len(every) == NEVER_EXPIRING + EXPIRING
    assert [lot.id for lot in every] == [lot.id for lot in spend_order(every)]
    assert 150 <= len(some) < len(every)
    assert [lot.id for lot in some] == [lot.id for lot in every[: len(some)]]

    # when 230 points are spent: all 200 expiring lots and the 30 oldest of the others
    spent = await adjust(gql, tenant, member_id, -230)

    # then exactly those lots are emptied
    assert spent["errors"] == []
    rows = await fetch(
        services, tenant, "SELECT id, remaining FROM lots WHERE member_id = $1", UUID(str(member))
    )
    emptied = {r["id"] for r in rows if r["remaining"] == 0}
    assert emptied == {lot.id for lot in every[:230]}
    await assert_ledger_matches_balances(services, tenant)
