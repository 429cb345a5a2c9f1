"""Control migration 0004 on a control schema that holds operators from before it: each
operator gets one role in its agency, and access across agencies is taken away."""

from __future__ import annotations

import uuid

import asyncpg

from persistence import migrator
from tests.support.servers import create_test_database, drop_test_database, postgres_admin_url


async def _before_0004(conn: asyncpg.Connection) -> None:
    await migrator.bootstrap(conn)
    await conn.execute("SET search_path TO control")
    for m in migrator.migrations("control"):
        if m.version < 4:
            await conn.execute(m.sql)
            await conn.execute(
                "INSERT INTO control.schema_migrations (schema_name, version, name)"
                " VALUES ('control', $1, $2)",
                m.version,
                m.name,
            )
    await conn.execute("RESET search_path")


async def test_operators_get_one_role_and_lose_access_across_agencies():
    admin = await postgres_admin_url()
    name, url = await create_test_database(admin)
    conn = await asyncpg.connect(url)
    try:
        # given the control schema as it was, with two agencies and their operators
        await _before_0004(conn)
        agencies = {a: uuid.uuid4() for a in ("A", "B")}
        for a, agency_id in agencies.items():
            await conn.execute(
                "INSERT INTO control.agencies (id, name) VALUES ($1, $2)", agency_id, a
            )
        tenants = {"a1": "A", "a2": "A", "b1": "B"}
        tenant_ids = {slug: uuid.uuid4() for slug in tenants}
        for slug, a in tenants.items():
            await conn.execute(
                """INSERT INTO control.tenants (id, slug, name, agency_id, schema_name, jwt_secret)
                   VALUES ($1, $2, $2, $3, $4, '\\x00')""",
                tenant_ids[slug],
                slug,
                agencies[a],
                f"t_{slug}",
            )
        operators = {"owner": "A", "viewer": "A", "mixed": "A", "founder": "A", "stranger": "B"}
        operator_ids = {o: uuid.uuid4() for o in operators}
        for o, a in operators.items():
            await conn.execute(
                """INSERT INTO control.operators (id, email, password_hash, agency_id)
                   VALUES ($1, $2, 'x', $3)""",
                operator_ids[o],
                f"{o}@ops.example",
                agencies[a],
            )
        memberships = [
            ("owner", "a1", "OWNER"),
            ("viewer", "a1", "VIEWER"),
            ("mixed", "a1", "VIEWER"),
            ("mixed", "a2", "ADMIN"),
            ("stranger", "b1", "VIEWER"),
            ("stranger", "a1", "OWNER"),  # made by a command-line grant across agencies
        ]
        for o, slug, role in memberships:
            await conn.execute(
                "INSERT INTO control.memberships (operator_id, tenant_id, role)"
                " VALUES ($1, $2, $3)",
                operator_ids[o],
                tenant_ids[slug],
                role,
            )

        # when the control schema is migrated
        # (with those after it)
        applied = await migrator.migrate_control(conn)
        assert applied[0] == 4 and applied == sorted(applied), applied

        # then each operator has one role: its highest in its agency; the founder of an
        # agency who holds no tenant owns it
        roles = {
            r["email"].partition("@")[0]: r["role"]
            for r in await conn.fetch("SELECT email, role FROM control.operators")
        }
        assert roles == {
            "owner": "OWNER",
            "viewer": "VIEWER",
            "mixed": "ADMIN",
            "founder": "OWNER",
            "stranger": "VIEWER",
        }
        # and access across agencies is gone, the rest kept with the operator's role
        access = {
            (r["email"].partition("@")[0], r["slug"], r["role"])
            for r in await conn.fetch(
                """SELECT o.email, t.slug, m.role FROM control.memberships m
                   JOIN control.operators o ON o.id = m.operator_id
                   JOIN control.tenants t ON t.id = m.tenant_id"""
            )
        }
        assert access == {
            ("owner", "a1", "OWNER"),
            ("viewer", "a1", "VIEWER"),
            ("mixed", "a1", "ADMIN"),
            ("mixed", "a2", "ADMIN"),
            ("stranger", "b1", "VIEWER"),
        }
    finally:
        await conn.close()
        await drop_test_database(admin, name)
