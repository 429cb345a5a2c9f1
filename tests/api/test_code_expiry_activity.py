"""An unused code that expires gives its points back, but that is time passing, not the
member doing something: it must not restart the inactivity clock of an idle balance."""

from __future__ import annotations

from datetime import timedelta

from tests.api.test_redemption_time import fund, run_worker_jobs
from tests.conftest import Clocked
from tests.support.earning import configure, enroll
from tests.support.ledger_checks import assert_ledger_matches_balances
from tests.support.rewards import available, code_of, make_reward


async def test_a_code_expiring_is_no_activity(clocked: Clocked, make_tenant) -> None:
    # Given an idle member whose balance expires after 15 days, with a code valid for 4
    kit = await make_tenant()
    await configure(clocked.gql, kit, inactivityDays=15)
    member = await enroll(clocked.gql, kit)
    await fund(clocked, kit, member, 150)
    reward = await make_reward(clocked.gql, kit, pointsCost=40, validDays=4)
    await code_of(clocked.gql, kit, reward, member)

    # When the code expires on day 12 and gives its 40 points back
    clocked.clock.advance(timedelta(days=12))
    assert (await run_worker_jobs(clocked, kit)).codes_expired == 1
    assert await available(clocked.gql, kit, member) == 150

    # Then day 19 is still 15 days after the member's last activity (the redemption)
    clocked.clock.advance(timedelta(days=7))
    report = await run_worker_jobs(clocked, kit)
    assert report.inactive_expired == 1
    assert await available(clocked.gql, kit, member) == 0
    await assert_ledger_matches_balances(clocked.services, kit)
