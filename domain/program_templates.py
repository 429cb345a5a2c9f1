"""Program templates: a tenant's program as one JSON document (a snapshot), and what applying
one to a tenant changes.

A snapshot has the program configuration (earning rules, actions, stamp card, welcome
offer, birthday gift), the referral settings, the tier settings, and the tiers, rewards,
surveys and segments in use. Applying it makes the target's program the snapshot's:

- the configuration and the referral settings become new versions when they differ;
- tiers (by name), rewards (by name) and surveys (by kind and question) are added or
  updated, and those the snapshot lacks are archived (kept for history, as archiving by
  hand does);
- segments (by key) are added or updated; a segment the snapshot lacks is left alone, since
  campaigns may name it.

Rewards are named by id in the configuration (welcome offer, birthday gift, referral
rewards): those ids are rewritten to the target's rewards of the same name. Members, points,
codes and history never move.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from domain.errors import DomainError

SECTIONS = ("program", "referrals", "tierSettings", "tiers", "rewards", "surveys", "segments")
MAX_TEMPLATE_NAME = 100
_NAME = re.compile(r"\S")

Snapshot = dict[str, Any]


class ChangeKind(StrEnum):
    ADD = "ADD"
    UPDATE = "UPDATE"
    ARCHIVE = "ARCHIVE"


@dataclass(frozen=True, slots=True)
class Change:
    section: str  # one of SECTIONS
    key: str  # the item's name, key or question; the section's name for settings
    kind: ChangeKind
    before: Any
    after: Any


def clean_template_name(name: str) -> str:
    cleaned = " ".join(name.split())
    if not _NAME.search(cleaned) or len(cleaned) > MAX_TEMPLATE_NAME:
        raise DomainError(f"name must be 1 to {MAX_TEMPLATE_NAME} characters.", field=("name",))
    return cleaned


def item_key(section: str, item: dict[str, Any]) -> str:
    """What an item of a list section is matched by across tenants."""
    if section == "segments":
        return str(item["key"])
    if section == "surveys":
        return f"{item['kind']}: {str(item['question']).casefold()}"
    return str(item["name"]).casefold()


def _settings_change(section: str, before: Any, after: Any) -> list[Change]:
    if after is None or before == after:
        return []
    return [Change(section, section, ChangeKind.UPDATE, before, after)]


def plan(source: Snapshot, target: Snapshot) -> list[Change]:
    """What applying `source` to a tenant whose program is `target` changes; `source` has
    its reward ids already rewritten to the target's (`remap`)."""
    changes: list[Change] = []
    for section in ("program", "referrals", "tierSettings"):
        changes += _settings_change(section, target.get(section), source.get(section))
    for section in ("tiers", "rewards", "surveys", "segments"):
        have = {item_key(section, i): i for i in target.get(section, [])}
        want = {item_key(section, i): i for i in source.get(section, [])}
        for key, item in want.items():
            old = have.get(key)
            if old is None:
                changes.append(Change(section, key, ChangeKind.ADD, None, item))
            elif _comparable(old) != _comparable(item):
                changes.append(Change(section, key, ChangeKind.UPDATE, old, item))
        if section != "segments":
            for key, item in have.items():
                if key not in want:
                    changes.append(Change(section, key, ChangeKind.ARCHIVE, item, None))
    return changes


def _comparable(item: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in item.items() if k != "id"}


def reward_ids(source: Snapshot, target: Snapshot) -> dict[str, str | None]:
    """Source reward id → the id the same reward has (or will have) in the target: the
    target's reward of that name, else None (a new one)."""
    theirs = {item_key("rewards", r): r["id"] for r in target.get("rewards", [])}
    return {r["id"]: theirs.get(item_key("rewards", r)) for r in source.get("rewards", [])}


def remap(value: Any, ids: dict[str, str]) -> Any:
    """`value` with every string that is a key of `ids` replaced by its value."""
    if isinstance(value, dict):
        return {k: remap(v, ids) for k, v in value.items()}
    if isinstance(value, list):
        return [remap(v, ids) for v in value]
    if isinstance(value, str):
        return ids.get(value, value)
    return value
