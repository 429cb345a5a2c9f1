"""The tenant archive's manifest: what is accepted, what is refused as damaged, and the
schema version an archive loads at."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from domain.tenant_archive import (
    ArchiveRefused,
    Manifest,
    TableFile,
    migrations_to_load_at,
    parse_manifest,
    require_same_file,
)

GOOD = Manifest(
    tenant_id="0b3c",
    slug="shop",
    name="Shop",
    exported_at=datetime(2026, 12, 4, tzinfo=UTC),
    migrations=(1, 2, 4),
    tables=(TableFile("members", "tables/members.jsonl", 2, 30, "a" * 64),),
)


def _raw(**changes) -> bytes:
    doc = GOOD.as_json()
    doc.update(changes)
    return json.dumps(doc).encode()


def test_a_manifest_reads_back_as_written():
    assert parse_manifest(_raw()) == GOOD
    assert GOOD.total_rows() == 2 and GOOD.schema_version == 4


@pytest.mark.parametrize(
    "raw",
    [
        b"not json",
        _raw(format="something else"),
        _raw(formatVersion=2),
        _raw(tables=[{"table": "members"}]),
        _raw(tables=[{**GOOD.tables[0].as_json(), "file": "../etc/passwd"}]),
        _raw(
            tables=[
                {**GOOD.tables[0].as_json(), "table": 'x"; DROP', "file": 'tables/x"; DROP.jsonl'}
            ]
        ),
        _raw(tables=[{**GOOD.tables[0].as_json(), "sha256": "zz"}]),
        _raw(tables=[GOOD.tables[0].as_json(), GOOD.tables[0].as_json()]),
    ],
)
def test_a_damaged_or_foreign_manifest_is_refused(raw):
    with pytest.raises(ArchiveRefused):
        parse_manifest(raw)


def test_a_file_that_differs_from_its_entry_is_refused():
    entry = GOOD.tables[0]
    require_same_file(entry, 2, 30, "a" * 64)
    for rows, size, digest in ((3, 30, "a" * 64), (2, 31, "a" * 64), (2, 30, "b" * 64)):
        with pytest.raises(ArchiveRefused, match="corrupt"):
            require_same_file(entry, rows, size, digest)


def test_an_archive_loads_at_its_last_version_when_the_versions_below_agree():
    assert migrations_to_load_at((1, 2, 4), (1, 2, 4, 5, 7)) == 4
    with pytest.raises(ArchiveRefused):  # made by a version with a migration unknown here
        migrations_to_load_at((1, 2, 4, 9), (1, 2, 4, 5))
    with pytest.raises(ArchiveRefused):  # this version has one below the archive's last
        migrations_to_load_at((1, 4), (1, 2, 4, 5))
