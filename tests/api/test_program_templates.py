"""Program templates through GraphQL: a tenant's program saved as a template, a dry run that
lists the changes and writes nothing, the template applied (the target's program becomes
the source's, reward ids rewritten to the target's rewards), tenants created from it,
copyProgram between two tenants, and the agency boundary."""

from __future__ import annotations

import json
import uuid
from typing import Any

from api.schema.common.ids import from_global_id, to_global_id
from tests.conftest import TEST_SECRET
from tests.support.agency import agency_doc, codes, payload
from tests.support.earning import configure, fetch
from tests.support.gql import GraphQLClient, TenantKit
from tests.support.provision import add_key
from tests.support.rewards import make_reward

CREATE_TIER = """
mutation($input: CreateTierInput!) { createTier(input: $input) { errors { code } } }
"""
CREATE_SURVEY = """
mutation($input: CreateSurveyInput!) { createSurvey(input: $input) { errors { code } } }
"""
PROGRAM = """
query { program { welcomeOffer { rewardId } } }
"""


async def _operator(gql: GraphQLClient, kit: TenantKit, doc: str, given: dict[str, Any]):
    data = await gql(doc, {"input": given}, token=kit.operator_token, tenant=kit.slug)
    assert next(iter(data.values()))["errors"] == [], data


async def _rich_program(gql: GraphQLClient, kit: TenantKit) -> str:
    """Tiers, rewards (one the welcome offer gives), a survey and settings; the gift's id."""
    await configure(gql, kit, pendingDays=3, pointsPerUnit="2")
    await _operator(gql, kit, CREATE_TIER, {"name": "Silver", "threshold": "100"})
    await _operator(gql, kit, CREATE_TIER, {"name": "Gold", "threshold": "500"})
    gift = await make_reward(gql, kit, name="Welcome mug", pointsCost=1)
    await make_reward(gql, kit, name="Ten off", value=1000, pointsCost=200)
    await make_reward(  # what a CONTENT reward delivers and who sees it first come along
        gql,
        kit,
        name="Tasting seat",
        kind="CONTENT",
        value=None,
        pointsCost=50,
        contentKind="WEBINAR",
        contentUrl="https://webinars.example/tasting",
        contentNote="Thursdays",
        earlyAccessTier="Gold",
        earlyAccessUntil="2030-01-01T00:00:00+00:00",
    )
    await configure(gql, kit, welcomeOffer={"rewardId": gift})
    await _operator(gql, kit, CREATE_SURVEY, {"kind": "NPS", "question": "Recommend us?"})
    return gift


def _plain(rows: list[dict]) -> list[tuple]:
    return sorted(tuple(str(v) for v in r.values()) for r in rows)


_TIERS = "SELECT name, threshold, multiplier FROM tiers WHERE NOT archived"
_REWARDS = """SELECT name, points_cost, value_minor, content_kind, content_url, content_note,
                     early_access_tier, early_access_until
              FROM rewards WHERE NOT archived"""
_SURVEYS = "SELECT kind, question, points FROM surveys WHERE NOT archived"


async def _same_program(services, source: TenantKit, target: TenantKit) -> None:
    for sql in (_TIERS, _REWARDS, _SURVEYS):
        assert _plain(await fetch(services, target, sql)) == _plain(
            await fetch(services, source, sql)
        )


