"""One member's wallet, locked for one transaction: every change of points goes through here.

Opening it takes the balance row lock and settles what time has made due (pending lots that
matured, lots that expired), so a change never works on a stale picture, whether or not the
worker has run yet. Each method appends exactly one ledger entry and moves the balance by
the same deltas, which is what keeps `balance == sum(entries)` true.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from uuid import UUID

from domain.entry_actors import BY_SYSTEM
from domain.events import points_changed
from domain.ledger import (
    Balance,
    EntryKind,
    LedgerEntry,
    Lot,
    LotDraw,
    NewEntry,
    plan_spend,
    spend_order,
)
from domain.ports import LedgerRepository, TenantUnitOfWork
from domain.program import RefundPolicy
from domain.webhook_ports import EventOutbox


class LockedWallet:
    def __init__(
        self,
        ledger: LedgerRepository,
        balance: Balance,
        now: datetime,
        events: EventOutbox | None = None,
    ) -> None:
        self._ledger = ledger
        self._events = events
        self.balance = balance
        self.now = now
        self._touched = False
        self._active = False  # the member did something (not just time passing)

    @classmethod
    async def open(
        cls,
        ledger: LedgerRepository,
        member_id: UUID,
        wallet: str,
        now: datetime,
        events: EventOutbox | None = None,
    ) -> LockedWallet:
        """With `events`, every entry appended writes a points.changed event with it."""
        balance, due = await ledger.lock_balance_with_due_lots(member_id, wallet, now)
        opened = cls(ledger, balance, now, events)
        await opened.settle(due)
        return opened

    @classmethod
    async def open_in(
        cls, uow: TenantUnitOfWork, member_id: UUID, wallet: str, now: datetime
    ) -> LockedWallet:
        """`open` in a unit of work, its entries announced through the unit's outbox."""
        return await cls.open(uow.ledger, member_id, wallet, now, uow.events)

    @property
    def member_id(self) -> UUID:
        return self.balance.member_id

    @property
    def wallet(self) -> str:
        return self.balance.wallet

    async def _append(self, entry: NewEntry) -> LedgerEntry:
        self.balance.refuse_overflow(
            entry.available_delta, entry.pending_delta, entry.lifetime_delta
        )
        written = await self._ledger.append(entry, self.now)
        self.balance = self.balance.apply(
            entry.available_delta, entry.pending_delta, entry.lifetime_delta, entry.debt_delta
        )
        self._touched = True
        if self._events is not None:
            self._events.add(points_changed(written, self.balance))
        return written

    def _entry(self, kind: EntryKind, **fields: object) -> NewEntry:
        deltas = {"available_delta": 0, "pending_delta": 0, "lifetime_delta": 0}
        deltas.update(fields)  # type: ignore[arg-type]
        return NewEntry(self.member_id, self.wallet, kind, **deltas)  # type: ignore[arg-type]

    async def settle(self, due: list[Lot] | None = None) -> None:
        """Matures lots whose return window ended and expires lots whose time has come.

        Replays what happened in time order, so settling late (a worker catching up after
        downtime, or no worker at all) ends exactly where settling on time would have: a lot
        that matured before it expired first pays any debt, then loses the rest; a lot that
        expired while still pending never matures. `due` are the lots due now, when they
        were read under the lock already.
        """
        if due is None:
            due = await self._ledger.due_lots(self.member_id, self.wallet, self.now)
        maturing = sorted(
            (lot for lot in due if lot.pending and _matured_before_expiry(lot)),
            key=lambda lot: (lot.available_at, lot.id),
        )
        matured = {lot.id for lot in maturing}
        repaid: dict[int, int] = {}
        if maturing:
            repaid = await self._mature(maturing)
        expired = [
            replace(
                lot,
                pending=lot.pending and lot.id not in matured,
                remaining=lot.remaining - repaid.get(lot.id, 0),
            )
            for lot in due
            if lot.expires_at is not None and lot.expires_at <= self.now
        ]
        if expired:
            await self.expire(expired, reason="Points expired")

    async def _mature(self, lots: list[Lot]) -> dict[int, int]:
        """Makes `lots` available, paying debt from them in the order they matured; returns
        what each lot paid."""
        total = sum(lot.remaining for lot in lots)
        repay = min(self.balance.debt, total)
        entry = await self._append(
            self._entry(
                EntryKind.MATURE,
                available_delta=total - repay,
                pending_delta=-total,
                debt_delta=-repay,
                reason="Points became available",
                actor=BY_SYSTEM,
            )
        )
        await self._ledger.mark_available([lot.id for lot in lots])
        draws = _take(lots, repay)
        if draws:
            await self._ledger.draw(entry.id, draws)
        return {d.lot_id: d.points for d in draws}

    async def expire(self, lots: list[Lot], reason: str) -> LedgerEntry | None:
        lots = [lot for lot in lots if lot.remaining > 0]
        if not lots:
            return None
        available = sum(lot.remaining for lot in lots if not lot.pending)
        pending = sum(lot.remaining for lot in lots if lot.pending)
        entry = await self._append(
            self._entry(
                EntryKind.EXPIRE,
                available_delta=-available,
                pending_delta=-pending,
                reason=reason,
                actor=BY_SYSTEM,
            )
        )
        await self._ledger.draw(entry.id, [LotDraw(lot.id, lot.remaining) for lot in lots])
        return entry

    async def credit(
        self,
        points: int,
        *,
        kind: EntryKind,
        available_at: datetime,
        expires_at: datetime | None,
        reason: str | None = None,
        note: str | None = None,
        idempotency_key: str | None = None,
        actor: str | None = None,
        order_id: str | None = None,
        rate: str | None = None,
        config_version: int | None = None,
        answers_key: bool = False,
    ) -> LedgerEntry:
        """Adds a lot of `points`: pending until `available_at`, then available (paying any
        debt first)."""
        self._active = True
        pending = available_at > self.now
        repay = 0 if pending else min(self.balance.debt, points)
        entry = await self._append(
            self._entry(
                kind,
                available_delta=0 if pending else points - repay,
                pending_delta=points if pending else 0,
                lifetime_delta=points,
                debt_delta=-repay,
                reason=reason,
                note=note,
                idempotency_key=idempotency_key,
                actor=actor,
                order_id=order_id,
                rate=rate,
                config_version=config_version,
                answers_key=answers_key,
            )
        )
        await self._ledger.add_lot(
            entry.id,
            self.member_id,
            self.wallet,
            points,
            points - repay,
            available_at,
            expires_at,
            pending=pending,
            order_id=order_id,
        )
        return entry

    async def spend(
        self,
        points: int,
        *,
        kind: EntryKind,
        reason: str | None = None,
        note: str | None = None,
        idempotency_key: str | None = None,
        actor: str | None = None,
        answers_key: bool = False,
    ) -> LedgerEntry:
        """Takes `points` from available lots, soonest to expire first, or refuses."""
        self._active = True
        lots = await self._ledger.spendable_lots(
            self.member_id, self.wallet, self.now, covering=points
        )
        draws = plan_spend(lots, points, self.now)
        entry = await self._append(
            self._entry(
                kind,
                available_delta=-points,
                reason=reason,
                note=note,
                idempotency_key=idempotency_key,
                actor=actor,
                answers_key=answers_key,
            )
        )
        await self._ledger.draw(entry.id, draws)
        return entry

    async def reverse(
        self,
        points: int,
        *,
        order_id: str,
        policy: RefundPolicy,
        reason: str,
        idempotency_key: str | None = None,
        rate: str | None = None,
        config_version: int | None = None,
    ) -> LedgerEntry:
        """Takes back `points` an order earned: first its own pending points (voided), then
        its own available ones, then other available points; what is still missing is a
        shortfall, recorded, and under ALLOW_NEGATIVE owed as debt."""
        self._active = True
        own = await self._ledger.order_lots(order_id, self.member_id, self.wallet)
        own_pending = [lot for lot in own if lot.pending]
        own_available = [lot for lot in own if not lot.pending]
        draws = _take(own_pending, points)
        from_pending = sum(d.points for d in draws)
        rest = points - from_pending
        own_draws = _take(own_available, rest)
        draws += own_draws
        rest -= sum(d.points for d in own_draws)
        if rest:
            used = {d.lot_id for d in draws}
            # The order's own lots may come first in spend order: read past them too.
            covering = rest + sum(lot.remaining for lot in own_available)
            others = [
                lot
                for lot in await self._ledger.spendable_lots(
                    self.member_id, self.wallet, self.now, covering=covering
                )
                if lot.id not in used
            ]
            other_draws = _take(spend_order(others), rest)
            draws += other_draws
            rest -= sum(d.points for d in other_draws)
        shortfall = rest
        entry = await self._append(
            self._entry(
                EntryKind.REVERSE,
                available_delta=-(points - from_pending - shortfall),
                pending_delta=-from_pending,
                lifetime_delta=-points,
                debt_delta=shortfall if policy is RefundPolicy.ALLOW_NEGATIVE else 0,
                shortfall=shortfall,
                reason=reason,
                idempotency_key=idempotency_key,
                order_id=order_id,
                rate=rate,
                config_version=config_version,
            )
        )
        if draws:
            await self._ledger.draw(entry.id, draws)
        return entry

    async def restore(
        self, spend_entry_id: int, points: int, *, reason: str, by_member: bool = True
    ) -> LedgerEntry:
        """Gives back the points of a spending entry to the very lots they came from, so
        they keep their expiry dates (lots expired meanwhile expire again at once).

        `by_member` is False when time gave them back (an unused code expiring): that is
        no activity, so it must not keep an idle balance from its inactivity expiry."""
        self._active = self._active or by_member
        repay = min(self.balance.debt, points)
        entry = await self._append(
            self._entry(
                EntryKind.REVERSE,
                available_delta=points - repay,
                debt_delta=-repay,
                reason=reason,
            )
        )
        restored = await self._ledger.undraw(spend_entry_id)
        if repay:
            await self._ledger.draw(entry.id, _take(spend_order(restored), repay))
        await self.settle()
        return entry

    def note_activity(self) -> None:
        """The member did something that moved no points (an order that earned nothing)."""
        self._active = self._touched = True

    async def save(self) -> Balance:
        if self._touched:
            await self._ledger.save_balance(
                self.balance, activity_at=self.now if self._active else None
            )
        return self.balance


def _matured_before_expiry(lot: Lot) -> bool:
    return lot.expires_at is None or lot.available_at < lot.expires_at


def _take(lots: list[Lot], points: int) -> list[LotDraw]:
    """Draws up to `points` from `lots` in the order given."""
    draws: list[LotDraw] = []
    left = points
    for lot in lots:
        if left <= 0:
            break
        take = min(lot.remaining, left)
        if take > 0:
            draws.append(LotDraw(lot.id, take))
            left -= take
    return draws
