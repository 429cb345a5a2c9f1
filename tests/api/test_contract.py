"""The public contract: schema.graphql is current, and `graphql` is graphql-core."""

from __future__ import annotations

from pathlib import Path

import graphql

from api.schema_export import SCHEMA_FILE, current_sdl

ROOT = Path(__file__).resolve().parents[2]


def test_schema_file_matches_the_code():
    assert SCHEMA_FILE.read_text() == current_sdl(), (
        "graphql/schema.graphql is out of date: run `loyalty schema`"
    )


def test_graphql_import_is_graphql_core_not_the_contract_folder():
    assert "site-packages" in graphql.__file__
    assert not Path(graphql.__file__).is_relative_to(ROOT / "graphql")


def test_contract_folder_holds_no_python():
    assert not list((ROOT / "graphql").rglob("*.py"))
