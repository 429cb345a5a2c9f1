"""A tenant archive's manifest (docs/agencies.md, "Tenant archives"): what an archive holds,
and the checks an archive passes before anything of it is written.

An archive is a zip file: one JSON Lines file per table of the tenant's schema
(`tables/<table>.jsonl`, one row per line, column names as in the database) and
`manifest.json`, which names each file with its row count, size and SHA-256.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from domain.errors import DomainError

FORMAT = "loyalty-tenant-archive"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
TABLES_FOLDER = "tables/"
_TABLE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class ArchiveRefused(DomainError):
    """The archive cannot be imported: corrupt, incomplete, or made by another version."""

    def __init__(self, message: str) -> None:
        super().__init__(message, field=("archive",))


@dataclass(frozen=True, slots=True)
class TableFile:
    table: str
    file: str
    rows: int
    bytes: int
    sha256: str

    def as_json(self) -> dict[str, Any]:
        return {
            "table": self.table,
            "file": self.file,
            "rows": self.rows,
            "bytes": self.bytes,
            "sha256": self.sha256,
        }


@dataclass(frozen=True, slots=True)
class Manifest:
    tenant_id: str
    slug: str
    name: str
    exported_at: datetime
    migrations: tuple[int, ...]  # the tenant schema's applied migration versions
    tables: tuple[TableFile, ...]

    @property
    def schema_version(self) -> int:
        return max(self.migrations, default=0)

    def total_rows(self) -> int:
        return sum(t.rows for t in self.tables)

    def as_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "formatVersion": FORMAT_VERSION,
            "tenant": {"id": self.tenant_id, "slug": self.slug, "name": self.name},
            "exportedAt": self.exported_at.isoformat(),
            "schema": {"kind": "tenant", "migrations": list(self.migrations)},
            "tables": [t.as_json() for t in self.tables],
        }


def table_file(table: str) -> str:
    return f"{TABLES_FOLDER}{table}.jsonl"


def parse_manifest(raw: bytes) -> Manifest:
    """The manifest, or ArchiveRefused saying what is wrong with it."""
    try:
        doc = json.loads(raw)
        if doc.get("format") != FORMAT:
            raise ArchiveRefused("This is not a tenant archive (manifest.json names no format).")
        if doc.get("formatVersion") != FORMAT_VERSION:
            raise ArchiveRefused(
                f"Archive format version {doc.get('formatVersion')!r} is not one this version"
                f" reads ({FORMAT_VERSION})."
            )
        tables = tuple(
            TableFile(
                table=str(t["table"]),
                file=str(t["file"]),
                rows=int(t["rows"]),
                bytes=int(t["bytes"]),
                sha256=str(t["sha256"]),
            )
            for t in doc["tables"]
        )
        manifest = Manifest(
            tenant_id=str(doc["tenant"]["id"]),
            slug=str(doc["tenant"]["slug"]),
            name=str(doc["tenant"]["name"]),
            exported_at=datetime.fromisoformat(doc["exportedAt"]),
            migrations=tuple(int(v) for v in doc["schema"]["migrations"]),
            tables=tables,
        )
    except ArchiveRefused:
        raise
    except (ValueError, KeyError, TypeError, AttributeError) as err:
        raise ArchiveRefused(f"The archive's manifest.json is damaged ({err}).") from err
    for t in manifest.tables:
        if not _TABLE_NAME.match(t.table) or t.file != table_file(t.table):
            raise ArchiveRefused(f"The manifest names an unexpected file {t.file!r}.")
        if not _SHA256.match(t.sha256) or t.rows < 0 or t.bytes < 0:
            raise ArchiveRefused(f"The manifest's entry for {t.table} is damaged.")
    if len({t.table for t in manifest.tables}) != len(manifest.tables):
        raise ArchiveRefused("The manifest names a table twice.")
    return manifest


def require_same_file(expected: TableFile, rows: int, size: int, sha256: str) -> None:
    """What was read of a table's file is what the manifest says, or the archive is corrupt."""
    if sha256 != expected.sha256 or size != expected.bytes or rows != expected.rows:
        raise ArchiveRefused(
            f"The archive is corrupt: {expected.file} does not match its checksum in the"
            f" manifest (expected {expected.rows} rows, sha256 {expected.sha256[:12]}…;"
            f" read {rows} rows, sha256 {sha256[:12]}…). Nothing was imported."
        )


def migrations_to_load_at(archived: tuple[int, ...], known: tuple[int, ...]) -> int:
    """The version to bring a new schema to before loading an archive made at `archived`:
    the versions known here up to the archive's last must be exactly the archive's, so its
    rows fit the tables as they were; later migrations then run over the loaded rows."""
    last = max(archived, default=0)
    here = tuple(v for v in known if v <= last)
    if tuple(sorted(archived)) != here:
        missing = sorted(set(archived) - set(known))
        raise ArchiveRefused(
            "The archive was made by another version of the platform: its tenant schema"
            f" has migrations {missing or sorted(archived)} that this version"
            f" {'does not know' if missing else 'applies differently'}. Import it with a"
            " version that has them."
        )
    return last
