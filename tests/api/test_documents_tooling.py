"""The client documents (graphql/operations/) pass the JavaScript tooling clients build them
with: graphql-js and GraphQL Inspector validate them against the schema within the server's
limits, and the rules of Relay's compiler and of graphql`...` templates hold
(scripts/documents-check/check.mjs). Needs node and npm (tests/support/js_tools.py): without
them the test fails and says so, rather than passing unchecked."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from api.settings import Settings
from tests.support.js_tools import installed_node

ROOT = Path(__file__).resolve().parents[2]
CHECK = ROOT / "scripts" / "documents-check"
SCHEMA = ROOT / "graphql" / "schema.graphql"
OPERATIONS = ROOT / "graphql" / "operations"


def problems(folder: Path) -> tuple[int, list[dict[str, str]]]:
    settings = Settings(secret_key="x")
    limits = [settings.max_query_depth, settings.max_aliases, settings.max_tokens]
    ran = subprocess.run(
        [installed_node(), "check.mjs", str(SCHEMA), str(folder), *map(str, limits)],
        cwd=CHECK,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert ran.returncode in (0, 1), ran.stderr
    return ran.returncode, [json.loads(line) for line in ran.stdout.splitlines()]


def test_the_client_documents_pass_the_javascript_tooling():
    assert problems(OPERATIONS) == (0, [])


def test_the_tooling_catches_what_clients_would_reject(tmp_path: Path):
    mobile = tmp_path / "mobile"
    mobile.mkdir()
    (mobile / "Me.graphql").write_text(
        "# the `points` card\nquery Me($days: Int! = 30) {\n"
        "  me { __typename points { __typename expiring(withinDays: $days) { points } } }\n}\n"
    )
    (mobile / "Again.graphql").write_text("query Me { me { __typename nope } }\n")

    code, found = problems(tmp_path)

    messages = {(p["path"], p["message"]) for p in found}
    assert code == 1
    assert ("mobile/Me.graphql", "$days is non-null with a default") in messages
    assert (
        "mobile/Me.graphql",
        "holds a character a JavaScript template literal would act on",
    ) in messages
    assert any(path == "mobile/Again.graphql" and "nope" in m for path, m in messages)
    assert ("mobile/Me.graphql", "operation name used again in mobile") in messages
