"""What earns stamps and when cards complete: pure functions of the card and the order.

recordOrder, recordAction and refundOrder call these inside their transactions
(domain/stamps.py); they never touch the ledger themselves.
"""

from __future__ import annotations

from datetime import datetime

from domain.earning import Order, expiry_for, units_targeted
from domain.errors import DomainError
from domain.lot_expiry import expires_at
from domain.program import ProgramConfig
from domain.stamp_card import STAMPS_WALLET, StampCard

# What one order or action may add to a member's stamps: an order of many units matching a
# per-unit rule stops here instead of completing thousands of cards (and issuing thousands
# of codes) in one transaction.
MAX_STAMPS_PER_CHANGE = 1_000


def stamps_for_order(card: StampCard | None, order: Order) -> int:
    """Stamps an order earns: each live order rule whose minimum its paid value meets, per
    matching unit for a rule that targets lines."""
    if card is None or not card.enabled:
        return 0
    paid = order.paid_minor
    total = 0
    for rule in card.rules:
        if not rule.active or rule.action is not None or paid < rule.min_order_minor:
            continue
        if rule.targets_lines:
            total += rule.stamps * units_targeted(order, rule.skus, rule.categories)
        else:
            total += rule.stamps
    return min(total, MAX_STAMPS_PER_CHANGE)


def stamps_for_action(card: StampCard | None, action: str) -> int:
    """Stamps one recorded action earns (a visit, a check-in)."""
    if card is None or not card.enabled:
        return 0
    total = sum(r.stamps for r in card.rules if r.active and r.action == action)
    return min(total, MAX_STAMPS_PER_CHANGE)


def stamps_to_credit(card: StampCard, earned: int, collected: int, completed: int) -> int:
    """What of `earned` goes on the card: all of it when cards reset (the surplus carries
    over to the next card); else only what fills the one card, and nothing once it is done."""
    if card.resets:
        return earned
    if completed > 0:
        return 0
    return max(min(earned, card.card_size - collected), 0)


def cards_due(card: StampCard, collected: int, completed: int) -> int:
    """How many cards `collected` stamps complete now."""
    if collected < card.card_size:
        return 0
    if not card.resets:
        return 0 if completed > 0 else 1
    return collected // card.card_size


def on_card(card_size: int, collected: int) -> int:
    """Stamps shown on the current card: a full card waiting for its reward shows full."""
    return min(collected, card_size) if collected > 0 else 0


def refuse_closed_wallet(program: ProgramConfig, wallet: str) -> None:
    """The stamps wallet takes changes only while the program has a stamp card."""
    if wallet == STAMPS_WALLET and program.stamp_card is None:
        raise DomainError("This program has no stamp card: configure one first.", field=("wallet",))


def wallet_expiry(program: ProgramConfig, wallet: str, earned_at: datetime) -> datetime | None:
    """When a lot of `wallet` earned at `earned_at` expires: stamps by the card's rule."""
    if wallet == STAMPS_WALLET and program.stamp_card is not None:
        return expires_at(program.stamp_card.expiry, earned_at)
    return expiry_for(program, earned_at)
