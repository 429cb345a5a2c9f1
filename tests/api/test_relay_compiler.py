"""The client documents (graphql/operations/) compile with Relay's compiler itself, one Relay
project per client, each document in a graphql`...` template literal as a Relay app holds it
(tools/relay-check/check.mjs; the compiler's version is pinned in its package-lock.json).
Needs node and npm (tests/support/js_tools.py): without them the test fails and says so."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.support.js_tools import installed_node

ROOT = Path(__file__).resolve().parents[2]
CHECK = ROOT / "tools" / "relay-check"
SCHEMA = ROOT / "graphql" / "schema.graphql"
OPERATIONS = ROOT / "graphql" / "operations"


def compiled(folder: Path) -> tuple[int, str]:
    ran = subprocess.run(
        [installed_node(), "check.mjs", str(SCHEMA), str(folder)],
        cwd=CHECK,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert ran.returncode in (0, 1), ran.stderr
    return ran.returncode, ran.stdout


def test_the_client_documents_compile_with_relay():
    code, report = compiled(OPERATIONS)
    assert (code, report) == (0, "")


def test_relay_refuses_a_non_null_variable_with_a_default(tmp_path: Path):
    mobile = tmp_path / "mobile"
    mobile.mkdir()
    (mobile / "Me.graphql").write_text(
        "query Me($days: Int! = 30) {\n"
        "  me { __typename points { __typename expiring(withinDays: $days) { points } } }\n}\n"
    )

    code, report = compiled(tmp_path)

    assert code == 1
    assert "Non-nullable variable 'days' has a default value" in report


def test_a_document_relay_drops_without_an_error_is_reported(tmp_path: Path):
    # A backtick in a comment ends the template literal: Relay's compiler then reads no
    # document in the module and says nothing.
    storefront = tmp_path / "storefront"
    storefront.mkdir()
    (storefront / "RedeemReward.graphql").write_text(
        "# the `code` is shown at checkout\n"
        "mutation RedeemReward($input: RedeemRewardInput!) {\n"
        "  redeemReward(input: $input) { __typename errors { __typename code } }\n}\n"
    )
    (storefront / "Program.graphql").write_text("query Program { program { __typename name } }\n")

    code, report = compiled(tmp_path)

    assert code == 1
    assert "RedeemReward.graphql: no artifact for RedeemRewardMutation" in report
    assert "Program.graphql" not in report


def test_relay_refuses_a_field_the_schema_does_not_have(tmp_path: Path):
    agency = tmp_path / "agency"
    agency.mkdir()
    (agency / "Team.graphql").write_text("query Team { team { __typename nope } }\n")

    code, report = compiled(tmp_path)

    assert code == 1 and "nope" in report
