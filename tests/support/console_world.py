"""What the console's browser tests and scripts/screenshots see: one agency with two tenants,
an owner and a viewer who sign in with a password, a member with points and two tiers."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from api.services import Services
from persistence import migrator
from tenants.provisioning import create_tenant
from tests.support.agency import PASSWORD, Mate, add_mate, agency_doc
from tests.support.earning import ADJUST, enroll
from tests.support.gql import GraphQLClient, TenantKit
from tests.support.provision import agency_of_tenant


@dataclass(frozen=True)
class ConsoleWorld:
    kit: TenantKit  # the first tenant
    other_slug: str  # the second tenant of the same agency
    other_name: str
    owner: Mate  # owner of both tenants
    viewer: Mate  # viewer of the first
    member_id: str
    member_external_id: str
    password: str = PASSWORD


async def _tier(gql: GraphQLClient, kit: TenantKit, name: str, threshold: int) -> None:
    data = await gql(
        agency_doc("CreateTier"),
        {"input": {"name": name, "threshold": threshold, "multiplier": "1.5"}},
        token=kit.operator_token,
        tenant=kit.slug,
    )
    assert data["createTier"]["errors"] == [], data


async def make_console_world(
    services: Services, gql: GraphQLClient, kit: TenantKit
) -> ConsoleWorld:
    owner = await add_mate(services, kit, "OWNER")
    viewer = await add_mate(services, kit, "VIEWER")
    other_slug = "c" + uuid.uuid4().hex[:12]
    other_name = f"Second shop {other_slug}"
    other = await create_tenant(
        services.pool,
        migrator=migrator,
        slug=other_slug,
        name=other_name,
        agency_id=await agency_of_tenant(services, kit.id),
    )
    operator = await services.control.operator_by_email(owner.email)
    assert operator is not None
    await services.control.grant(operator.id, other.id)
    await _tier(gql, kit, "Silver", 200)
    await _tier(gql, kit, "Gold", 1000)
    external_id = "ada-" + uuid.uuid4().hex[:8]
    member_id = await enroll(
        gql, kit, externalId=external_id, email=f"{external_id}@shop.example", name="Ada Lovelace"
    )
    adjusted = await gql(
        ADJUST,
        {"input": {"memberId": member_id, "points": 300, "reason": "welcome"}},
        token=kit.secret_key,
    )
    assert adjusted["adjustPoints"]["errors"] == [], adjusted
    return ConsoleWorld(kit, other_slug, other_name, owner, viewer, member_id, external_id)
