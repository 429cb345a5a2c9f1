"""How updateReward merges into a reward: fields left out keep their values, and only the
optional terms of a reward may be set back to null."""

from __future__ import annotations

from collections.abc import Mapping

from domain.errors import DomainError
from domain.partial_updates import PartialUpdate

# Optional terms; the others (name, kind, costs' floor, code shape…) always need a value.
CLEARABLE = frozenset(
    {
        "image_url",
        "value_minor",
        "percentage",
        "max_discount_minor",
        "sku",
        "points_cost",
        "min_points",
        "max_points",
        "step_points",
        "value_per_step_minor",
        "valid_days",
        "starts_at",
        "ends_at",
        "stock",
        "per_member_limit",
        "per_member_period",
    }
)


def reward_update(values: Mapping[str, object], cleared: Mapping[str, str | None]) -> PartialUpdate:
    """The update of `values`, and of the fields to clear: each keyed by the name the caller
    gave it (which the refusal repeats), with the reward's field, or None when the name is
    no field's."""
    for named, field in cleared.items():
        if field is None or field not in CLEARABLE:
            raise DomainError(f"{named} cannot be cleared.", field=("clear",))
    return PartialUpdate.of(values, (f for f in cleared.values() if f is not None))
