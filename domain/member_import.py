"""Members with opening balances from another platform's export: the column set, each row
checked on its own, and the idempotency key that makes a re-run resume instead of doubling.

A row is either imported whole (member, balance, opening ledger entry, tier) or not at all;
a row that breaks a rule is reported with its line number and writes nothing. The columns
are documented in docs/agencies.md, "Importing members".
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from enum import StrEnum
from uuid import UUID

from domain.errors import DomainError, ErrorCode
from domain.ledger import MAX_BALANCE
from domain.members import draft, require_identity
from domain.tiers import Tier


class ImportFormat(StrEnum):
    CSV = "CSV"
    JSONL = "JSONL"


class ImportStatus(StrEnum):
    QUEUED = "QUEUED"
    RUNNING = "RUNNING"
    FINISHED = "FINISHED"  # every row read: imported, imported before, or reported
    FAILED = "FAILED"  # the file itself could not be read (no identity column, bad text)


# The canonical column and the names other platforms' exports give it; a header is compared
# lower-cased with everything but letters and digits removed, so `external_id`,
# `externalId` and `External ID` are one column.
COLUMNS: Mapping[str, tuple[str, ...]] = {
    "external_id": ("external_id", "customer_id", "shopify_customer_id", "user_id"),
    "email": ("email", "email_address", "customer_email"),
    "name": ("name", "full_name", "customer_name"),
    "first_name": ("first_name",),
    "last_name": ("last_name",),
    "birthday": ("birthday", "date_of_birth", "birth_date", "dob"),
    "points_balance": ("points_balance", "points", "balance", "points_available"),
    "lifetime_points": ("lifetime_points", "points_earned", "total_points_earned"),
    "tier": ("tier", "tier_name", "vip_tier"),
    "enrolled_at": ("enrolled_at", "created_at", "joined_at", "signup_date"),
}


def _canonical(header: str) -> str:
    return re.sub(r"[^a-z0-9]", "", header.lower())


_BY_HEADER = {_canonical(alias): column for column, aliases in COLUMNS.items() for alias in aliases}


def column_of(header: str) -> str | None:
    """The column a header names, or None for a column the import does not read."""
    return _BY_HEADER.get(_canonical(header))


def read_columns(headers: Iterable[str]) -> tuple[dict[str, str], list[str]]:
    """{header as given: column} for the headers the import reads (the first of two naming
    one column wins), and the headers it ignores."""
    known: dict[str, str] = {}
    ignored: list[str] = []
    taken: set[str] = set()
    for header in headers:
        column = column_of(header)
        if column is None or column in taken:
            ignored.append(header)
        else:
            known[header] = column
            taken.add(column)
    return known, ignored


def require_identity_column(columns: Iterable[str]) -> None:
    if not {"external_id", "email"} & set(columns):
        raise DomainError(
            "The file needs an external_id or an email column.",
            field=("content",),
            code=ErrorCode.REQUIRED,
        )


@dataclass(frozen=True, slots=True)
class ImportRow:
    line: int
    external_id: str | None
    email: str | None
    name: str | None
    birthday: date | None
    points: int
    lifetime: int
    tier_id: UUID | None
    enrolled_at: datetime
    digest: str  # of what the row asks, line aside: the same row in a fixed file is the same


@dataclass(frozen=True, slots=True)
class RowError:
    line: int
    field: str | None
    code: ErrorCode
    message: str


def import_id_of(content_digest: str) -> UUID:
    """One file's import, whoever sends it and however often: the first 16 bytes of its
    SHA-256. Running the same file again is the same import, and resumes it."""
    return UUID(bytes=bytes.fromhex(content_digest)[:16])


def row_key(import_id: UUID, line: int) -> str:
    """The idempotency key of a row's opening balance."""
    return f"import:{import_id}:{line}"


@dataclass(frozen=True, slots=True)
class RowRules:
    """What a row is checked against: the tenant's tiers (by lower-cased name), and now."""

    tiers: Mapping[str, Tier]
    now: datetime

    @classmethod
    def of(cls, tiers: Iterable[Tier], now: datetime) -> RowRules:
        return cls({t.name.strip().lower(): t for t in tiers if not t.archived}, now)


def _text(value: object) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _points(value: object, column: str) -> int | None:
    text = _text(value)
    if text is None:
        return None
    if isinstance(value, bool) or not re.fullmatch(r"[+]?\d+(\.0+)?", text.replace(",", "")):
        raise DomainError(f"{column} must be a whole number of points, 0 or more.", field=(column,))
    points = int(text.replace(",", "").split(".")[0].lstrip("+"))
    if points > MAX_BALANCE:
        raise DomainError(f"{column} must be at most {MAX_BALANCE:,}.", field=(column,))
    return points


