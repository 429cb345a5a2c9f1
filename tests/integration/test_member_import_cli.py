"""`loyalty import members`, run as a user runs it, against the suite's database: CSV and
JSON Lines files, rows reported by line and left unwritten, and a run killed in the middle
resumed with no row written twice."""

from __future__ import annotations

import asyncio
import signal
from asyncio.subprocess import Process

from tests.api.test_credentials import CREATE_TIER
from tests.support.ledger_checks import assert_schema_ledger_consistent
from tests.support.member_import import (
    cli_env,
    csv_file,
    import_command,
    imported_totals,
    jsonl_file,
    run_import,
)

HEADER = (
    "external_id,email,first_name,last_name,birthday,points_balance,lifetime_points,tier,"
    "enrolled_at,colour"
)
MEMBER = """
query Member($externalId: String) {
  member(externalId: $externalId) {
    email name birthday enrolledAt points { available lifetime } tier { current { name } }
  }
}
"""


async def _schema(services, slug: str) -> str:
    tenant = await services.registry.by_slug(slug)
    return tenant.schema_name


async def test_a_csv_file_imports_members_with_their_balances_and_tiers(
    gql, services, settings, tenant, tmp_path
):
    # given a tenant with a Gold tier, and a CSV file as another platform exports it
    created = await gql(
        CREATE_TIER,
        {"input": {"name": "Gold", "threshold": 5000}},
        token=tenant.operator_token,
        tenant=tenant.slug,
    )
    assert created["createTier"]["errors"] == []
    path = csv_file(
        tmp_path / "members.csv",
        [
            "c-1,ann@example.com,Ann,Lee,1990-04-05,120,900,gold,2024-05-06T10:00:00Z,blue",
            "c-2,,Bo,,,0,0,,2023-01-01,red",
            "c-3,cy@example.com,,,,75,,,,",
        ],
        HEADER,
    )

    # when it is imported
    done = run_import(settings, tenant.slug, path)

    # then every row is imported, and the report says so
    assert done.returncode == 0, done.stderr
    assert "3 rows, 3 imported, 0 imported before, 0 reported, 195 points opened" in done.stdout
    assert "columns ignored: colour" in done.stdout
    ann = (await gql(MEMBER, {"externalId": "c-1"}, token=tenant.secret_key))["member"]
    assert ann["email"] == "ann@example.com"
    assert ann["name"] == "Ann Lee"
    assert ann["birthday"] == "1990-04-05"
    assert ann["enrolledAt"].startswith("2024-05-06T10:00:00")
    assert ann["points"] == {"available": 120, "lifetime": 900}
    assert ann["tier"]["current"]["name"] == "Gold"
    bo = (await gql(MEMBER, {"externalId": "c-2"}, token=tenant.secret_key))["member"]
    assert bo["points"] == {"available": 0, "lifetime": 0}
    schema = await _schema(services, tenant.slug)
    await assert_schema_ledger_consistent(services.pool, schema)

    # and running the same file again writes nothing more
    again = run_import(settings, tenant.slug, path)
    assert again.returncode == 0, again.stderr
    assert "3 rows, 3 imported" in again.stdout
    assert await imported_totals(services.pool, schema, "c-") == {
        "members": 3,
        "available": 195,
        "lifetime": 975,
        "entries": 2,
    }


async def test_a_json_lines_file_imports_with_camel_case_keys(services, settings, tenant, tmp_path):
    # given a JSON Lines file
    path = jsonl_file(
        tmp_path / "members.jsonl",
        [
            {"externalId": "j-1", "email": "j1@example.com", "pointsBalance": 40, "tags": ["x"]},
            {"externalId": "j-2", "name": "Jo", "pointsBalance": 60, "lifetimePoints": 100},
        ],
    )

    # when it is imported
    done = run_import(settings, tenant.slug, path)

    # then both members have their balances
    assert done.returncode == 0, done.stderr
    assert "2 rows, 2 imported" in done.stdout
    assert "columns ignored: tags" in done.stdout
    schema = await _schema(services, tenant.slug)
    assert await imported_totals(services.pool, schema, "j-") == {
        "members": 2,
        "available": 100,
        "lifetime": 140,
        "entries": 2,
    }
    await assert_schema_ledger_consistent(services.pool, schema)


