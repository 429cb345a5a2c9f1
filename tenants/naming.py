"""Tenant slugs and schema names: validated here, before either can reach SQL."""

from __future__ import annotations

import re

from domain.errors import DomainError

_SLUG = re.compile(r"^[a-z][a-z0-9-]{1,47}[a-z0-9]$")
_SCHEMA = re.compile(r"^t_[a-z0-9_]{1,55}$")
CONTROL_SCHEMA = "control"


def validate_slug(slug: str) -> str:
    cleaned = slug.strip().lower()
    if not _SLUG.match(cleaned) or "--" in cleaned:
        raise DomainError(
            "slug must be 3 to 49 characters: lowercase letters, digits and single hyphens, "
            "starting with a letter.",
            field=("slug",),
        )
    return cleaned


def schema_for(slug: str) -> str:
    return assert_schema_name("t_" + validate_slug(slug).replace("-", "_"))


def assert_schema_name(name: str) -> str:
    """Refuses anything that is not a tenant schema name: the last guard before SQL."""
    if not _SCHEMA.match(name):
        raise ValueError(f"not a tenant schema name: {name!r}")
    return name


def quote_schema(name: str) -> str:
    if name != CONTROL_SCHEMA:
        assert_schema_name(name)
    return '"' + name + '"'
