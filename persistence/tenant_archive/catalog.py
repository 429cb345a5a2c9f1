"""The tables of a tenant schema as the catalog describes them: in an order where every
table comes after those its foreign keys name, with their columns, primary key and identity
columns. Names come from the catalog only; an archive's names merely pick among them."""

from __future__ import annotations

from dataclasses import dataclass
from graphlib import TopologicalSorter

from persistence.db import Conn
from tenants.naming import quote_schema


@dataclass(frozen=True, slots=True)
class Table:
    schema: str
    name: str
    columns: tuple[str, ...]  # those an INSERT may name (no generated columns)
    key: tuple[str, ...]  # the primary key: the order rows are written in
    identities: tuple[str, ...]
    estimated_rows: int

    @property
    def qualified(self) -> str:
        return f"{quote_schema(self.schema)}.{ident(self.name)}"

    def column_list(self) -> str:
        return ", ".join(ident(c) for c in self.columns)


def ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


async def tables_in_load_order(conn: Conn, schema: str) -> list[Table]:
    rows = await conn.fetch(
        """SELECT c.oid, c.relname, greatest(c.reltuples, 0)::bigint AS estimate,
                  array(SELECT a.attname FROM pg_attribute a
                        WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
                          AND a.attgenerated = '' ORDER BY a.attnum) AS columns,
                  array(SELECT a.attname FROM pg_attribute a
                        WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
                          AND a.attidentity <> '' ORDER BY a.attnum) AS identities,
                  array(SELECT a.attname
                        FROM pg_index i CROSS JOIN unnest(i.indkey) WITH ORDINALITY k(n, o)
                        JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.n
                        WHERE i.indrelid = c.oid AND i.indisprimary ORDER BY k.o) AS key,
                  array(SELECT DISTINCT f.confrelid FROM pg_constraint f
                        WHERE f.conrelid = c.oid AND f.contype = 'f'
                          AND f.confrelid <> c.oid) AS parents
           FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE n.nspname = $1 AND c.relkind IN ('r', 'p')
           ORDER BY c.relname""",
        schema,
    )
    by_oid = {r["oid"]: r for r in rows}
    order = TopologicalSorter({r["oid"]: [p for p in r["parents"] if p in by_oid] for r in rows})
    order.prepare()
    ordered = []
    while order.is_active():
        ready = sorted(order.get_ready(), key=lambda oid: by_oid[oid]["relname"])
        ordered.extend(ready)
        order.done(*ready)
    return [
        Table(
            schema=schema,
            name=by_oid[oid]["relname"],
            columns=tuple(by_oid[oid]["columns"]),
            key=tuple(by_oid[oid]["key"]),
            identities=tuple(by_oid[oid]["identities"]),
            estimated_rows=by_oid[oid]["estimate"],
        )
        for oid in ordered
    ]


async def applied_migrations(conn: Conn, schema: str) -> tuple[int, ...]:
    rows = await conn.fetch(
        "SELECT version FROM control.schema_migrations WHERE schema_name = $1 ORDER BY version",
        schema,
    )
    return tuple(r["version"] for r in rows)
