"""Who in an agency may create and import tenants, and how many an agency may hold."""

from __future__ import annotations

from collections.abc import Collection

from domain.errors import DomainError, ErrorCode, Forbidden
from domain.roles import Power, Role, roles_with

# Roles that manage an agency's tenants (domain/roles.py); viewers only read.
MANAGING_ROLES = frozenset(r.value for r in roles_with(Power.MANAGE))


def require_may_create_tenant(roles_in_agency: Collection[str], agency_tenants: int) -> None:
    """An agency's owners and admins (their role in the agency) create its tenants; so does
    the operator who founded an agency that has none yet."""
    if agency_tenants == 0 and not roles_in_agency:
        return
    if not MANAGING_ROLES.intersection(roles_in_agency):
        raise Forbidden("Only the agency's owners and admins create tenants.")


def require_may_import_tenant(role_in_agency: str | None) -> None:
    """An archive brings a whole tenant's data, members and keys' history included: only
    the agency's owners import one, as only a tenant's owners export it."""
    if role_in_agency != Role.OWNER:
        raise Forbidden("Only the agency's owners import tenant archives.")


def require_room_for_tenant(agency_tenants: int, limit: int) -> None:
    if agency_tenants >= limit:
        raise DomainError(
            f"The agency has reached its limit of {limit} tenants.",
            code=ErrorCode.LIMIT_REACHED,
        )


def require_may_read_agency_log(roles_in_agency: Collection[str], agency_tenants: int) -> None:
    """The agency's audit log is read by its owners and admins; by its operators once it
    holds no tenant any more (the last one deleted), as they may create the next one."""
    if agency_tenants == 0 and not roles_in_agency:
        return
    if not MANAGING_ROLES.intersection(roles_in_agency):
        raise Forbidden("Only the agency's owners and admins read its audit log.")
