"""Writes the schema SDL to graphql/schema.graphql (`loyalty schema`), and reads it for tests."""

from __future__ import annotations

from pathlib import Path

from strawberry.printer import print_schema

from api.schema.build import build_schema
from api.settings import Settings

SCHEMA_FILE = Path(__file__).resolve().parent.parent / "graphql" / "schema.graphql"


def current_sdl() -> str:
    return print_schema(build_schema(Settings(_env_file=None))) + "\n"  # type: ignore[call-arg]
