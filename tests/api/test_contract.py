"""The public contract: schema.graphql is current, and `graphql` is graphql-core."""

from __future__ import annotations

from pathlib import Path

import graphql

from api.schema.field_index import README
from api.schema_export import SCHEMA_FILE, current_index_readme, current_sdl

ROOT = Path(__file__).resolve().parents[2]


def test_schema_file_matches_the_code():
    assert SCHEMA_FILE.read_text() == current_sdl(), (
        "graphql/schema.graphql is out of date: run `loyalty schema`"
    )


_INDEX_ROWS = tuple(f"| {kind} |" for kind in ("query", "mutation", "type", "input", "enum"))


def test_field_index_matches_the_code():
    # given the index of api/schema/README.md and the one the code gives
    written, current = README.read_text(), current_index_readme()

    # then they are the same, and every file it points to is there
    assert written == current, (
        "api/schema/README.md's field index is out of date: run `loyalty schema`"
    )
    rows = [line for line in current.splitlines() if line.startswith(_INDEX_ROWS)]
    files = {row.split("`")[3] for row in rows}
    assert files and all((ROOT / f).is_file() for f in files)


def test_graphql_import_is_graphql_core_not_the_contract_folder():
    assert "site-packages" in graphql.__file__
    assert not Path(graphql.__file__).is_relative_to(ROOT / "graphql")


def test_contract_folder_holds_no_python():
    assert not list((ROOT / "graphql").rglob("*.py"))
