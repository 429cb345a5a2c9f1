"""startMemberImport and memberImport through GraphQL: a job run by the process that took
the request, its progress, reported rows and report; the same file sent again; the worker
taking over an import whose process went away; who may import."""

from __future__ import annotations

import json

from api.member_import_runner import create_job
from api.schema.common.ids import to_global_id
from api.worker import run_tenant
from domain.member_import_files import ImportFile
from tests.support.ledger_checks import assert_schema_ledger_consistent
from tests.support.operations import OPERATIONS

START = (OPERATIONS / "agency/StartMemberImport.graphql").read_text()
READ = (OPERATIONS / "agency/MemberImport.graphql").read_text()
MEMBER = "query M($e: String) { member(externalId: $e) { points { available lifetime } } }"

FILE = (
    "external_id,email,points_balance,lifetime_points\n"
    "api-1,api1@example.com,300,400\n"
    "api-2,not-an-email,10,\n"
    "api-3,,25,\n"
)


async def _start(gql, kit, content: str) -> dict:
    data = await gql(
        START, {"input": {"content": content}}, token=kit.operator_token, tenant=kit.slug
    )
    payload = data["startMemberImport"]
    assert payload["errors"] == [], payload
    return payload["memberImport"]


async def _read(gql, kit, import_id: str, first: int = 10) -> dict:
    data = await gql(
        READ, {"id": import_id, "first": first}, token=kit.operator_token, tenant=kit.slug
    )
    return data["memberImport"]


async def test_an_import_job_runs_and_reports_progress_rows_and_totals(gql, services, tenant):
    # given an owner sending a file with a bad row
    started = await _start(gql, tenant, FILE)
    assert started["status"] == "QUEUED"
    assert started["format"] == "CSV"

    # when the job has run
    await services.imports.wait()
    done = await _read(gql, tenant, started["id"], first=1)

    # then it is finished, with its report and the bad row by line
    assert done["status"] == "FINISHED"
    assert done["progress"] == 1.0
    assert done["processedRows"] == 3
    assert done["report"] == {
        "__typename": "MemberImportReport",
        "rows": 3,
        "imported": 2,
        "alreadyImported": 0,
        "failed": 1,
        "points": "325",
    }
    assert done["rowErrors"]["nodes"] == [
        {
            "__typename": "MemberImportRowError",
            "line": 3,
            "column": "email",
            "code": "INVALID",
            "message": "Email address is not valid.",
        }
    ]
    assert done["rowErrors"]["pageInfo"]["hasNextPage"] is False
    member = await gql(MEMBER, {"e": "api-1"}, token=tenant.secret_key)
    assert member["member"]["points"] == {"available": 300, "lifetime": 400}
    schema = (await services.registry.by_slug(tenant.slug)).schema_name
    await assert_schema_ledger_consistent(services.pool, schema)
    # and the audit log has the import, not the file's personal data
    assert await _audited(services, schema) == [{"content": "[redacted]"}]

    # and the same file sent again is the same import, finished, and writes nothing more
    again = await _start(gql, tenant, FILE)
    await services.imports.wait()
    assert again["id"] == started["id"]
    assert again["status"] == "FINISHED"
    member = await gql(MEMBER, {"e": "api-1"}, token=tenant.secret_key)
    assert member["member"]["points"] == {"available": 300, "lifetime": 400}


async def test_the_worker_runs_an_import_no_process_is_running(gql, services, tenant):
    # given an import sent through the API whose process stopped before running it
    registered = await services.registry.by_slug(tenant.slug)
    content = "externalId,pointsBalance\nw-1,70\n"
    job = await create_job(
        services.pool,
        registered.schema_name,
        ImportFile.of(content.encode()),
        services.clock.now(),
        actor=None,
        keep_file=True,
    )

    # when the worker goes over the tenant
    report = await run_tenant(services, registered)

    # then it has run the import
    assert report is not None and report.imports_resumed == 1
    done = await _read(gql, tenant, to_global_id("MemberImport", job.id))
    assert done["status"] == "FINISHED"
    assert done["report"]["imported"] == 1
    member = await gql(MEMBER, {"e": "w-1"}, token=tenant.secret_key)
    assert member["member"]["points"]["available"] == 70


