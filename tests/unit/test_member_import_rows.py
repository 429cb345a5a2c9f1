"""The rules of an import's rows and columns (domain/member_import.py), without a database."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from uuid import uuid4

import pytest

from domain.errors import DomainError, ErrorCode
from domain.member_import import (
    ImportFormat,
    RowRules,
    SeenInFile,
    check_row,
    import_id_of,
    read_columns,
    row_key,
)
from domain.member_import_files import ImportFile, guess_format
from domain.tiers import Tier

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
GOLD = Tier(uuid4(), "Gold", 500, Decimal(1), (), False, NOW, NOW)
RULES = RowRules.of([GOLD], NOW)


def test_headers_of_other_platforms_name_the_same_columns():
    known, ignored = read_columns(["External ID", "customerEmail", "Points", "tags", "points"])
    assert known == {
        "External ID": "external_id",
        "customerEmail": "email",
        "Points": "points_balance",
    }
    assert ignored == ["tags", "points"]


def test_a_full_row_is_checked_and_cleaned():
    row = check_row(
        7,
        {
            "external_id": " c-1 ",
            "email": "Ann@Example.com",
            "first_name": "Ann",
            "last_name": "Lee",
            "birthday": "1990-04-05",
            "points_balance": "1,200",
            "lifetime_points": 1500,
            "tier": "gold",
            "enrolled_at": "2024-05-06 10:00:00",
        },
        RULES,
    )
    assert (row.line, row.external_id, row.name, row.points, row.lifetime) == (
        7, "c-1", "Ann Lee", 1200, 1500,
    )  # fmt: skip
    assert row.tier_id == GOLD.id
    assert row.enrolled_at == datetime(2024, 5, 6, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("record", "field", "code"),
    [
        ({"name": "No one"}, "externalId", ErrorCode.REQUIRED),
        ({"email": "nope"}, "email", ErrorCode.INVALID),
        ({"external_id": "a", "points_balance": "-5"}, "points_balance", ErrorCode.INVALID),
        ({"external_id": "a", "points_balance": "1.5"}, "points_balance", ErrorCode.INVALID),
        (
            {"external_id": "a", "points_balance": 9, "lifetime_points": 3},
            "lifetime_points",
            ErrorCode.INVALID,
        ),
        ({"external_id": "a", "tier": "Platinum"}, "tier", ErrorCode.NOT_FOUND),
        ({"external_id": "a", "enrolled_at": "2030-01-01"}, "enrolled_at", ErrorCode.INVALID),
        ({"external_id": "a", "birthday": "05/04/1990"}, "birthday", ErrorCode.INVALID),
    ],
)
def test_a_bad_row_is_refused_naming_its_column(record, field, code):
    with pytest.raises(DomainError) as refused:
        check_row(2, record, RULES)
    assert refused.value.field == (field,)
    assert refused.value.code is code


def test_a_second_row_naming_the_same_member_is_refused():
    seen = SeenInFile()
    seen.refuse_repeat(check_row(2, {"external_id": "a", "email": "a@x.example"}, RULES))
    with pytest.raises(DomainError) as refused:
        seen.refuse_repeat(check_row(5, {"external_id": "b", "email": "A@x.example"}, RULES))
    assert refused.value.message == "Line 2 already has this email."


def test_the_same_row_has_the_same_digest_on_any_line():
    one = check_row(2, {"external_id": "a", "points_balance": "5"}, RULES)
    later = RowRules.of([GOLD], NOW.replace(year=2027))
    other = check_row(9, {"external_id": "a", "points_balance": "5"}, later)
    assert one.digest == other.digest
    assert one.digest != check_row(2, {"external_id": "a", "points_balance": "6"}, RULES).digest


def test_a_file_is_one_import_and_each_row_one_key():
    file = ImportFile.of(b"email\na@x.example\n")
    assert import_id_of(file.digest) == import_id_of(ImportFile.of(file.content).digest)
    assert row_key(import_id_of(file.digest), 2).endswith(":2")


def test_records_carry_their_lines_and_the_format_is_guessed():
    assert guess_format(b'\n{"email": "a@x.example"}\n') is ImportFormat.JSONL
    file = ImportFile.of(b'email,points\n\na@x.example,5\n"b@x.example",6,7\n')
    assert [(line, type(r).__name__) for line, r in file.records()] == [
        (3, "dict"),
        (4, "DomainError"),
    ]
    jsonl = ImportFile.of(b'{"email": "a@x.example"}\nnot json\n')
    assert [line for line, _ in jsonl.records()] == [1, 2]
