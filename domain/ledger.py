"""The points ledger: balances, lots and the append-only entries that explain them.

Every change of points is one entry carrying three deltas (available, pending, lifetime),
so a balance row is always the column-wise sum of its member's entries.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from uuid import UUID

from domain.errors import DomainError, ErrorCode, InsufficientPoints
from domain.stamp_card import STAMPS_WALLET

DEFAULT_WALLET = "points"
# The wallets a program may have: its points, and the stamp card's stamps.
KNOWN_WALLETS = frozenset({DEFAULT_WALLET, STAMPS_WALLET})
# One request may not move more than this: it keeps every member's points inside GraphQL's
# 32-bit Int and catches a misplaced decimal point before it reaches the ledger.
MAX_POINTS_PER_CHANGE = 10_000_000
# What one member's balance may hold: GraphQL's Int, in which clients read available,
# pending and lifetime. A change that would take available + pending (what maturing can
# move into available) or lifetime past it is refused, so no page of members ever holds a
# number its type cannot carry.
MAX_BALANCE = 2**31 - 1
MAX_REASON = 500


class EntryKind(StrEnum):
    EARN = "EARN"
    REDEEM = "REDEEM"
    EXPIRE = "EXPIRE"
    REVERSE = "REVERSE"
    ADJUST = "ADJUST"
    MATURE = "MATURE"


@dataclass(frozen=True, slots=True)
class Balance:
    member_id: UUID
    wallet: str
    available: int
    pending: int
    lifetime: int
    version: int
    debt: int = 0

    @classmethod
    def empty(cls, member_id: UUID, wallet: str = DEFAULT_WALLET) -> Balance:
        return cls(member_id, wallet, 0, 0, 0, 0)

    @property
    def spendable(self) -> int:
        """What the member sees as available: negative while a refund left a debt."""
        return self.available - self.debt

    def refuse_overflow(self, available: int, pending: int, lifetime: int) -> None:
        """Refuses deltas that would take this balance past MAX_BALANCE; a change that
        lowers the balance is never refused."""
        held = self.available + available + self.pending + pending
        if (available + pending > 0 and held > MAX_BALANCE) or (
            lifetime > 0 and self.lifetime + lifetime > MAX_BALANCE
        ):
            raise DomainError(
                f"This would take the member's points past {MAX_BALANCE:,}.",
                code=ErrorCode.INVALID_AMOUNT,
            )

    def apply(self, available: int, pending: int, lifetime: int, debt: int = 0) -> Balance:
        return replace(
            self,
            available=self.available + available,
            pending=self.pending + pending,
            lifetime=self.lifetime + lifetime,
            debt=self.debt + debt,
            version=self.version + 1,
        )


@dataclass(frozen=True, slots=True)
class Lot:
    id: int
    member_id: UUID
    wallet: str
    points: int
    remaining: int
    available_at: datetime
    expires_at: datetime | None
    pending: bool = False
    order_id: str | None = None


@dataclass(frozen=True, slots=True)
class NewEntry:
    member_id: UUID
    wallet: str
    kind: EntryKind
    available_delta: int
    pending_delta: int
    lifetime_delta: int
    reason: str | None = None
    note: str | None = None
    idempotency_key: str | None = None
    actor: str | None = None
    debt_delta: int = 0
    shortfall: int = 0
    order_id: str | None = None
    rate: str | None = None
    config_version: int | None = None
    # The entry is the first result of its idempotency key: `{"entryId": id}` is recorded
    # with the key in the statement that appends the entry, not in a round trip of its own.
    answers_key: bool = False

    def written(self, id: int, at: datetime) -> LedgerEntry:
        """The entry as the ledger keeps it once appended as `id` at `at`."""
        return LedgerEntry(
            id=id,
            member_id=self.member_id,
            wallet=self.wallet,
            kind=self.kind,
            available_delta=self.available_delta,
            pending_delta=self.pending_delta,
            lifetime_delta=self.lifetime_delta,
            reason=self.reason,
            note=self.note,
            created_at=at,
            debt_delta=self.debt_delta,
            shortfall=self.shortfall,
            order_id=self.order_id,
            rate=self.rate,
            config_version=self.config_version,
            actor=self.actor,
        )


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    id: int
    member_id: UUID
    wallet: str
    kind: EntryKind
    available_delta: int
    pending_delta: int
    lifetime_delta: int
    reason: str | None
    note: str | None
    created_at: datetime
    debt_delta: int = 0
    shortfall: int = 0
    order_id: str | None = None
    rate: str | None = None
    config_version: int | None = None
    actor: str | None = None  # who made it, as domain/entry_actors.py writes it

    @property
    def points(self) -> int:
        """What the member sees for this line: the change of available, else of pending."""
        return self.available_delta or self.pending_delta


@dataclass(frozen=True, slots=True)
class LotDraw:
    lot_id: int
    points: int


def validate_points(points: int, *, field: tuple[str, ...] = ("points",)) -> int:
    if points == 0 or abs(points) > MAX_POINTS_PER_CHANGE:
        raise DomainError(
            f"points must be non-zero and at most {MAX_POINTS_PER_CHANGE:,} either way.",
            field=field,
            code=ErrorCode.INVALID_AMOUNT,
        )
    return points


def validate_reason(text: str | None, field: str) -> str | None:
    if text is None:
        return None
    cleaned = text.strip()
    if len(cleaned) > MAX_REASON:
        raise DomainError(f"{field} must be at most {MAX_REASON} characters.", field=(field,))
    return cleaned or None


def validate_wallet(wallet: str | None, known: frozenset[str] = KNOWN_WALLETS) -> str:
    """The wallet named, or the default one; an unknown wallet is refused, never created.

    Reading the stamps wallet of a program without a stamp card answers an empty balance;
    changing it is refused where the program is read (stamp_rules.refuse_closed_wallet)."""
    if wallet is None:
        return DEFAULT_WALLET
    if wallet not in known:
        raise DomainError(
            f"Unknown wallet {wallet[:40]!r}; this program has: {', '.join(sorted(known))}.",
            field=("wallet",),
        )
    return wallet


def spend_order(lots: list[Lot]) -> list[Lot]:
    """Lots in the order points leave them: soonest to expire first, never-expiring last."""
    return sorted(
        lots, key=lambda lot: (lot.expires_at is None, lot.expires_at or lot.available_at, lot.id)
    )


def plan_spend(lots: list[Lot], points: int, now: datetime) -> list[LotDraw]:
    """Which lots pay for `points`, soonest to expire first; refuses what the lots can't cover."""
    draws: list[LotDraw] = []
    left = points
    for lot in spend_order(lots):
        if left == 0:
            break
        if lot.remaining <= 0 or lot.pending:
            continue
        if lot.expires_at is not None and lot.expires_at <= now:
            continue
        take = min(lot.remaining, left)
        draws.append(LotDraw(lot.id, take))
        left -= take
    if left > 0:
        raise InsufficientPoints(
            f"Not enough points: {points} needed, {points - left} available.", field=("points",)
        )
    return draws
