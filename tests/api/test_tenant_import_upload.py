"""Given a tenant's archive, when an agency's owner sends it to POST /imports/tenant of a
real server, then a new tenant of that agency holds the same members and balances; admins,
viewers and keys are refused, and a damaged archive, a slug taken or a body too large is
refused with a typed code and leaves no tenant behind."""

from __future__ import annotations

import hashlib
import io
import json
import tempfile
import uuid
import zipfile
from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from api.services import Services
from tests.conftest import TEST_SECRET
from tests.support.agency_ops import document
from tests.support.api_server import ApiServer
from tests.support.earning import adjust, enroll
from tests.support.gql import GraphQLClient, TenantKit

MAX_ARCHIVE = 2_000_000
BALANCES = """
query Balances {
  members(first: 50) { edges { node { externalId points { available lifetime } } } }
}
"""


@pytest.fixture(scope="module")
def server(database_url: str, redis_dsn: str, services: Services) -> Iterator[ApiServer]:
    # `services` has migrated the control schema before the process starts.
    running = ApiServer(
        {
            "LOYALTY_ENVIRONMENT": "production",
            "LOYALTY_DATABASE_URL": database_url,
            "LOYALTY_REDIS_URL": redis_dsn,
            "LOYALTY_SECRET_KEY": TEST_SECRET,
            "LOYALTY_DATA_DIR": tempfile.mkdtemp(prefix="loyalty-import-data-"),
            "LOYALTY_DB_POOL_MAX": "4",
            "LOYALTY_MAX_TENANT_ARCHIVE_BYTES": str(MAX_ARCHIVE),
        }
    )
    running.start()
    yield running
    running.stop()


@pytest.fixture
async def http(server: ApiServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=server.url, timeout=60) as client:
        yield client


async def _archive(http: httpx.AsyncClient, kit: TenantKit) -> bytes:
    """The tenant's archive, through exportTenant's link."""
    body = {"query": document("ExportTenant"), "variables": {"input": {"tenant": kit.slug}}}
    answer = await http.post("/graphql", json=body, headers=_bearer(kit.operator_token))
    payload = answer.json()["data"]["exportTenant"]
    assert payload["errors"] == [], payload
    download = await http.get(urlsplit(payload["url"]).path)
    assert download.status_code == 200, download.text
    return download.content


async def _import(
    http: httpx.AsyncClient, token: str, archive: bytes, slug: str, **params: str
) -> httpx.Response:
    return await http.post(
        "/imports/tenant",
        params={"slug": slug, **params},
        content=archive,
        headers={**_bearer(token), "content-type": "application/zip"},
    )


async def _balances(http: httpx.AsyncClient, token: str, slug: str) -> dict[str, Any]:
    answer = await http.post(
        "/graphql", json={"query": BALANCES}, headers={**_bearer(token), "X-Tenant": slug}
    )
    edges = answer.json()["data"]["members"]["edges"]
    return {e["node"]["externalId"]: e["node"]["points"] for e in edges}


def _bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


def _code(response: httpx.Response) -> str:
    code: str = response.json()["errors"][0]["extensions"]["code"]
    return code


async def _busy_tenant(gql: GraphQLClient, kit: TenantKit) -> None:
    for name, points in (("ada", 120), ("bob", 45), ("cy", -1)):
        member = await enroll(gql, kit, externalId=name)
        if points > 0:
            assert (await adjust(gql, kit, member, points))["errors"] == []


async def test_an_owner_imports_an_exported_tenant_with_the_same_balances(
    gql, services, make_tenant, http
):
    # given a tenant with members holding points, and its archive from exportTenant's link
    kit = await make_tenant()
    await _busy_tenant(gql, kit)
    archive = await _archive(http, kit)

    # when the agency's owner sends the archive as a new tenant
    slug = "copy-" + uuid.uuid4().hex[:10]
    response = await _import(http, kit.operator_token, archive, slug, name="The copy")

    # then the new tenant is the agency's, open to its owner, with the same balances
    assert response.status_code == 201, response.text
    made = response.json()["tenant"]
    assert (made["slug"], made["name"]) == (slug, "The copy")
    tenant = await services.registry.by_slug(slug)
    source = await services.registry.by_slug(kit.slug)
    assert tenant is not None and source is not None
    assert str(tenant.id) == made["tenantId"] and tenant.agency_id == source.agency_id
    copied = await _balances(http, kit.operator_token, slug)
    assert copied == await _balances(http, kit.operator_token, kit.slug)
    assert copied["ada"] == {"available": 120, "lifetime": 120}

    # and the import is in the agency's audit log
    body = {"query": document("AgencyAuditLog"), "variables": {"first": 5}}
    log = await http.post("/graphql", json=body, headers=_bearer(kit.operator_token))
    entries = [e["node"] for e in log.json()["data"]["agency"]["auditLog"]["edges"]]
    assert ("importTenant", slug) in [(e["action"], e["target"]) for e in entries]


