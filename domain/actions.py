"""Points for actions (signup, review, follow, custom events), within the program's limits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from domain import stamps
from domain.clock import Clock
from domain.earned import earn_now
from domain.errors import DomainError, ErrorCode
from domain.idempotency import fingerprint, first_result, validate_key
from domain.ledger import DEFAULT_WALLET, Balance, LedgerEntry
from domain.members import active_member
from domain.periods import period_start
from domain.ports import ActionRepository, BalanceCache, TenantUnitOfWork, UnitOfWorkFactory
from domain.program import ActionRule, ProgramConfig
from domain.segment_membership import refresh_member
from domain.tier_evaluation import evaluate_member_tier
from domain.wallet import LockedWallet


@dataclass(frozen=True, slots=True)
class ActionResult:
    entry: LedgerEntry
    balance: Balance | None
    replayed: bool = False
    stamps: int = 0  # the member's stamps this action added


def pays_once(program: ProgramConfig, rule: ActionRule) -> bool:
    """Whether `rule` pays a member once only: when it says so, and `signup` when the welcome
    offer awards it at enrolment (the store recording it again must not pay it twice)."""
    welcome = program.welcome
    return rule.once or (rule.key == "signup" and welcome is not None and welcome.award_signup)


async def limit_refusal(
    actions: ActionRepository,
    member_id: UUID,
    rule: ActionRule,
    now: datetime,
    *,
    once: bool | None = None,
) -> str | None:
    """Why `rule` pays `member_id` no more at `now` (once per member, N per period, a
    cooldown), or None when it pays; `once` (the program's `pays_once`) when not the rule's
    own. The counts are race-free only under the member's wallet lock: callers take it first."""
    if (rule.once if once is None else once) and await actions.count_since(
        member_id, rule.key, None
    ) > 0:
        return f"{rule.key} earns points once per member."
    if rule.period is not None and rule.max_per_period is not None:
        done = await actions.count_since(member_id, rule.key, period_start(rule.period, now))
        if done >= rule.max_per_period:
            return (
                f"{rule.key} earns points {rule.max_per_period} time(s) per "
                f"{rule.period.value.lower()}."
            )
    if rule.cooldown_hours:
        last = await actions.last_at(member_id, rule.key)
        again = last + timedelta(hours=rule.cooldown_hours) if last else None
        if again is not None and now < again:
            return f"{rule.key} can earn again from {again:%Y-%m-%d %H:%M} UTC."
    return None


def _limit_reached(message: str) -> DomainError:
    return DomainError(message, field=("action",), code=ErrorCode.ACTION_LIMIT_REACHED)


async def award_action(
    uow: TenantUnitOfWork,
    program: ProgramConfig,
    rule: ActionRule,
    wallet: LockedWallet,
    idempotency_key: str | None = None,
) -> tuple[LedgerEntry, stamps.Stamped]:
    """Pays `rule` into the member's locked wallet (its limits checked already), records the
    action and gives its stamps; the caller saves the wallet."""
    now = wallet.now
    entry = await earn_now(wallet, program, rule.points, f"Action: {rule.key}", idempotency_key)
    await uow.actions.add(wallet.member_id, rule.key, now, entry.id)
    stamped = await stamps.on_action(uow, program, wallet.member_id, rule.key, wallet, now)
    return entry, stamped


async def record_action(
    uow_factory: UnitOfWorkFactory,
    cache: BalanceCache,
    clock: Clock,
    *,
    member_id: UUID,
    action: str,
    idempotency_key: str | None,
) -> ActionResult:
    key = validate_key(idempotency_key) if idempotency_key is not None else None
    now = clock.now()
    async with uow_factory() as uow:
        program = await uow.programs.current()
        rule = program.action(action.strip())
        if rule is None:
            raise DomainError(
                f"The program has no action {action[:60]!r}.",
                field=("action",),
                code=ErrorCode.UNKNOWN_ACTION,
            )
        digest = fingerprint("recordAction", {"member": str(member_id), "action": rule.key})
        if key is not None:
            first = await first_result(uow.idempotency, key, "recordAction", digest, now)
            if first is not None:
                entry = await uow.ledger.entry(int(first["entryId"]))
                assert entry is not None
                balance = await uow.ledger.balance_after(entry.id)
                return ActionResult(entry, balance, replayed=True)
        await active_member(uow.members, member_id)
        # The wallet lock serialises this member's actions, so the counts below cannot race.
        wallet = await LockedWallet.open_in(uow, member_id, DEFAULT_WALLET, now)
        once = pays_once(program, rule)
        refusal = await limit_refusal(uow.actions, member_id, rule, now, once=once)
        if refusal is not None:
            raise _limit_reached(refusal)
        entry, stamped = await award_action(uow, program, rule, wallet, key)
        balance = await wallet.save()
        await evaluate_member_tier(uow, member_id, now)
        await refresh_member(uow, member_id, now)
        if key is not None:
            await uow.idempotency.complete(key, {"entryId": entry.id})
    await cache.put(balance)
    if stamped.balance is not None:
        await cache.put(stamped.balance)
    return ActionResult(entry, balance, stamps=stamped.stamps)
