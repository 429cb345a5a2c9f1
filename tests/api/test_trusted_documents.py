"""Given a client's persisted-query manifest (Apollo's or Relay's, as their build tools write
it), when an owner or admin registers it for a tenant, then with persisted queries required
that tenant's callers may run its documents by id (extensions.persistedQuery, documentId,
doc_id, id) or by text, and nothing else; a wrong id refuses the whole manifest with a typed
error; a viewer or a key may not register; a revoked document stops running."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Callable
from typing import Any

import httpx
from graphql import parse, print_ast

from api.http.app import create_app
from api.services import Services
from api.settings import Settings
from tests.api.test_persisted_queries import (
    OPERATIONS,
    by_hash,
    get,
    not_found,
    post,
    refusal,
    sha256,
)
from tests.support.gql import GraphQLClient, TenantKit

REGISTER = (OPERATIONS / "agency" / "RegisterTrustedDocuments.graphql").read_text()
REVOKE = (OPERATIONS / "agency" / "RevokeTrustedDocuments.graphql").read_text()
LIST = (OPERATIONS / "agency" / "TrustedDocuments.graphql").read_text()
PROGRAM = (OPERATIONS / "storefront" / "Program.graphql").read_text()


def team_document(tag: str) -> str:
    """A document a client team wrote, in no repository."""
    return f"query Team{tag} {{ program {{ __typename name currency }} }}"


def apollo_manifest(*bodies: str, wrong_id_at: int | None = None) -> str:
    operations = [
        {
            "id": sha256(body + " ") if index == wrong_id_at else sha256(body),
            "name": parse(body).definitions[0].name.value,  # type: ignore[attr-defined]
            "type": "query",
            "body": body,
        }
        for index, body in enumerate(bodies)
    ]
    return json.dumps(
        {"format": "apollo-persisted-query-manifest", "version": 1, "operations": operations}
    )


def relay_manifest(*bodies: str) -> str:
    return json.dumps({sha256(body): body for body in bodies})


async def register(
    gql: GraphQLClient, kit: TenantKit, manifest: str, client: str = "web", token: str = ""
) -> dict[str, Any]:
    response = await gql.raw(
        REGISTER,
        {"client": client, "manifest": manifest},
        token=token or kit.operator_token,
        tenant=kit.slug,
    )
    body: dict[str, Any] = response.json()
    return body


def program_of(kit: TenantKit) -> dict[str, Any]:
    return {"__typename": "Program", "name": f"Shop {kit.slug}", "currency": "USD"}


async def test_required_runs_a_registered_apollo_manifests_documents_by_id(
    gql: GraphQLClient, required: GraphQLClient, tenant: TenantKit
):
    # Given a team's document, refused by id while no manifest names it
    text = team_document(uuid.uuid4().hex)
    before = await post(required, {"extensions": by_hash(sha256(text))}, tenant.secret_key)

    # When an owner registers the team's Apollo manifest
    answer = await register(gql, tenant, apollo_manifest(text))

    # Then it is stored as sent
    [stored] = answer["data"]["registerTrustedDocuments"]["documents"]
    assert answer["data"]["registerTrustedDocuments"]["errors"] == []
    assert stored["sha256"] == sha256(text) and stored["operationType"] == "QUERY"
    # And the document runs by every form of id, and by its text
    bodies = [
        {"extensions": by_hash(sha256(text))},
        {"documentId": f"sha256:{sha256(text)}"},
        {"doc_id": sha256(text)},
        {"id": sha256(text)},
        {"query": text},
    ]
    expected = {"data": {"program": program_of(tenant)}}
    assert not_found(before)
    for body in bodies:
        response = await post(required, body, tenant.secret_key)
        assert response.json() == expected, body
    over_get = await get(required, {"documentId": sha256(text)}, tenant.publishable_key)
    assert over_get.json() == expected


async def test_required_refuses_unknown_ids_in_every_form(
    required: GraphQLClient, tenant: TenantKit
):
    unknown = sha256(team_document(uuid.uuid4().hex))

    for body in (
        {"extensions": by_hash(unknown)},
        {"documentId": f"sha256:{unknown}"},
        {"doc_id": unknown},
    ):
        assert not_found(await post(required, body, tenant.secret_key)), body
    text = team_document(uuid.uuid4().hex)
    with_text = await post(
        required, {"query": text, "extensions": by_hash(sha256(text))}, tenant.secret_key
    )
    assert refusal(with_text)["extensions"] == {"code": "PERSISTED_QUERY_REQUIRED"}


async def test_a_reformatted_document_sent_by_hash_from_a_manifest_runs(
    gql: GraphQLClient, required: GraphQLClient, tenant: TenantKit
):
    # Given the repository's Program document as a code generator rewrites it (no comments,
    # its own layout): its bytes, so its hash, are not the repository's
    reformatted = print_ast(parse(PROGRAM))
    assert sha256(reformatted) != sha256(PROGRAM)
    refused = await post(required, {"extensions": by_hash(sha256(reformatted))}, tenant.secret_key)

    # When the generator's Relay manifest is registered
    answer = await register(gql, tenant, relay_manifest(reformatted), client="ios")

    # Then it is stored with the name and type its text gives
    payload = answer["data"]["registerTrustedDocuments"]
    assert payload["errors"] == []
    assert [(d["name"], d["operationType"]) for d in payload["documents"]] == [("Program", "QUERY")]
    # And the reformatted document runs by its hash, as the original would
    by_id = await post(required, {"extensions": by_hash(sha256(reformatted))}, tenant.secret_key)
    original = await post(required, {"extensions": by_hash(sha256(PROGRAM))}, tenant.secret_key)
    assert not_found(refused)
    assert by_id.json() == original.json()
    assert by_id.json()["data"]["program"]["name"] == f"Shop {tenant.slug}"


async def test_a_manifest_with_a_wrong_id_is_refused_whole(
    gql: GraphQLClient, required: GraphQLClient, tenant: TenantKit
):
    good, bad = team_document(uuid.uuid4().hex), team_document(uuid.uuid4().hex)

    answer = await register(gql, tenant, apollo_manifest(good, bad, wrong_id_at=1))

    payload = answer["data"]["registerTrustedDocuments"]
    assert payload["documents"] is None
    [error] = payload["errors"]
    assert error["code"] == "DOCUMENT_ID_MISMATCH"
    assert error["field"] == ["input", "manifest", "operations", "1", "id"]
    # Nothing of it was stored: the good document does not run either
    response = await post(required, {"extensions": by_hash(sha256(good))}, tenant.secret_key)
    assert not_found(response)


async def test_manifests_that_are_not_one_are_refused_with_typed_errors(
    gql: GraphQLClient, tenant: TenantKit
):
    text = team_document(uuid.uuid4().hex)
    cases = {
        "not json": ["input", "manifest"],
        json.dumps({"format": "apollo-persisted-query-manifest", "version": 2}): [
            "input",
            "manifest",
        ],
        json.dumps({sha256("query {"): "query {"}): ["input", "manifest", sha256("query {")],
        json.dumps({"x": 1}): ["input", "manifest", "x"],
    }
    for manifest, field in cases.items():
        answer = await register(gql, tenant, manifest)
        [error] = answer["data"]["registerTrustedDocuments"]["errors"]
        assert (error["code"], error["field"]) == ("INVALID", field), manifest
    bad_client = await register(gql, tenant, relay_manifest(text), client="not a client")
    [error] = bad_client["data"]["registerTrustedDocuments"]["errors"]
    assert error["field"] == ["input", "client"]


async def test_a_viewer_and_a_secret_key_may_not_register(
    gql: GraphQLClient, required: GraphQLClient, make_tenant: Callable[..., Any]
):
    viewer = await make_tenant(role="VIEWER")
    text = team_document(uuid.uuid4().hex)

    for token in (viewer.operator_token, viewer.secret_key):
        answer = await register(gql, viewer, relay_manifest(text), token=token)
        assert answer["data"] is None
        assert answer["errors"][0]["extensions"]["code"] == "FORBIDDEN"

    response = await post(required, {"extensions": by_hash(sha256(text))}, viewer.secret_key)
    assert not_found(response)


async def test_an_admin_registers_and_a_viewer_reads_the_list(
    gql: GraphQLClient, make_tenant: Callable[..., Any]
):
    admin = await make_tenant(role="ADMIN")
    texts = [team_document(uuid.uuid4().hex) for _ in range(3)]
    await register(gql, admin, apollo_manifest(*texts[:2]), client="web")
    await register(gql, admin, relay_manifest(texts[2]), client="ios")

    first = await gql(LIST, {"first": 2}, token=admin.operator_token, tenant=admin.slug)
    after = first["trustedDocuments"]["pageInfo"]["endCursor"]
    rest = await gql(LIST, {"after": after}, token=admin.operator_token, tenant=admin.slug)
    ios = await gql(LIST, {"client": "ios"}, token=admin.secret_key)

    listed = [
        (e["node"]["sha256"], e["node"]["client"])
        for page in (first, rest)
        for e in page["trustedDocuments"]["edges"]
    ]
    assert listed == [
        (sha256(texts[0]), "web"),
        (sha256(texts[1]), "web"),
        (sha256(texts[2]), "ios"),
    ]
    assert first["trustedDocuments"]["pageInfo"]["hasNextPage"] is True
    assert [e["node"]["sha256"] for e in ios["trustedDocuments"]["edges"]] == [sha256(texts[2])]


async def test_a_revoked_document_stops_running(
    gql: GraphQLClient, required: GraphQLClient, tenant: TenantKit
):
    kept, revoked = team_document(uuid.uuid4().hex), team_document(uuid.uuid4().hex)
    await register(gql, tenant, relay_manifest(kept, revoked))

    answer = await gql(
        REVOKE,
        {"client": "web", "ids": [sha256(revoked)]},
        token=tenant.operator_token,
        tenant=tenant.slug,
    )

    assert answer["revokeTrustedDocuments"]["revokedIds"] == [sha256(revoked)]
    gone = await post(required, {"extensions": by_hash(sha256(revoked))}, tenant.secret_key)
    still = await post(required, {"extensions": by_hash(sha256(kept))}, tenant.secret_key)
    assert not_found(gone)
    assert still.json() == {"data": {"program": program_of(tenant)}}


async def test_a_tenants_trusted_documents_are_its_own(
    gql: GraphQLClient, required: GraphQLClient, make_tenant: Callable[..., Any]
):
    one, other = await make_tenant(), await make_tenant()
    text = team_document(uuid.uuid4().hex)
    await register(gql, one, relay_manifest(text))

    by_id = await post(required, {"extensions": by_hash(sha256(text))}, other.secret_key)
    by_text = await post(required, {"query": text}, other.secret_key)

    assert not_found(by_id)
    assert refusal(by_text)["extensions"] == {"code": "PERSISTED_QUERY_REQUIRED"}


async def test_a_client_sending_its_own_operation_id_with_the_text_runs_the_text(
    gql: GraphQLClient, tenant: TenantKit
):
    # Relay network layers may send the compiler's (MD5) id along with the text
    text = team_document(uuid.uuid4().hex)

    response = await post(
        gql, {"query": text, "id": "0cc175b9c0f1b6a831c399e269772661"}, tenant.secret_key
    )

    assert response.json() == {"data": {"program": program_of(tenant)}}


async def test_another_replica_runs_a_registration_it_had_found_missing(
    gql: GraphQLClient, settings: Settings, tenant: TenantKit
):
    # Given a second replica, in required mode, that remembers a miss for minutes
    text = team_document(uuid.uuid4().hex)
    body = {"extensions": by_hash(sha256(text))}
    replica_settings = settings.model_copy(
        update={"require_persisted_queries": True, "trusted_documents_cache_seconds": 300.0}
    )
    replica = await Services.start(replica_settings)
    try:
        transport = httpx.ASGITransport(app=create_app(services=replica))
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            other = GraphQLClient(http)
            assert not_found(await post(other, body, tenant.secret_key))

            # When this replica registers the document
            await register(gql, tenant, relay_manifest(text))

            # Then the other runs it once the announcement reaches it, long before its
            # remembered miss would expire
            for _ in range(100):
                response = await post(other, body, tenant.secret_key)
                if "data" in response.json():
                    break
                await asyncio.sleep(0.1)
    finally:
        await replica.close()

    assert response.json() == {"data": {"program": program_of(tenant)}}


async def test_an_id_that_is_not_a_sha256_is_not_found_without_a_lookup(
    required: GraphQLClient, services: Services, tenant: TenantKit
):
    calls: list[str] = []
    looked_up = services.trusted_documents.body

    async def body(tenant_id: uuid.UUID, sha256: str) -> str | None:
        calls.append(sha256)
        return await looked_up(tenant_id, sha256)

    services.trusted_documents.body = body  # type: ignore[method-assign]
    try:
        for named in ("x" * 10_000, "SHA256", "A" * 64, "b" * 64):
            response = await post(required, {"documentId": named}, tenant.secret_key)
            assert not_found(response)
    finally:
        del services.trusted_documents.body

    assert set(calls) == {"b" * 64}  # the only one that is a sha256
