"""The welcome offer: what enrolment gives a new member at once, in the enrolment's own
transaction, so a shopper is enrolled with the gift or not at all, and a retried
enrolment (refused as a duplicate) never gives it twice.

- Points: the program's `signup` action, awarded as `recordAction` would award it (its
  points, expiry and stamps); the store recording `signup` for that member later is then
  refused as the action's limit (domain.actions.pays_once).
- A catalog reward: issued free as an ordinary redemption whose code the enrolment answers
  with, as a referral's catalog gift is (domain.referral_grants). A reward that cannot be
  given (archived, ended, out of stock) gives nothing: the enrolment still succeeds.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from domain.actions import award_action
from domain.ledger import DEFAULT_WALLET, Balance, LedgerEntry
from domain.ports import TenantUnitOfWork
from domain.program import ProgramConfig, WelcomeOffer
from domain.records.members import Member
from domain.records.redemptions import Redemption
from domain.referral_grants import check_gift_reward, grant
from domain.referral_settings import ReferralReward
from domain.wallet import LockedWallet

WELCOME_REASON = "Welcome gift"


@dataclass(frozen=True, slots=True)
class Welcomed:
    """What the welcome offer gave: the signup entry, the gifted reward's redemption, and
    the balances to cache once the enrolment commits."""

    entry: LedgerEntry | None
    redemption: Redemption | None
    balances: tuple[Balance, ...]

    @property
    def points(self) -> int:
        return self.entry.points if self.entry is not None else 0


async def check_welcome_offer(uow: TenantUnitOfWork, offer: WelcomeOffer | None) -> None:
    if offer is not None:
        field = ("welcomeOffer", "rewardId")
        await check_gift_reward(uow, offer.reward_id, field, "A welcome reward")


async def welcome(uow: TenantUnitOfWork, member: Member, now: datetime) -> Welcomed | None:
    """Gives the program's welcome offer to `member`, just enrolled, in the enrolment's
    transaction; None when the program has none, or it gave nothing."""
    program = await uow.programs.current()
    offer = program.welcome
    if offer is None:
        return None
    rule = program.action("signup") if offer.award_signup else None
    if rule is None and offer.reward_id is None:
        return None
    wallet = await LockedWallet.open_in(uow, member.id, DEFAULT_WALLET, now)
    entry = None
    balances: list[Balance] = []
    if rule is not None:
        entry, stamped = await award_action(uow, program, rule, wallet)
        if stamped.balance is not None:
            balances.append(stamped.balance)
    redemption = await _gift(uow, wallet, program, offer.reward_id)
    if entry is None and redemption is None:
        return None
    balances.insert(0, await wallet.save())
    return Welcomed(entry, redemption, tuple(balances))


async def _gift(
    uow: TenantUnitOfWork, wallet: LockedWallet, program: ProgramConfig, reward_id: UUID | None
) -> Redemption | None:
    if reward_id is None:
        return None
    spec = ReferralReward(reward_id=reward_id)
    given = await grant(uow, wallet, spec, program, reason=WELCOME_REASON, available_at=wallet.now)
    if given is None or given.redemption_id is None:
        return None
    return await uow.redemptions.get(given.redemption_id)
