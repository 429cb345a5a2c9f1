"""The agency documents of graphql/operations/agency/, read as a client sends them, and the
lifecycle calls the tenant-lifecycle and audit-log tests share."""

from __future__ import annotations

from typing import Any

from tests.support.gql import GraphQLClient, TenantKit
from tests.support.operations import OPERATIONS


def document(name: str) -> str:
    return (OPERATIONS / "agency" / f"{name}.graphql").read_text()


async def lifecycle(
    gql: GraphQLClient, kit: TenantKit, name: str, token: str | None = None, **fields: Any
) -> dict[str, Any]:
    """suspendTenant, reactivateTenant, archiveTenant or deleteTenant of `kit`'s tenant, by
    its owner unless `token` says who; returns the payload."""
    field = name[0].lower() + name[1:]
    data = await gql(
        document(name),
        {"input": {"tenant": kit.slug, **fields}},
        token=token or kit.operator_token,
    )
    payload: dict[str, Any] = data[field]
    return payload