def _date(value: object, column: str) -> date | None:
    text = _text(value)
    if text is None:
        return None
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        raise DomainError(f"{column} must be a date (YYYY-MM-DD).", field=(column,)) from None


def _moment(value: object, column: str, now: datetime) -> datetime:
    text = _text(value)
    if text is None:
        return now
    try:
        at = (
            datetime.combine(date.fromisoformat(text), time(), UTC)
            if len(text) == 10
            else datetime.fromisoformat(text.replace("Z", "+00:00").replace(" ", "T", 1))
        )
    except ValueError:
        raise DomainError(
            f"{column} must be a date or an ISO 8601 time.", field=(column,)
        ) from None
    at = at if at.tzinfo is not None else at.replace(tzinfo=UTC)
    if at > now:
        raise DomainError(f"{column} must not be in the future.", field=(column,))
    return at


def _name(record: Mapping[str, object]) -> str | None:
    name = _text(record.get("name"))
    if name is not None:
        return name
    parts = [_text(record.get("first_name")), _text(record.get("last_name"))]
    return " ".join(p for p in parts if p) or None


def check_row(line: int, record: Mapping[str, object], rules: RowRules) -> ImportRow:
    """One row, keyed by canonical column, checked; raises DomainError naming the column."""
    d = draft(
        external_id=_text(record.get("external_id")),
        email=_text(record.get("email")),
        name=_name(record),
        birthday=_date(record.get("birthday"), "birthday"),
        today=rules.now.date(),
    )
    require_identity(d)
    points = _points(record.get("points_balance"), "points_balance") or 0
    lifetime = _points(record.get("lifetime_points"), "lifetime_points")
    lifetime = points if lifetime is None else lifetime
    if lifetime < points:
        raise DomainError(
            "lifetime_points must be at least points_balance.", field=("lifetime_points",)
        )
    tier_name = _text(record.get("tier"))
    tier = rules.tiers.get(tier_name.lower()) if tier_name is not None else None
    if tier_name is not None and tier is None:
        raise DomainError(
            f"No tier named {tier_name!r}.", field=("tier",), code=ErrorCode.NOT_FOUND
        )
    enrolled_at = _moment(record.get("enrolled_at"), "enrolled_at", rules.now)
    asked = [
        d.external_id,
        d.email,
        d.name,
        d.birthday,
        points,
        lifetime,
        tier.id if tier else None,
        # as given: a row without one is the same row whenever the file is read again
        enrolled_at.isoformat() if _text(record.get("enrolled_at")) is not None else None,
    ]
    digest = hashlib.sha256(repr(asked).encode()).hexdigest()
    return ImportRow(
        line=line,
        external_id=d.external_id,
        email=d.email,
        name=d.name,
        birthday=d.birthday,
        points=points,
        lifetime=lifetime,
        tier_id=tier.id if tier else None,
        enrolled_at=enrolled_at,
        digest=digest,
    )


def _field_of(exc: DomainError) -> str | None:
    if not exc.field:
        return None
    name = exc.field[0]
    return {"externalId": "external_id"}.get(name, name)


def row_error(line: int, exc: DomainError) -> RowError:
    return RowError(line, _field_of(exc), exc.code, exc.message)


class SeenInFile:
    """Two rows of one file naming one member: the later is reported, the first imported."""

    def __init__(self) -> None:
        self._external: dict[str, int] = {}
        self._email: dict[str, int] = {}

    def refuse_repeat(self, row: ImportRow) -> None:
        for value, seen, column in (
            (row.external_id, self._external, "external_id"),
            (row.email, self._email, "email"),
        ):
            if value is not None and value in seen:
                raise DomainError(
                    f"Line {seen[value]} already has this {column}.",
                    field=(column,),
                    code=ErrorCode.DUPLICATE,
                )
        if row.external_id is not None:
            self._external[row.external_id] = row.line
        if row.email is not None:
            self._email[row.email] = row.line


@dataclass
class ImportTally:
    """What an import did, row by row."""

    rows: int = 0
    imported: int = 0
    already_imported: int = 0  # by an earlier run of this file, or the same row of another
    failed: int = 0
    points: int = 0  # opening balances written by this run

    def add(self, other: ImportTally) -> None:
        self.rows += other.rows
        self.imported += other.imported
        self.already_imported += other.already_imported
        self.failed += other.failed
        self.points += other.points
