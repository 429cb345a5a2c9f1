"""Every operator mutation of the schema, called by an owner, an admin and a viewer: each
is allowed or refused with FORBIDDEN as the rule table says (domain/roles.py). The table
below is written out by hand, and must name every mutation the schema has, so a new
mutation without a rule fails here."""

from __future__ import annotations

import uuid

import pytest
from graphql import build_schema

from api.auth.sessions import open_operator_session
from api.schema.common.ids import to_global_id
from api.schema_export import SCHEMA_FILE
from tests.api.test_credentials import (
    LOGIN,
    PUBLIC_MUTATIONS,
    _codes,
    _every_mutation,
    _refused_by_payload,
)

# Each schema mutation → the roles that may call it.
ALL = {"OWNER", "ADMIN", "VIEWER"}
MANAGERS = {"OWNER", "ADMIN"}
NOBODY: set[str] = set()
EXPECTED = {
    **dict.fromkeys(
        [
            "enrollMember",
            "updateMember",
            "eraseMember",
            "adjustPoints",
            "recordOrder",
            "refundOrder",
            "recordAction",
            "createReward",
            "updateReward",
            "archiveReward",
            "importRewardCodes",
            "redeemReward",
            "markRedemptionUsed",
            "cancelRedemption",
            "configureProgram",
            "configureReferrals",
            "createTenant",
            "createApiKey",
            "revokeApiKey",
            "createTier",
            "updateTier",
            "configureTiers",
            "configureAllowedOrigins",
            "setTenantRateLimit",
            "createSurvey",
            "updateSurvey",
            "archiveSurvey",
            "configureStampCard",
            "createSegment",
            "updateSegment",
            "deleteSegment",
            "grantToSegment",
            "configureAnalytics",
            "createWebhookEndpoint",
            "updateWebhookEndpoint",
            "deleteWebhookEndpoint",
            "rotateWebhookSecret",
            "redeliverWebhook",
            "sendTestWebhook",
            "registerTrustedDocuments",
            "revokeTrustedDocuments",
            "suspendTenant",
            "reactivateTenant",
            "archiveTenant",
            "exportMember",
            "revokeMemberRefreshTokens",
            "startMemberImport",
            "inviteOperator",
            "changeOperatorRole",
            "removeOperator",
            "grantTenantAccess",
            "revokeTenantAccess",
            "revokeInvitation",
            "saveProgramTemplate",
            "applyProgramTemplate",
            "copyProgram",
            "deleteProgramTemplate",
        ],
        MANAGERS,
    ),
    "deleteTenant": {"OWNER"},
    "exportTenant": {"OWNER"},
    **dict.fromkeys(["logout", "changePassword", "revokeOperatorSession"], ALL),
    **dict.fromkeys(PUBLIC_MUTATIONS, ALL),
    # a storefront's and a member's own calls
    **dict.fromkeys(["issueMemberToken", "submitSurveyResponse"], NOBODY),
}


def _none(type_name: str) -> str:
    return to_global_id(type_name, uuid.UUID(int=0))


def _calls() -> dict[str, tuple[str, dict]]:
    """One call of every mutation; ids name nothing, which only an allowed role learns."""
    calls = _every_mutation(
        _none("Member"), _none("ApiKey"), _none("Reward"), "NO-SUCH-CODE", _none("Tier")
    )
    # a budget the rest of the calls cannot spend (the suite's own)
    operation, _ = calls["setTenantRateLimit"]
    calls["setTenantRateLimit"] = (operation, {"input": {"perMinute": 100_000}})
    calls["login"] = (LOGIN, {"input": {"email": "nobody@ops.example", "password": "x"}})
    calls["acceptInvitation"] = (
        _refused_by_payload("acceptInvitation", "AcceptInvitationInput"),
        {"input": {"token": "lp_inv_none", "password": "a long and uncommon passphrase"}},
    )
    calls["refreshMemberToken"] = (
        _refused_by_payload("refreshMemberToken", "RefreshMemberTokenInput"),
        {"input": {"refreshToken": "lp_rt_none", "deviceId": "phone"}},
    )
    return calls


def test_the_table_names_every_mutation_of_the_schema():
    schema_mutations = set(build_schema(SCHEMA_FILE.read_text()).mutation_type.fields)
    assert set(EXPECTED) == schema_mutations
    assert set(_calls()) == schema_mutations


@pytest.mark.parametrize("role", ["OWNER", "ADMIN", "VIEWER"])
async def test_each_role_is_allowed_or_refused_each_mutation_as_the_table_says(
    gql, services, make_tenant, role
):
    # given an operator with `role` in its agency and on its tenant
    kit = await make_tenant(role=role)
    operator = await services.control.operator_by_email(kit.operator_email)
    outcomes = {}
    calls = _calls()
    # The lifecycle mutations name the operator's own tenant (one it has no role on is
    # refused to every role): reactivating an active one and deleting one not archived are
    # refused by their payloads; suspending, then archiving, come last, since they stop the
    # tenant's other changes.
    lifecycle = (
        "reactivateTenant",
        "deleteTenant",
        "exportTenant",
        "suspendTenant",
        "archiveTenant",
    )
    for name in lifecycle:
        operation, _ = calls.pop(name)
        calls[name] = (operation, {"input": {"tenant": kit.slug}})
    # The program template mutations name the operator's own tenant too.
    none = _none("ProgramTemplate")
    for name, given in {
        "saveProgramTemplate": {"tenant": kit.slug, "name": "Base"},
        "applyProgramTemplate": {"template": none, "tenant": kit.slug, "dryRun": True},
        "copyProgram": {"fromTenant": kit.slug, "toTenant": kit.slug, "dryRun": True},
    }.items():
        operation, _ = calls[name]
        calls[name] = (operation, {"input": given})
    for name, (operation, variables) in calls.items():
        # when it calls the mutation, with a session of its own (logout ends it)
        token, _ = await open_operator_session(services, operator.id)
        response = await gql.raw(operation, variables, token=token, tenant=kit.slug)
        assert response.status_code < 500, (name, response.text)
        body = response.json()
        payload_codes = {
            e["code"]
            for value in (body.get("data") or {}).values()
            if value
            for e in value.get("errors", [])
        }
        top_codes = _codes(body.get("errors", []))
        refused = top_codes == {"FORBIDDEN"} and body.get("data") is None
        # allowed: it ran, and refused only what its made-up input named
        ran = not top_codes and "FORBIDDEN" not in payload_codes
        assert refused or ran, (name, body)
        outcomes[name] = ran

    # then exactly the mutations of the table are allowed
    expected = {name: role in roles for name, roles in EXPECTED.items()}
    assert outcomes == expected


def test_every_mutation_passes_the_role_check_before_it_runs():
    # The check is made by returns_payload: every mutation resolver must be wrapped by it.
    from api.schema.build import Mutation

    unchecked = [
        field.graphql_name or field.python_name
        for field in Mutation.__strawberry_definition__.fields
        if not getattr(field.base_resolver.wrapped_func, "checks_operator_role", False)
    ]
    assert unchecked == []