async def test_bad_rows_are_reported_by_line_and_write_nothing(
    gql, services, settings, tenant, tmp_path
):
    # given a member of the tenant already, and a file with good and bad rows
    await gql(
        "mutation($input: EnrollMemberInput!) { enrollMember(input: $input) { errors { code } } }",
        {"input": {"externalId": "b-taken"}},
        token=tenant.secret_key,
    )
    path = csv_file(
        tmp_path / "mixed.csv",
        [
            "b-1,b1@example.com,,,,10,,,,",  # line 2: good
            "b-2,not-an-email,,,,10,,,,",  # line 3: bad email
            "b-3,,,,,ten,,,,",  # line 4: bad points
            "b-4,,,,,50,20,,,",  # line 5: lifetime below the balance
            "b-5,,,,,5,,Platinum,,",  # line 6: no such tier
            "b-1,,,,,7,,,,",  # line 7: the same member as line 2
            "b-taken,,,,,9,,,,",  # line 8: a member of the tenant
            "b-6,,,,2999-01-01,5,,,,",  # line 9: a birthday to come
            "b-7,,,,,3,,,2020-02-02,",  # line 10: good
        ],
        HEADER,
    )

    # when it is imported
    done = run_import(settings, tenant.slug, path)

    # then the bad rows are reported with their lines, and only the good ones are written
    assert done.returncode == 2
    assert "9 rows, 2 imported, 0 imported before, 7 reported, 13 points opened" in done.stdout
    reported = [line.split(":")[0] for line in done.stderr.strip().splitlines()]
    assert reported == [f"line {n}" for n in (3, 4, 5, 6, 7, 8, 9)]
    assert "line 3: email: Email address is not valid." in done.stderr
    assert "line 8: external_id: A member with this external_id exists." in done.stderr
    schema = await _schema(services, tenant.slug)
    async with services.pool.acquire() as conn:
        written = await conn.fetch(
            f"SELECT external_id FROM \"{schema}\".members WHERE external_id LIKE 'b-%'"
            " ORDER BY external_id"
        )
        taken_entries = await conn.fetchval(
            f"""SELECT count(*) FROM "{schema}".ledger_entries e
                  JOIN "{schema}".members m ON m.id = e.member_id
                 WHERE m.external_id = 'b-taken'"""
        )
    assert [r["external_id"] for r in written] == ["b-1", "b-7", "b-taken"]
    assert taken_entries == 0
    await assert_schema_ledger_consistent(services.pool, schema)


async def test_an_import_killed_midway_resumes_without_doubling_points(
    services, settings, tenant, tmp_path
):
    # given a file of many rows, imported a few hundred rows per transaction
    rows = [f"k-{i:05d},,,,,{i % 90 + 1},,,," for i in range(6000)]
    path = csv_file(tmp_path / "big.csv", rows, HEADER)
    expected = sum(i % 90 + 1 for i in range(6000))
    schema = await _schema(services, tenant.slug)
    command = import_command(tenant.slug, path, "--batch-rows", "200")

    # when the import is killed once some batches, not all, are written
    running = await asyncio.create_subprocess_exec(
        *command, env=cli_env(settings), stdout=asyncio.subprocess.DEVNULL
    )
    partial = await _imported_once_started(services, schema, running)
    running.send_signal(signal.SIGKILL)
    await asyncio.wait_for(running.wait(), 30)
    killed_at = (await imported_totals(services.pool, schema, "k-"))["members"]
    assert 0 < partial <= killed_at < 6000

    # and the same file is imported again
    done = run_import(settings, tenant.slug, path, "--batch-rows", "200")

    # then every row is written exactly once
    assert done.returncode == 0, done.stderr
    assert "6000 rows, 6000 imported" in done.stdout
    assert await imported_totals(services.pool, schema, "k-") == {
        "members": 6000,
        "available": expected,
        "lifetime": expected,
        "entries": 6000,
    }
    await assert_schema_ledger_consistent(services.pool, schema)


async def _imported_once_started(services, schema: str, running: Process) -> int:
    """How many rows the running import has written, once it has written some."""
    for _ in range(3000):
        assert running.returncode is None, "the import ended before it could be killed"
        async with services.pool.acquire() as conn:
            imported = await conn.fetchval(
                f'SELECT coalesce(max(imported), 0) FROM "{schema}".member_imports'
            )
        if imported > 0:
            return int(imported)
        await asyncio.sleep(0.01)
    raise AssertionError("the import wrote nothing")


async def test_a_corrected_file_imports_the_fixed_rows_and_counts_the_others_as_before(
    services, settings, tenant, tmp_path
):
    # given a file imported with one bad row
    first = csv_file(tmp_path / "first.csv", ["f-1,,,,,10,,,,", "f-2,bad,,,,20,,,,"], HEADER)
    assert run_import(settings, tenant.slug, first).returncode == 2

    # when the file, corrected, is imported (another file, so another import)
    fixed = csv_file(
        tmp_path / "fixed.csv", ["f-1,,,,,10,,,,", "f-2,f2@example.com,,,,20,,,,"], HEADER
    )
    done = run_import(settings, tenant.slug, fixed)

    # then the corrected row is imported, and the row imported before is not doubled
    assert done.returncode == 0, done.stderr
    assert "2 rows, 1 imported, 1 imported before, 0 reported, 20 points opened" in done.stdout
    schema = await _schema(services, tenant.slug)
    assert await imported_totals(services.pool, schema, "f-") == {
        "members": 2,
        "available": 30,
        "lifetime": 30,
        "entries": 2,
    }