@pytest.mark.parametrize("role", ["ADMIN", "VIEWER"])
async def test_only_the_agencys_owners_import(gql, make_tenant, services, http, role):
    # given an archive, and an operator of the agency who is not an owner
    owner = await make_tenant()
    archive = await _archive(http, owner)
    other = await make_tenant(role=role)

    # when that operator, or the tenant's secret key, sends it
    slug = "refused-" + uuid.uuid4().hex[:10]
    by_operator = await _import(http, other.operator_token, archive, slug)
    by_key = await _import(http, owner.secret_key, archive, slug)
    anonymous = await http.post("/imports/tenant", params={"slug": slug}, content=archive)

    # then each is refused with its code, and no tenant is made
    assert (by_operator.status_code, _code(by_operator)) == (403, "FORBIDDEN")
    assert (by_key.status_code, _code(by_key)) == (403, "FORBIDDEN")
    assert (anonymous.status_code, _code(anonymous)) == (401, "UNAUTHENTICATED")
    assert await services.registry.by_slug(slug) is None


def _changed_row(archive: bytes) -> bytes:
    """The archive with a member renamed in its rows, its manifest left as it was."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(archive)) as old, zipfile.ZipFile(out, "w") as new:
        for info in old.infolist():
            new.writestr(info.filename, old.read(info.filename).replace(b'"ada"', b'"eve"'))
    return out.getvalue()


def _zeroed(archive: bytes) -> bytes:
    raw = bytearray(archive)
    middle = len(raw) // 3
    raw[middle : middle + 64] = bytes(64)
    return bytes(raw)


def _resealed(archive: bytes) -> bytes:
    """The archive with a member's id made not a UUID, its manifest rewritten to match: an
    archive written by hand, whose files agree with the manifest but whose rows do not load."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(archive)) as old, zipfile.ZipFile(out, "w") as new:
        manifest = json.loads(old.read("manifest.json"))
        for table in manifest["tables"]:
            data = old.read(table["file"])
            if table["table"] == "members":
                row = json.loads(data.split(b"\n", 1)[0])
                data = data.replace(row["id"].encode(), b"not-a-uuid")
                table.update(bytes=len(data), sha256=hashlib.sha256(data).hexdigest())
            new.writestr(table["file"], data)
        new.writestr("manifest.json", json.dumps(manifest))
    return out.getvalue()


@pytest.mark.parametrize(
    ("damage", "says"),
    [
        (_changed_row, "members"),
        (_resealed, "do not load"),
        (_zeroed, "corrupt"),
        (lambda _: b"not a zip at all", "not a readable tenant archive"),
    ],
)
async def test_a_damaged_archive_is_refused_and_leaves_no_tenant(
    gql, make_tenant, services, http, damage, says
):
    # given a good archive, damaged
    kit = await make_tenant()
    await _busy_tenant(gql, kit)
    bad = damage(await _archive(http, kit))

    # when the owner sends it
    slug = "bad-" + uuid.uuid4().hex[:10]
    response = await _import(http, kit.operator_token, bad, slug)

    # then it is refused as an archive, with the reason, and no tenant is made
    assert response.status_code == 400, response.text
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "INVALID"
    assert says in error["message"]
    assert await services.registry.by_slug(slug) is None


async def test_a_slug_taken_and_a_body_too_large_are_refused(gql, make_tenant, services, http):
    # given an archive
    kit = await make_tenant()
    archive = await _archive(http, kit)

    # when it is sent under the slug of a tenant that exists, and as a body over the limit
    taken = await _import(http, kit.operator_token, archive, kit.slug)
    slug = "big-" + uuid.uuid4().hex[:10]
    too_large = await _import(http, kit.operator_token, archive + bytes(MAX_ARCHIVE), slug)
    unnamed = await http.post(
        "/imports/tenant", content=archive, headers=_bearer(kit.operator_token)
    )

    # then each is refused with its code, and the existing tenant is the one it was
    assert (taken.status_code, _code(taken)) == (409, "DUPLICATE")
    assert too_large.status_code == 413
    assert (unnamed.status_code, _code(unnamed)) == (400, "INVALID")
    assert await services.registry.by_slug(slug) is None
    existing = await services.registry.by_slug(kit.slug)
    assert existing is not None and str(existing.id) == kit.id
