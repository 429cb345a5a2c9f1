"""What each operator role may do: the one table every operator mutation is checked against.

An operator has one role in its agency (owner, admin or viewer) and access to some of the
agency's tenants. Each mutation needs one power; a role has a set of powers. A mutation
missing from `MUTATION_POWERS` is refused to every operator, and a test enumerates the
schema's mutations so that a new one cannot ship without a line here.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

from domain.errors import Forbidden


class Role(StrEnum):
    OWNER = "OWNER"
    ADMIN = "ADMIN"
    VIEWER = "VIEWER"


class Power(StrEnum):
    PUBLIC = "PUBLIC"  # needs no operator at all (login, accepting an invitation)
    OWN_ACCOUNT = "OWN_ACCOUNT"  # the operator's own sessions and password
    MANAGE = "MANAGE"  # programs, members, points, rewards, keys, tenants and their settings
    TEAM = "TEAM"  # invitations, roles, tenant access (admins: never an owner's)
    OWN_AGENCY = "OWN_AGENCY"  # what only owners do (deleting and exporting tenants)
    NOT_OPERATORS = "NOT_OPERATORS"  # a storefront's or a member's own calls


ROLE_POWERS: Mapping[Role, frozenset[Power]] = {
    Role.OWNER: frozenset(
        {Power.PUBLIC, Power.OWN_ACCOUNT, Power.MANAGE, Power.TEAM, Power.OWN_AGENCY}
    ),
    Role.ADMIN: frozenset({Power.PUBLIC, Power.OWN_ACCOUNT, Power.MANAGE, Power.TEAM}),
    Role.VIEWER: frozenset({Power.PUBLIC, Power.OWN_ACCOUNT}),
}

_MANAGE = (
    "enrollMember updateMember eraseMember adjustPoints recordOrder refundOrder recordAction"
    " createReward updateReward archiveReward importRewardCodes redeemReward markRedemptionUsed"
    " cancelRedemption configureProgram configureReferrals createTenant createApiKey"
    " revokeApiKey createTier updateTier configureTiers configureAllowedOrigins"
    " setTenantRateLimit createSurvey updateSurvey archiveSurvey configureStampCard"
    " createSegment updateSegment deleteSegment grantToSegment configureAnalytics"
    " createWebhookEndpoint updateWebhookEndpoint deleteWebhookEndpoint rotateWebhookSecret"
    " redeliverWebhook sendTestWebhook registerTrustedDocuments revokeTrustedDocuments"
    " suspendTenant reactivateTenant archiveTenant exportMember revokeMemberRefreshTokens"
    " startMemberImport"
    " suspendTenant reactivateTenant archiveTenant exportMember saveProgramTemplate"
    " applyProgramTemplate copyProgram deleteProgramTemplate"
)

# The GraphQL mutation names (the schema's, camelCase) and the power each needs.
MUTATION_POWERS: Mapping[str, Power] = {
    **dict.fromkeys(_MANAGE.split(), Power.MANAGE),
    **dict.fromkeys(
        [
            "inviteOperator",
            "changeOperatorRole",
            "removeOperator",
            "grantTenantAccess",
            "revokeTenantAccess",
            "revokeInvitation",
        ],
        Power.TEAM,
    ),
    **dict.fromkeys(["deleteTenant", "exportTenant"], Power.OWN_AGENCY),
    **dict.fromkeys(["logout", "changePassword", "revokeOperatorSession"], Power.OWN_ACCOUNT),
    **dict.fromkeys(["login", "acceptInvitation", "refreshMemberToken"], Power.PUBLIC),
    **dict.fromkeys(["issueMemberToken", "submitSurveyResponse"], Power.NOT_OPERATORS),
}


def may(role: Role | str | None, power: Power) -> bool:
    if role is None:
        return power is Power.PUBLIC
    return power in ROLE_POWERS[Role(role)]


def roles_with(power: Power) -> tuple[Role, ...]:
    return tuple(r for r in Role if power in ROLE_POWERS[r])


def require_mutation_allowed(role: Role | str | None, mutation: str) -> None:
    """Refuses (FORBIDDEN) a mutation the operator's role does not allow; a mutation with
    no rule is refused to every role."""
    power = MUTATION_POWERS.get(mutation)
    if power is None or not may(role, power):
        raise Forbidden(f"Your role may not call {mutation}.")
