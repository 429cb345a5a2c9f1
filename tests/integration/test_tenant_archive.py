"""Given a tenant with members, orders, refunds, rewards and redemptions, when it is exported
and the archive imported as a new tenant, then the new tenant holds the same rows, the same
balances and a consistent ledger, and goes on working; a corrupted archive is refused
before anything is written."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from uuid import UUID

import pytest

from domain.tenant_archive import MANIFEST, ArchiveRefused
from persistence.tenant_archive.importer import import_tenant
from persistence.tenant_archive.writer import export_tenant
from tests.conftest import TEST_SECRET
from tests.support.earning import (
    adjust,
    balances_of,
    earn,
    enroll,
    fetch,
    ledger_rows,
    order,
    refund,
)
from tests.support.gql import TenantKit
from tests.support.ledger_checks import assert_schema_ledger_consistent
from tests.support.provision import add_key
from tests.support.rewards import code_of, make_reward

ENROLL = """
mutation Enroll($input: EnrollMemberInput!) {
  enrollMember(input: $input) { member { id } errors { code } }
}
"""


async def _busy_tenant(gql, kit: TenantKit) -> None:
    ada = await enroll(gql, kit, externalId="ada", email="ada@example.com")
    bob = await enroll(gql, kit, externalId="bob", name="Bob")
    await enroll(gql, kit, externalId="cy")
    assert await earn(gql, kit, order("o-1", ada, ("mug", 2, 15_000))) > 0
    assert await earn(gql, kit, order("o-2", bob, ("tea", 1, 9_000), ("pot", 1, 4_000))) > 0
    assert (await refund(gql, kit, orderId="o-1", refundId="r-1", amount=5_000))["errors"] == []
    assert (await adjust(gql, kit, ada, 700))["errors"] == []
    assert (await adjust(gql, kit, bob, 400))["errors"] == []
    reward = await make_reward(gql, kit, pointsCost=150)
    await code_of(gql, kit, reward, ada)


async def _export(services, kit: TenantKit, path: Path) -> None:
    tenant = await services.registry.get(UUID(kit.id))
    with path.open("wb") as out:
        async for chunk in export_tenant(services.pool, tenant):
            out.write(chunk)


async def _row_counts(services, schema: str) -> dict[str, int]:
    async with services.pool.acquire() as conn:
        tables = await conn.fetch(
            "SELECT tablename FROM pg_tables WHERE schemaname = $1 ORDER BY 1", schema
        )
        return {
            t["tablename"]: await conn.fetchval(f'SELECT count(*) FROM "{schema}"."{t[0]}"')
            for t in tables
        }


async def test_an_imported_archive_has_the_same_balances_ledger_and_rows(
    gql, services, make_tenant, tmp_path
):
    # given a tenant with some history
    kit = await make_tenant()
    await _busy_tenant(gql, kit)
    path = tmp_path / "shop.zip"

    # when it is exported and imported as a new tenant
    await _export(services, kit, path)
    slug = "copy-" + kit.slug[-12:]
    copy = await import_tenant(services.pool, path, slug=slug)

    # then the copy holds every row, the same balances and ledger, consistent
    source = await services.registry.get(UUID(kit.id))
    assert await _row_counts(services, copy.schema_name) == await _row_counts(
        services, source.schema_name
    )
    twin = TenantKit(**{**kit.__dict__, "id": str(copy.id), "slug": copy.slug})
    assert await balances_of(services, twin) == await balances_of(services, kit)
    assert await ledger_rows(services, twin) == await ledger_rows(services, kit)
    await assert_schema_ledger_consistent(services.pool, copy.schema_name)
    same = "SELECT id, code, status, points FROM redemptions ORDER BY id"
    assert await fetch(services, twin, same) == await fetch(services, kit, same)

    # and the manifest counts what the archive holds
    with zipfile.ZipFile(path) as archive:
        manifest = json.loads(archive.read(MANIFEST))
    counts = {t["table"]: t["rows"] for t in manifest["tables"]}
    assert counts["members"] == 3 and counts["orders"] == 2 and counts["redemptions"] == 1

    # and the copy goes on: a new entry takes the next id, and the ledger stays consistent
    secret = await add_key(services, copy.id, "SECRET", TEST_SECRET)
    mine = TenantKit(**{**twin.__dict__, "secret_key": secret})
    dee = await enroll(gql, mine, externalId="dee")
    assert (await adjust(gql, mine, dee, 50))["errors"] == []
    await assert_schema_ledger_consistent(services.pool, copy.schema_name)


def _rewrite(source: Path, target: Path, change) -> None:
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for info in old.infolist():
            new.writestr(info.filename, change(info.filename, old.read(info.filename)))


@pytest.mark.parametrize("damage", ["changed row", "dropped row", "missing file", "bytes"])
async def test_a_corrupted_archive_is_refused_and_nothing_is_written(
    gql, services, make_tenant, tmp_path, damage
):
    # given a good archive, damaged
    kit = await make_tenant()
    await _busy_tenant(gql, kit)
    good, bad = tmp_path / "good.zip", tmp_path / "bad.zip"
    await _export(services, kit, good)
    if damage == "changed row":
        _rewrite(good, bad, lambda n, b: b.replace(b'"ada"', b'"eve"'))
    elif damage == "dropped row":
        _rewrite(good, bad, lambda n, b: b.split(b"\n", 1)[1] if n.endswith("lots.jsonl") else b)
    elif damage == "missing file":
        with zipfile.ZipFile(good) as old, zipfile.ZipFile(bad, "w") as new:
            for info in old.infolist():
                if info.filename != "tables/ledger_entries.jsonl":
                    new.writestr(info.filename, old.read(info.filename))
    else:
        raw = bytearray(good.read_bytes())
        middle = len(raw) // 3
        raw[middle : middle + 64] = bytes(64)
        bad.write_bytes(bytes(raw))

    # when it is imported, it is refused with a reason, and no tenant is made
    slug = "bad-" + kit.slug[-12:]
    with pytest.raises(ArchiveRefused) as refused:
        await import_tenant(services.pool, bad, slug=slug)
    assert "corrupt" in refused.value.message or "missing" in refused.value.message
    assert await services.registry.by_slug(slug) is None
