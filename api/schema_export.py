"""Writes the schema SDL to graphql/schema.graphql and the index of where each field is
defined to api/schema/README.md (`loyalty schema`), and reads them for tests."""

from __future__ import annotations

from pathlib import Path

from strawberry.printer import print_schema

from api.schema import field_index
from api.schema.build import LoyaltySchema, build_schema
from api.settings import Settings

SCHEMA_FILE = Path(__file__).resolve().parent.parent / "graphql" / "schema.graphql"


def _schema() -> LoyaltySchema:
    return build_schema(Settings(_env_file=None))  # type: ignore[call-arg]


def current_sdl() -> str:
    return print_schema(_schema()) + "\n"


def current_index_readme() -> str:
    """api/schema/README.md with its field index as the code defines it now."""
    return field_index.with_index(field_index.README.read_text(), field_index.index(_schema()))
