"""A tenant's stamp card: the `stamps` wallet, what earns stamps, and what a full card gives.

The card is part of the program configuration, versioned with it, so an order's stamps are
reversed by the card they were earned under. Stamps live in the ledger like points (their
own wallet, lots, expiry); this module only says what the card is and checks it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from domain.errors import DomainError
from domain.lot_expiry import MAX_AFTER, LotExpiry, expiry_from_json, expiry_to_json
from domain.rule_ids import check_rule_id

STAMPS_WALLET = "stamps"
MAX_CARD_SIZE = 1_000
MAX_STAMPS_PER_RULE = 100
MAX_STAMP_RULES = 50
MAX_REWARD_POINTS = 1_000_000
_ACTION_KEY = re.compile(r"^[a-z][a-z0-9_]{0,62}$")


@dataclass(frozen=True, slots=True)
class StampRule:
    """Stamps for an order (its paid value at least `min_order_minor`), per unit of the lines
    matching `skus` or `categories` when given, or per recorded `action` (a visit)."""

    id: str
    stamps: int
    skus: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    min_order_minor: int = 0
    action: str | None = None
    active: bool = True

    @property
    def targets_lines(self) -> bool:
        return bool(self.skus or self.categories)


@dataclass(frozen=True, slots=True)
class StampCard:
    """`card_size` stamps complete a card into `reward_points` points or one catalog reward
    (`reward_id`). A card that `resets` starts again, stamps beyond the card carrying over;
    one that does not completes once per member and earns nothing after."""

    enabled: bool = False
    card_size: int = 10
    rules: tuple[StampRule, ...] = ()
    reward_points: int | None = None
    reward_id: UUID | None = None
    expiry: LotExpiry | None = None
    resets: bool = True


def _bounded(value: int, field: tuple[str, ...], low: int, high: int) -> None:
    if value < low or value > high:
        raise DomainError(f"{field[-1]} must be between {low} and {high}.", field=field)


def validate_card(card: StampCard) -> StampCard:
    """Checks every field; an enabled card needs exactly one reward and one rule."""
    _bounded(card.card_size, ("cardSize",), 1, MAX_CARD_SIZE)
    if card.reward_points is not None and card.reward_id is not None:
        raise DomainError("Give rewardPoints or rewardId, not both.", field=("rewardId",))
    if card.reward_points is not None:
        _bounded(card.reward_points, ("rewardPoints",), 1, MAX_REWARD_POINTS)
    if card.enabled and card.reward_points is None and card.reward_id is None:
        raise DomainError(
            "An enabled card needs rewardPoints or rewardId.", field=("rewardPoints",)
        )
    if card.enabled and not any(rule.active for rule in card.rules):
        raise DomainError("An enabled card needs an active rule.", field=("rules",))
    if card.expiry is not None:
        _bounded(card.expiry.after, ("expiry", "after"), 1, MAX_AFTER[card.expiry.unit])
    if len(card.rules) > MAX_STAMP_RULES:
        raise DomainError(f"At most {MAX_STAMP_RULES} stamp rules.", field=("rules",))
    seen: set[str] = set()
    for i, rule in enumerate(card.rules):
        where = ("rules", str(i))
        check_rule_id(rule.id, seen, where)
        _bounded(rule.stamps, (*where, "stamps"), 1, MAX_STAMPS_PER_RULE)
        _bounded(rule.min_order_minor, (*where, "minOrderValue"), 0, 10**12)
        if rule.action is not None:
            if not _ACTION_KEY.match(rule.action):
                raise DomainError("Unknown action key.", field=(*where, "action"))
            if rule.targets_lines or rule.min_order_minor:
                raise DomainError(
                    "An action rule stamps each action: no skus, categories or minimum.",
                    field=(*where, "action"),
                )
    return card


# --- storage form -------------------------------------------------------------------------


def card_to_json(card: StampCard) -> dict[str, Any]:
    return {
        "enabled": card.enabled,
        "card_size": card.card_size,
        "rules": [
            {
                "id": r.id,
                "stamps": r.stamps,
                "skus": list(r.skus),
                "categories": list(r.categories),
                "min_order_minor": r.min_order_minor,
                "action": r.action,
                "active": r.active,
            }
            for r in card.rules
        ],
        "reward_points": card.reward_points,
        "reward_id": str(card.reward_id) if card.reward_id else None,
        "expiry": expiry_to_json(card.expiry),
        "resets": card.resets,
    }


def card_from_json(data: dict[str, Any]) -> StampCard:
    return StampCard(
        enabled=data["enabled"],
        card_size=data["card_size"],
        rules=tuple(
            StampRule(
                id=r["id"],
                stamps=r["stamps"],
                skus=tuple(r.get("skus", ())),
                categories=tuple(r.get("categories", ())),
                min_order_minor=r.get("min_order_minor", 0),
                action=r.get("action"),
                active=r.get("active", True),
            )
            for r in data.get("rules", ())
        ),
        reward_points=data.get("reward_points"),
        reward_id=UUID(data["reward_id"]) if data.get("reward_id") else None,
        expiry=expiry_from_json(data.get("expiry")),
        resets=data.get("resets", True),
    )