async def test_a_file_without_an_identity_column_fails_as_a_whole(gql, services, tenant):
    started = await _start(gql, tenant, "name,points\nAnn,5\n")
    await services.imports.wait()
    done = await _read(gql, tenant, started["id"])
    assert done["status"] == "FAILED"
    assert done["failure"] == "The file needs an external_id or an email column."
    assert done["report"]["imported"] == 0


async def test_viewers_and_secret_keys_may_not_import_or_read_imports(gql, make_tenant, tenant):
    # given an import of the tenant, and a viewer of another tenant's agency
    started = await _start(gql, tenant, "email\nv@example.com\n")
    viewer = await make_tenant(role="VIEWER")

    # when a viewer or a secret key tries
    attempts = [
        (
            START,
            {"input": {"content": "email\nx@example.com\n"}},
            viewer.operator_token,
            viewer.slug,
        ),
        (READ, {"id": started["id"]}, viewer.operator_token, viewer.slug),
        (START, {"input": {"content": "email\nx@example.com\n"}}, tenant.secret_key, None),
        (READ, {"id": started["id"]}, tenant.secret_key, None),
    ]
    for document, variables, token, slug in attempts:
        body = (await gql.raw(document, variables, token=token, tenant=slug)).json()
        # then each is refused
        assert not any((body["data"] or {}).values()), body
        assert [e["extensions"]["code"] for e in body["errors"]] == ["FORBIDDEN"], body


async def test_a_large_file_is_uploaded_then_imported_as_a_job(gql, services, tenant):
    # given a file larger than a GraphQL request may be
    rows = "".join(f"up-{i:05d},up-{i:05d}@uploads.example,{i % 50}\n" for i in range(40_000))
    content = ("external_id,email,points_balance\n" + rows).encode()
    assert len(content) > services.settings.max_body_bytes

    # when an owner uploads it
    response = await gql.http.post(
        "/imports/members",
        content=content,
        headers={"Authorization": f"Bearer {tenant.operator_token}", "X-Tenant": tenant.slug},
    )

    # then it is an import, run like one sent with startMemberImport
    assert response.status_code == 202, response.text
    started = response.json()["memberImport"]
    assert started["status"] == "QUEUED"
    await services.imports.wait()
    done = await _read(gql, tenant, started["id"])
    assert done["status"] == "FINISHED"
    assert done["report"]["imported"] == 40_000
    assert done["report"]["points"] == str(sum(i % 50 for i in range(40_000)))
    schema = (await services.registry.by_slug(tenant.slug)).schema_name
    await assert_schema_ledger_consistent(services.pool, schema)

    # and the upload is in the audit log, without the file
    assert await _audited(services, schema) == [
        {"format": "CSV", "bytes": len(content), "upload": True}
    ]


async def _audited(services, schema: str) -> list[dict]:
    async with services.pool.acquire() as conn:
        rows = await conn.fetch(
            f"""SELECT summary FROM "{schema}".audit_log
                 WHERE action = 'startMemberImport' ORDER BY seq"""
        )
    return [json.loads(r["summary"]) for r in rows]


async def test_uploads_are_refused_to_viewers_and_keys(gql, make_tenant, tenant):
    viewer = await make_tenant(role="VIEWER")
    for token, slug in ((viewer.operator_token, viewer.slug), (tenant.secret_key, None)):
        headers = {"Authorization": f"Bearer {token}"} | ({"X-Tenant": slug} if slug else {})
        response = await gql.http.post(
            "/imports/members", content=b"email\na@b.example\n", headers=headers
        )
        assert response.status_code == 403, response.text
        assert response.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
