"""The agency console's documents (graphql/operations/agency/) and operators made for the
team and session tests."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from api.auth.passwords import hash_password
from api.auth.sessions import open_operator_session
from api.services import Services
from tests.support.gql import GraphQLClient, TenantKit
from tests.support.operations import OPERATIONS
from tests.support.provision import agency_of_tenant

PASSWORD = "a long and uncommon passphrase"


def agency_doc(name: str) -> str:
    return (OPERATIONS / "agency" / f"{name}.graphql").read_text()


@dataclass(frozen=True)
class Mate:
    id: str  # global id
    email: str
    token: str


async def add_mate(services: Services, kit: TenantKit, role: str, *, access: bool = True) -> Mate:
    """Another operator of the kit's agency with `role` (and access to the kit's tenant),
    its password PASSWORD, logged in."""
    from api.schema.common.ids import to_global_id

    email = f"mate-{uuid.uuid4().hex[:12]}@ops.example"
    operator = await services.control.create_operator(
        email, hash_password(PASSWORD), "Mate", await agency_of_tenant(services, kit.id), role
    )
    if access:
        await services.control.grant(operator.id, uuid.UUID(kit.id))
    token, _ = await open_operator_session(services, operator.id)
    return Mate(to_global_id("Operator", operator.id), email, token)


async def payload(
    gql: GraphQLClient, name: str, given: dict[str, Any], token: str, tenant: str | None = None
) -> dict[str, Any]:
    """The payload of the agency mutation `name` (its document's only root field)."""
    field = name[0].lower() + name[1:]
    data = await gql(agency_doc(name), {"input": given}, token=token, tenant=tenant)
    result: dict[str, Any] = without_typename(data[field])
    return result


def without_typename(value: Any) -> Any:
    """What a document answered, less the `__typename` it asks of every object (for
    normalised client caches), which these tests do not compare."""
    if isinstance(value, dict):
        return {k: without_typename(v) for k, v in value.items() if k != "__typename"}
    if isinstance(value, list):
        return [without_typename(v) for v in value]
    return value


def codes(result: dict[str, Any]) -> list[str]:
    return [e["code"] for e in result["errors"]]
