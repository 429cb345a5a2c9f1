"""Members and ledger entries are mapped from their rows by position: the columns a
repository selects come back in the order of the domain object's fields, and a row read
that way gives the same object as one read column by column."""

from __future__ import annotations

from dataclasses import fields
from uuid import UUID

from domain.ledger import EntryKind, LedgerEntry
from domain.records.members import Member, MemberStatus
from persistence.repositories import ledger, members


async def _rows(services, tenant, sql):
    schema = (await services.registry.get(UUID(tenant.id))).schema_name
    async with services.pool.acquire() as conn, conn.transaction():
        await conn.execute("SELECT set_config('search_path', $1, true)", schema)
        return await conn.fetch(sql)


async def test_a_member_row_maps_by_position_to_the_same_member(services, tenant, enroll):
    # given a member with every column filled but the birthday
    await enroll(tenant, external_id="row-mapping-1")

    # when its row is read with the repository's columns
    rows = await _rows(services, tenant, f"SELECT {members._COLUMNS} FROM members")

    # then the columns are the fields' names in order, and the mapping equals one by name
    assert list(rows[0].keys()) == [f.name for f in fields(Member)]
    by_name = Member(**{**dict(rows[0]), "status": MemberStatus(rows[0]["status"])})
    assert members._member(rows[0]) == by_name
    assert type(members._member(rows[0]).status) is MemberStatus


async def test_a_ledger_row_maps_by_position_to_the_same_entry(services, tenant, enroll):
    # given a member with an entry
    await enroll(tenant, points=40)

    # when the entry's row is read with the repository's columns
    rows = await _rows(services, tenant, f"SELECT {ledger._ENTRY_COLUMNS} FROM ledger_entries")

    # then the columns are the fields' names in order, and the mapping equals one by name
    assert list(rows[0].keys()) == [f.name for f in fields(LedgerEntry)]
    by_name = LedgerEntry(**{**dict(rows[0]), "kind": EntryKind(rows[0]["kind"])})
    assert ledger._entry(rows[0]) == by_name
    assert type(ledger._entry(rows[0]).kind) is EntryKind