async def test_a_template_dry_run_then_applied_makes_the_targets_program_the_sources(
    gql, services, make_tenant
):
    # given a configured tenant, and a second tenant of its agency with a reward of its own
    source = await _rich_program(gql, (kit := await make_tenant()))
    target = await _sibling(services, gql, kit)
    await make_reward(gql, target, name="Old thing", pointsCost=50)

    # when the program is saved as a template, and applied as a dry run
    saved = await payload(
        gql, "SaveProgramTemplate", {"tenant": kit.slug, "name": "Base"}, kit.operator_token
    )
    assert saved["errors"] == [] and saved["template"]["tiers"] == 2
    template = saved["template"]["id"]
    dry = await payload(
        gql,
        "ApplyProgramTemplate",
        {"template": template, "tenant": target.slug, "dryRun": True},
        kit.operator_token,
    )

    # then the dry run lists the changes and writes nothing
    assert dry["errors"] == [] and dry["applied"] is False
    seen = {(c["section"], c["key"], c["kind"]) for c in dry["changes"]}
    assert {
        ("tiers", "gold", "ADD"),
        ("tiers", "silver", "ADD"),
        ("rewards", "welcome mug", "ADD"),
        ("rewards", "old thing", "ARCHIVE"),
        ("program", "program", "UPDATE"),
    } <= seen
    assert await fetch(services, target, _TIERS) == []

    # when it is applied
    applied = await payload(
        gql,
        "ApplyProgramTemplate",
        {"template": template, "tenant": target.slug},
        kit.operator_token,
    )

    # then the target has the source's tiers, rewards and surveys, the old reward archived,
    # and its welcome offer gives its own copy of the mug
    assert applied["errors"] == [] and applied["applied"] is True
    await _same_program(services, kit, target)
    gift = (await gql(PROGRAM, token=target.secret_key))["program"]["welcomeOffer"]["rewardId"]
    mug = await fetch(services, target, "SELECT id FROM rewards WHERE name = 'Welcome mug'")
    assert from_global_id(gift)[1] == str(mug[0]["id"]) and gift != source

    # and applying it again changes nothing
    again = await payload(
        gql,
        "ApplyProgramTemplate",
        {"template": template, "tenant": target.slug},
        kit.operator_token,
    )
    assert again == {"applied": False, "changes": [], "errors": []}

    # and a tenant created from the template starts with the program
    made = await gql(
        agency_doc("CreateTenant"),
        {"input": {"slug": "tpl" + uuid.uuid4().hex[:10], "name": "Third", "template": template}},
        token=kit.operator_token,
    )
    assert made["createTenant"]["errors"] == []
    third_id = from_global_id(made["createTenant"]["tenant"]["id"])[1]
    third = TenantKit(**{**target.__dict__, "id": third_id})
    await _same_program(services, kit, third)
    listed = await gql(agency_doc("ProgramTemplates"), token=kit.operator_token)
    assert [t["name"] for t in listed["programTemplates"]] == ["Base"]


async def test_copy_program_between_tenants_and_the_agency_boundary(gql, services, make_tenant):
    # given a configured tenant, a sibling, and a tenant of another agency
    kit = await make_tenant()
    await _rich_program(gql, kit)
    sibling = await _sibling(services, gql, kit)
    stranger = await make_tenant()

    # when the program is copied to the sibling
    copied = await payload(
        gql, "CopyProgram", {"fromTenant": kit.slug, "toTenant": sibling.slug}, kit.operator_token
    )

    # then the sibling runs the same program
    assert copied["errors"] == [] and copied["applied"] is True
    await _same_program(services, kit, sibling)
    changes = [json.loads(c["after"]) for c in copied["changes"] if c["section"] == "tiers"]
    assert sorted(c["name"] for c in changes) == ["Gold", "Silver"]

    # and no operator reaches across agencies: not to copy to or from, nor a template
    for given in (
        {"fromTenant": kit.slug, "toTenant": stranger.slug},
        {"fromTenant": stranger.slug, "toTenant": kit.slug},
    ):
        refused = await gql.raw(
            agency_doc("CopyProgram"), {"input": given}, token=kit.operator_token
        )
        assert refused.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    saved = await payload(
        gql, "SaveProgramTemplate", {"tenant": kit.slug, "name": "Mine"}, kit.operator_token
    )
    theirs = await payload(
        gql,
        "ApplyProgramTemplate",
        {"template": saved["template"]["id"], "tenant": stranger.slug},
        stranger.operator_token,
    )
    assert codes(theirs) == ["NOT_FOUND"]
    assert await fetch(services, stranger, _TIERS) == []


async def _sibling(services, gql: GraphQLClient, kit: TenantKit) -> TenantKit:
    """A second tenant of `kit`'s agency, made by its owner, with a secret key."""
    made = await gql(
        agency_doc("CreateTenant"),
        {"input": {"slug": "sib" + uuid.uuid4().hex[:10], "name": "Sibling"}},
        token=kit.operator_token,
    )
    tenant = made["createTenant"]["tenant"]
    assert made["createTenant"]["errors"] == [], made
    tenant_id = from_global_id(tenant["id"])[1]
    secret = await add_key(services, uuid.UUID(tenant_id), "SECRET", TEST_SECRET)
    return TenantKit(
        **{**kit.__dict__, "id": tenant_id, "slug": tenant["slug"], "secret_key": secret}
    )


async def _agency_log(gql: GraphQLClient, kit: TenantKit, action: str) -> list[dict]:
    log = await gql(
        agency_doc("AgencyAuditLog"),
        {"first": 10, "filter": {"action": action}},
        token=kit.operator_token,
    )
    return [edge["node"] for edge in log["agency"]["auditLog"]["edges"]]


