#!/usr/bin/env python3
"""Reads every SQL migration with PostgreSQL's own parser (pglast, libpg_query) and reports
the statements Citus refuses where they would run: tenant migrations in a distributed schema
(schema-based sharding), control migrations in the regular schema on the coordinator.

    .venv/bin/python scripts/citus_check.py [--tenant DIR] [--control DIR]

Exit status 0 when every finding is listed in KNOWN (with what is done instead on Citus, see
docs/scaling.md), 1 otherwise, or when an entry of KNOWN no longer matches anything.

The rules follow Citus 12/13 (docs: "SQL Support and Workarounds", "Schema-based sharding";
source: src/backend/distributed/commands/schema_based_sharding.c and table.c, whose error
messages are quoted below). Triggers, functions, views and indexes are allowed on tables of
a distributed schema and are not reported.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from pglast import ast, parse_sql

ROOT = Path(__file__).resolve().parent.parent
MIGRATIONS = ROOT / "persistence" / "migrations"

# ALTER TABLE subcommands Citus lets through on its tables (table.c,
# ErrorIfUnsupportedAlterTableStmt); any other is "alter table command is currently
# unsupported".
ALTER_ALLOWED = {
    "AT_AddColumn",
    "AT_ColumnDefault",
    "AT_AlterColumnType",
    "AT_DropColumn",
    "AT_DropNotNull",
    "AT_SetNotNull",
    "AT_AddConstraint",
    "AT_AttachPartition",
    "AT_DetachPartition",
    "AT_EnableTrig",
    "AT_EnableAlwaysTrig",
    "AT_EnableReplicaTrig",
    "AT_EnableTrigUser",
    "AT_DisableTrig",
    "AT_DisableTrigUser",
    "AT_EnableTrigAll",
    "AT_DisableTrigAll",
    "AT_SetAccessMethod",
    "AT_ReplicaIdentity",
    "AT_ChangeOwner",
    "AT_EnableRowSecurity",
    "AT_DisableRowSecurity",
    "AT_ForceRowSecurity",
    "AT_NoForceRowSecurity",
    "AT_ValidateConstraint",
    "AT_DropConstraint",
    "AT_SetCompression",
    "AT_SetRelOptions",
    "AT_ResetRelOptions",
    "AT_ReplaceRelOptions",
    "AT_SetLogged",
    "AT_SetUnLogged",
}
# Subcommands that must be the only one of their ALTER TABLE.
ALTER_ALONE = {"AT_AddConstraint", "AT_AttachPartition", "AT_DetachPartition"}
SERIALS = {"smallserial", "serial2", "serial", "serial4", "bigserial", "serial8"}
SMALL_SEQUENCES = {"smallserial", "serial2", "serial", "serial4", "int2", "int4"}

# Findings in migrations that already exist, and what is done about them on Citus. They only
# ever run while a schema is created: on Citus a new tenant's schema is created and migrated
# as a regular schema, then distributed (docs/scaling.md). A migration added after these
# runs on distributed schemas and must pass.
KNOWN = {
    ("tenant", "0020_orders_and_tier_benefits.sql", "identity-column-added"): (
        "runs before citus_schema_distribute: new tenants are migrated as regular schemas,"
        " existing ones are brought to the latest version before they are distributed"
    ),
}


@dataclass(frozen=True)
class Finding:
    kind: str
    file: str
    rule: str
    statement: str
    why: str

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.kind, self.file, self.rule)


def _names(type_name: ast.TypeName) -> list[str]:
    return [n.sval for n in type_name.names or ()] or [""]


def _type_name(col: ast.ColumnDef) -> str:
    return _names(col.typeName)[-1] if col.typeName else ""


def _constraints(col: ast.ColumnDef) -> list[ast.Constraint]:
    return list(col.constraints or ())


def _foreign_schema(con: ast.Constraint) -> str | None:
    """The schema a foreign key names for the table it references, if it names one."""
    if con.contype.name != "CONSTR_FOREIGN" or con.pktable is None:
        return None
    return con.pktable.schemaname


def _table_rules(kind: str, stmt: ast.CreateStmt) -> Iterator[tuple[str, str]]:
    if stmt.inhRelations and stmt.partbound is None:
        yield "inherits", "tables in a distributed schema cannot inherit or be inherited"
    if stmt.ofTypename is not None:
        yield (
            "create-table-of",
            ("cannot create tables in a distributed schema using CREATE TABLE OF syntax"),
        )
    if stmt.partbound is not None:
        parent = stmt.inhRelations[0] if stmt.inhRelations else None
        if parent is not None and parent.schemaname:
            yield (
                "partition-other-schema",
                (
                    "partitioning within a distributed schema is not supported when the parent"
                    " and the child are in different schemas"
                ),
            )
    if stmt.relation.relpersistence == "t":
        yield "temporary-table", "cannot create temporary relation in non-temporary schema"
    constraints: list[ast.Constraint] = []
    for element in stmt.tableElts or ():
        if isinstance(element, ast.ColumnDef):
            constraints += _constraints(element)
            type_name = _type_name(element)
            identity = any(c.contype.name == "CONSTR_IDENTITY" for c in _constraints(element))
            if type_name in SERIALS - {"bigserial", "serial8"} or (
                identity and type_name in SMALL_SEQUENCES
            ):
                yield (
                    "sequence-smaller-than-bigint",
                    (
                        "Citus puts the node's id in the high bits of every sequence; one smaller"
                        " than bigint may fail on inserts run on a worker"
                    ),
                )
        elif isinstance(element, ast.Constraint):
            constraints.append(element)
    yield from _foreign_key_rules(kind, constraints)


def _foreign_key_rules(kind: str, constraints: list[ast.Constraint]) -> Iterator[tuple[str, str]]:
    for con in constraints:
        schema = _foreign_schema(con)
        if kind == "tenant" and schema is not None:
            yield (
                "foreign-key-other-schema",
                (
                    "foreign keys from distributed schemas can only point to the same distributed"
                    " schema or reference tables in regular schemas"
                ),
            )
        if kind == "control" and schema is not None and schema.startswith("t_"):
            yield (
                "foreign-key-into-tenant",
                (
                    "cannot create foreign keys to tables in a distributed schema from another"
                    " schema"
                ),
            )


def _alter_rules(kind: str, stmt: ast.AlterTableStmt) -> Iterator[tuple[str, str]]:
    commands = list(stmt.cmds or ())
    for cmd in commands:
        name = cmd.subtype.name
        if name not in ALTER_ALLOWED:
            yield (
                "alter-table-unsupported",
                (f"alter table command is currently unsupported ({name.removeprefix('AT_')})"),
            )
            continue
        if name in ALTER_ALONE and len(commands) > 1:
            yield (
                "alter-table-not-alone",
                (f"cannot execute {name.removeprefix('AT_')} command with other subcommands"),
            )
        if name == "AT_DetachPartition" and getattr(cmd.def_, "concurrent", False):
            yield "detach-concurrently", "DETACH PARTITION CONCURRENTLY is currently unsupported"
        if name == "AT_AddColumn" and isinstance(cmd.def_, ast.ColumnDef):
            if _type_name(cmd.def_) in SERIALS:
                yield (
                    "serial-column-added",
                    (
                        "cannot execute ADD COLUMN commands involving serial pseudotypes when"
                        " metadata is synchronized to workers"
                    ),
                )
            if any(c.contype.name == "CONSTR_IDENTITY" for c in _constraints(cmd.def_)):
                yield (
                    "identity-column-added",
                    (
                        "cannot execute ADD COLUMN commands involving identity columns when"
                        " metadata is synchronized to workers"
                    ),
                )
            yield from _foreign_key_rules(kind, _constraints(cmd.def_))
        if name == "AT_AddConstraint" and isinstance(cmd.def_, ast.Constraint):
            yield from _foreign_key_rules(kind, [cmd.def_])


def _rules(kind: str, stmt: ast.Node) -> Iterator[tuple[str, str]]:
    if isinstance(stmt, ast.CreateForeignTableStmt):
        yield "foreign-table", "cannot create a foreign table in a distributed schema"
    elif isinstance(stmt, ast.CreateStmt):
        if kind == "tenant":
            yield from _table_rules(kind, stmt)
        else:
            yield from _foreign_key_rules(
                kind, [c for c in stmt.tableElts or () if isinstance(c, ast.Constraint)]
            )
    elif isinstance(stmt, ast.AlterTableStmt) and kind == "tenant":
        yield from _alter_rules(kind, stmt)
    elif isinstance(stmt, ast.AlterTableStmt):
        for cmd in stmt.cmds or ():
            if isinstance(cmd.def_, ast.Constraint):
                yield from _foreign_key_rules(kind, [cmd.def_])
    elif isinstance(stmt, ast.RuleStmt):
        yield "rule", "the rule system is not supported"
    elif isinstance(stmt, ast.AlterObjectSchemaStmt) and kind == "tenant":
        if stmt.objectType.name == "OBJECT_TABLE":
            yield "set-schema", "set schema is not allowed for a table in a distributed schema"
    elif isinstance(stmt, ast.CreateSchemaStmt) and stmt.schemaElts:
        yield (
            "schema-and-table-at-once",
            ("cannot create distributed schema and table in a single statement"),
        )
    elif isinstance(stmt, ast.CreateSeqStmt) and kind == "tenant":
        for option in stmt.options or ():
            as_type = option.arg if option.defname == "as" else None
            if isinstance(as_type, ast.TypeName) and _names(as_type)[-1] in SMALL_SEQUENCES:
                yield (
                    "sequence-smaller-than-bigint",
                    (
                        "Citus puts the node's id in the high bits of every sequence; one"
                        " smaller than bigint may fail on inserts run on a worker"
                    ),
                )


def check(kind: str, folder: Path) -> list[Finding]:
    findings = []
    for path in sorted(folder.glob("*.sql")):
        for raw in parse_sql(path.read_text()):
            for rule, why in _rules(kind, raw.stmt):
                text = path.read_text()[raw.stmt_location : raw.stmt_location + raw.stmt_len]
                statement = " ".join(text.split())[:120]
                findings.append(Finding(kind, path.name, rule, statement, why))
    return findings


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--tenant", type=Path, default=MIGRATIONS / "tenant")
    p.add_argument("--control", type=Path, default=MIGRATIONS / "control")
    args = p.parse_args(argv)
    findings = check("tenant", args.tenant) + check("control", args.control)
    failed = False
    for f in findings:
        known = KNOWN.get(f.key)
        label = "known" if known else "REFUSED"
        failed |= known is None
        print(f"{label} {f.kind}/{f.file} [{f.rule}]: {f.why}\n    {f.statement}")
        if known:
            print(f"    on Citus: {known}")
    stale = set(KNOWN) - {f.key for f in findings}
    if args.tenant == MIGRATIONS / "tenant" and args.control == MIGRATIONS / "control":
        for key in sorted(stale):
            failed = True
            print(f"STALE entry of KNOWN, nothing matches it: {'/'.join(key)}")
    print(f"{len(findings)} finding(s), {'FAILED' if failed else 'ok'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
