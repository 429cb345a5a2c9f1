"""Given a folder of documents, the persisted set knows each by the sha256 of its bytes as
stored, and a process told to require persisted queries with none to offer does not start."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from api.http.persisted_queries import PersistedQueries, read_documents
from api.settings import Settings

WINDOWS_LINES = "# Caf\u00e9 r\u00e9sum\u00e9\r\nquery Program {\r\n  program { name }\r\n}\r\n"


def test_a_document_is_known_by_the_sha256_of_its_bytes(tmp_path: Path):
    (tmp_path / "mobile").mkdir()
    file = tmp_path / "mobile" / "Program.graphql"
    file.write_bytes(WINDOWS_LINES.encode("utf-8"))

    [document] = read_documents(tmp_path)

    assert document.sha256 == hashlib.sha256(file.read_bytes()).hexdigest()
    assert document.text == WINDOWS_LINES
    assert (document.name, document.client) == ("Program", "mobile")
    assert document.path == "graphql/operations/mobile/Program.graphql"


def test_requiring_persisted_queries_without_any_fails_at_start(tmp_path: Path):
    settings = Settings(
        environment="production", require_persisted_queries=True, operations_dir=tmp_path
    )

    with pytest.raises(RuntimeError, match="holds no documents"):
        PersistedQueries.from_settings(settings)


@pytest.mark.parametrize(
    ("environment", "asked", "required"),
    [
        ("production", True, True),
        ("production", False, False),
        ("development", True, False),
    ],
)
def test_persisted_queries_are_required_only_in_production(
    environment: str, asked: bool, required: bool
):
    settings = Settings(environment=environment, require_persisted_queries=asked)  # type: ignore[arg-type]

    assert PersistedQueries.from_settings(settings).required is required