async def test_saving_replacing_and_deleting_templates_is_in_the_agencys_audit_log(
    gql, make_tenant
):
    # given a tenant with one tier, saved as a template, then with a second tier saved again
    # under the same name (replacing it), then the template deleted, and a deletion refused
    kit = await make_tenant()
    await _operator(gql, kit, CREATE_TIER, {"name": "Silver", "threshold": "100"})
    given = {"tenant": kit.slug, "name": "Base"}
    first = await payload(gql, "SaveProgramTemplate", given, kit.operator_token)
    await _operator(gql, kit, CREATE_TIER, {"name": "Gold", "threshold": "500"})
    again = {"tenant": kit.slug, "name": "base"}
    second = await payload(gql, "SaveProgramTemplate", again, kit.operator_token)
    template = second["template"]["id"]
    assert template == first["template"]["id"]
    deleted = await payload(gql, "DeleteProgramTemplate", {"id": template}, kit.operator_token)
    assert deleted["errors"] == []
    refused = await payload(gql, "DeleteProgramTemplate", {"id": template}, kit.operator_token)
    assert codes(refused) == ["NOT_FOUND"]

    # then the agency's log has each change, newest first: who, on which template and tenant,
    # and the template before and after, summed up; the refused deletion is not in it
    saves = await _agency_log(gql, kit, "saveProgramTemplate")
    deletes = await _agency_log(gql, kit, "deleteProgramTemplate")
    assert len(saves) == 2 and len(deletes) == 1
    for entry in (*saves, *deletes):
        assert entry["actor"]["kind"] == "OPERATOR" and entry["actor"]["label"]
        assert entry["target"] == template and entry["at"]
    summaries = [_summary(e) for e in (*deletes, *saves)]
    held = [(s["before"], s["after"]) for s in summaries]
    one, two = _held("Base", kit, tiers=1), _held("base", kit, tiers=2)
    assert held == [(two, None), (one, two), (None, one)]
    assert summaries[2]["tenant"] == kit.slug and summaries[2]["name"] == "Base"
    tenant_id = to_global_id("Tenant", kit.id)
    assert [e["tenantId"] for e in saves] == [tenant_id] * 2 and deletes[0]["tenantId"] is None


def _summary(entry: dict) -> dict:
    summary = entry["summary"]
    return json.loads(summary) if isinstance(summary, str) else summary


def _held(name: str, kit: TenantKit, tiers: int) -> dict:
    return {
        "name": name,
        "sourceTenantId": to_global_id("Tenant", kit.id),
        "tiers": tiers,
        "rewards": 0,
        "surveys": 0,
        "segments": 0,
    }


async def test_a_tenant_whose_template_cannot_be_applied_is_not_created(gql, services, make_tenant):
    # given a template of the agency, damaged: a tier's threshold no number
    kit = await make_tenant()
    await _operator(gql, kit, CREATE_TIER, {"name": "Silver", "threshold": "100"})
    saved = await payload(
        gql, "SaveProgramTemplate", {"tenant": kit.slug, "name": "Damaged"}, kit.operator_token
    )
    template = saved["template"]["id"]
    async with services.pool.acquire() as conn:
        await conn.execute(
            """UPDATE control.program_templates
                  SET snapshot = jsonb_set(snapshot, '{tiers,0,threshold}', '"lots"')
                WHERE id = $1""",
            uuid.UUID(from_global_id(template)[1]),
        )

    # when a tenant is created from it
    slug = "dmg" + uuid.uuid4().hex[:10]
    made = await payload(
        gql,
        "CreateTenant",
        {"slug": slug, "name": "Damaged", "template": template},
        kit.operator_token,
    )

    # then it is refused on the template, and no tenant, schema or audit entry is left
    assert [(e["code"], e["field"]) for e in made["errors"]] == [("INVALID", ["input", "template"])]
    assert made["tenant"] is None
    async with services.pool.acquire() as conn:
        assert (
            await conn.fetchval("SELECT count(*) FROM control.tenants WHERE slug = $1", slug) == 0
        )
        schemas = await conn.fetchval(
            "SELECT count(*) FROM pg_namespace WHERE nspname LIKE $1", f"%{slug}%"
        )
        assert schemas == 0
    created = await _agency_log(gql, kit, "createTenant")
    assert slug not in [e["target"] for e in created]

    # and, the template mended, the tenant is created with its program, and recorded in the
    # agency's log
    await payload(
        gql, "SaveProgramTemplate", {"tenant": kit.slug, "name": "Damaged"}, kit.operator_token
    )
    made = await payload(
        gql,
        "CreateTenant",
        {"slug": slug, "name": "Mended", "template": template},
        kit.operator_token,
    )
    assert made["errors"] == []
    mended = TenantKit(**{**kit.__dict__, "id": from_global_id(made["tenant"]["id"])[1]})
    await _same_program(services, kit, mended)
    created = await _agency_log(gql, kit, "createTenant")
    assert slug in [e["target"] for e in created]
