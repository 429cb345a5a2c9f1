"""The one place every mutation passes through (api/schema/common/errors.py's
`returns_payload`) on its way to the audit log, and past a tenant that is not active.

- An operator of a suspended or archived tenant changes nothing in it but what
  domain/tenant_lifecycle.py allows (TENANT_SUSPENDED otherwise).
- A mutation domain/audit.py records is announced as the current audit intent
  (persistence/audit_trail.py): the tenant transaction that makes its change writes the
  entry before it commits. One that changed nothing in the tenant's schema (API keys,
  origins: the control schema) is recorded once it succeeded, in the tenant's log, or in the
  agency's for the agency's own actions.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import lru_cache
from typing import Any, TypeVar

from api.auth.principal import Kind, Principal
from api.services import Services
from domain.audit import AGENCY_ACTIONS, Actor, AuditIntent, is_audited, summary_of, target_of
from domain.tenant_lifecycle import may_change_while_inactive, refuse_inactive
from persistence import audit_trail
from persistence.uow import PgTenantUnitOfWork

R = TypeVar("R")


# Called for every field of every audited input: the names are the schema's.
@lru_cache(maxsize=1024)
def action_name(python_name: str) -> str:
    head, *rest = python_name.split("_")
    return head + "".join(part.capitalize() for part in rest)


async def audited(action: str, info: Any, given: Any, call: Callable[[], Awaitable[R]]) -> R:
    context = getattr(info, "context", None)
    principal: Principal | None = getattr(context, "principal", None)
    if principal is None:
        return await call()
    tenant = principal.tenant
    if tenant is not None and not tenant.active and not may_change_while_inactive(action):
        refuse_inactive(tenant.status)
    if not is_audited(action, principal.kind.value):
        return await call()
    services: Services = context.services  # type: ignore[union-attr]
    summary = summary_of(action, plain(given))
    intent = AuditIntent(
        await actor_of(services, principal),
        action,
        target_of(summary),
        summary,
        request_id=getattr(context, "request_id", None),
    )
    token = audit_trail.current.set(intent)
    try:
        result = await call()
    finally:
        audit_trail.current.reset(token)
    if not intent.written and not getattr(result, "errors", None):
        await _record_after(services, principal, intent, result)
    return result


async def actor_of(services: Services, principal: Principal) -> Actor:
    if principal.kind is Kind.OPERATOR and principal.operator_id is not None:
        operator = await services.control.operator(principal.operator_id)
        return Actor("OPERATOR", str(principal.operator_id), operator.email if operator else None)
    key_id = str(principal.api_key_id) if principal.api_key_id else None
    return Actor(principal.kind.value, key_id, principal.api_key_prefix)


async def acting(services: Services, principal: Principal) -> Actor:
    """Who makes the mutation under way: its audit entry's actor, resolved once per request."""
    intent = audit_trail.current.get()
    return intent.actor if intent is not None else await actor_of(services, principal)


async def _record_after(
    services: Services, principal: Principal, intent: AuditIntent, result: object
) -> None:
    """The change committed outside the tenant's schema: recorded now it has succeeded."""
    if intent.action in AGENCY_ACTIONS:
        made = getattr(result, "tenant", None)
        tenant_id = getattr(made, "tenant_id", None)
        operator = principal.operator_id
        found = await services.control.operator(operator) if operator else None
        agency = found.agency_id if found else None
        await audit_trail.record_in_control(services.pool, intent, agency, tenant_id)
        return
    if principal.tenant is None:
        return
    async with PgTenantUnitOfWork(
        services.clusters.of(principal.tenant), principal.tenant.schema_name
    ) as uow:
        await audit_trail.record_in_tenant(uow.connection, intent)


def plain(value: Any) -> Any:
    """A strawberry input as dicts and lists, named as in GraphQL, without the fields left
    unset."""
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    fields = getattr(value, "__dataclass_fields__", None)
    if fields is None:
        return value
    out = {}
    for name in fields:
        v = getattr(value, name, None)
        if v is None or type(v).__name__ == "UnsetType":
            continue
        out[action_name(name)] = plain(v)
    return out
