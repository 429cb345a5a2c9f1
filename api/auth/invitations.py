"""Inviting an operator into an agency, shared by inviteOperator and `loyalty operator
invite`: the token is shown once and stored only as a keyed hash, like an API key."""

from __future__ import annotations

from uuid import UUID

from api.auth.keys import hash_key
from api.services import Services
from domain.errors import DomainError, Duplicate, NotFound
from domain.members import normalise_email
from domain.roles import Role
from domain.team import INVITATION_LIFETIME, new_invitation_token, require_may_manage
from persistence.team_store import InvitationRecord

MAX_INVITED_TENANTS = 100


def invitation_hash(services: Services, token: str) -> bytes:
    return hash_key(token, services.settings.resolved_secret_key)


async def invite(
    services: Services,
    *,
    agency_id: UUID,
    inviter_id: UUID,
    inviter_role: Role,
    email: str,
    role: Role,
    tenant_ids: list[UUID],
) -> tuple[InvitationRecord, str]:
    """The invitation and its token; refused when the inviter may not give `role`, the
    email is an operator's already, or a tenant is not of the agency."""
    require_may_manage(inviter_role, None, role)
    email = normalise_email(email)
    if await services.control.operator_by_email(email) is not None:
        raise Duplicate("An operator with this email exists.", field=("email",))
    wanted = list(dict.fromkeys(tenant_ids))
    if len(wanted) > MAX_INVITED_TENANTS:
        raise DomainError(f"At most {MAX_INVITED_TENANTS} tenants.", field=("tenants",))
    if len(await services.team.tenants_of_agency(agency_id, wanted)) != len(wanted):
        raise NotFound("No such tenant in your agency.", field=("tenants",))
    token = new_invitation_token()
    record = await services.team.invite(
        agency_id,
        email,
        role,
        wanted,
        invitation_hash(services, token),
        inviter_id,
        services.clock.now() + INVITATION_LIFETIME,
    )
    return record, token
