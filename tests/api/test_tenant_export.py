"""Given a tenant, when an owner asks for its archive (exportTenant), then the link answers
the whole tenant as a verified archive; admins are refused, and a link whose session ended,
or a forged one, downloads nothing."""

from __future__ import annotations

import io
import zipfile
from urllib.parse import urlsplit

from api.auth.sessions import open_operator_session
from persistence.tenant_archive.reader import verify
from tests.support.agency_ops import document, lifecycle
from tests.support.earning import adjust, enroll
from tests.support.gql import GraphQLClient, TenantKit


async def _export(gql: GraphQLClient, kit: TenantKit, token: str) -> dict:
    response = await gql.raw(document("ExportTenant"), {"input": {"tenant": kit.slug}}, token=token)
    return response.json()


async def _download(gql: GraphQLClient, url: str):
    return await gql.http.get(urlsplit(url).path)


async def test_an_owner_downloads_the_tenant_as_a_verified_archive(gql, services, make_tenant):
    # given a tenant with a member holding points, archived (an archive is still exported)
    kit = await make_tenant()
    member = await enroll(gql, kit, externalId="ada")
    assert (await adjust(gql, kit, member, 120))["errors"] == []
    assert (await lifecycle(gql, kit, "ArchiveTenant"))["errors"] == []

    # when its owner asks for the archive and follows the link
    body = await _export(gql, kit, kit.operator_token)
    payload = body["data"]["exportTenant"]
    assert payload["errors"] == [] and payload["expiresAt"]
    response = await _download(gql, payload["url"])

    # then the download is a zip whose every file matches its manifest
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/zip"
    assert f'filename="{kit.slug}-' in response.headers["content-disposition"]
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        manifest = verify(archive)
    rows = {t.table: t.rows for t in manifest.tables}
    assert manifest.slug == kit.slug and rows["members"] == 1 and rows["ledger_entries"] == 1

    # and the export is in the agency's audit log
    log = await gql(document("AgencyAuditLog"), {"first": 5}, token=kit.operator_token)
    actions = [e["node"]["action"] for e in log["agency"]["auditLog"]["edges"]]
    assert "exportTenant" in actions


async def test_admins_forged_links_and_ended_sessions_get_nothing(gql, services, make_tenant):
    # given an admin's tenant, and an owner's link from a session that then ends
    admin_kit = await make_tenant(role="ADMIN")
    refused = await _export(gql, admin_kit, admin_kit.operator_token)
    kit = await make_tenant()
    operator = await services.control.operator_by_email(kit.operator_email)
    token, _ = await open_operator_session(services, operator.id)
    url = (await _export(gql, kit, token))["data"]["exportTenant"]["url"]
    logout = await gql(document("Logout"), {"input": {}}, token=token)
    assert logout["logout"]["errors"] == []

    # then the admin is refused, and neither the ended session's link nor a forged one works
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    ended = await _download(gql, url)
    assert ended.status_code == 403
    assert ended.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    forged = url[:-3] + ("aaa" if not url.endswith("aaa") else "bbb")
    assert (await _download(gql, forged)).status_code == 403
