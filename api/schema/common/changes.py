"""Inputs of update mutations, where only the fields given change."""

from __future__ import annotations


def given(**fields: object) -> dict[str, object]:
    """The fields an input gave; one left out (null) keeps its current value."""
    return {name: value for name, value in fields.items() if value is not None}
