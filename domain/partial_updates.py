"""Partial updates of configuration: an update names the fields it changes, and every field
it leaves out keeps its current value."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any, TypeVar

T = TypeVar("T")


def given(**fields: object) -> dict[str, object]:
    """The fields an update gave; one left out (None) keeps its current value."""
    return {name: value for name, value in fields.items() if value is not None}


@dataclass(frozen=True, slots=True)
class PartialUpdate:
    """New values by field name (None: left out), and the fields set back to null.

    A field both given and cleared is cleared: the explicit request to forget a value is
    the one a client cannot send by accident."""

    values: Mapping[str, object]
    cleared: frozenset[str] = frozenset()

    @classmethod
    def of(cls, values: Mapping[str, object], cleared: Iterable[str] = ()) -> PartialUpdate:
        return cls(values, frozenset(cleared))

    def changes(self) -> dict[str, object]:
        """Each field the update changes, with its new value."""
        out = given(**self.values)
        out.update(dict.fromkeys(self.cleared))
        return out

    def applied_to(self, current: T) -> T:
        """`current` (a dataclass) with this update's changes."""
        changes: dict[str, Any] = self.changes()
        return replace(current, **changes)  # type: ignore[type-var]
