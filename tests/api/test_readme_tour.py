"""The README's tour, run step by step against the app on a fresh demo tenant.

Each `curl` block of README.md is sent as it is written (its headers, its body, with $SK,
$PK, $PW, $MT and $OT the demo's credentials and the tokens the tour obtained), and the JSON
block after it must match the answer: the same keys, lists of the same length, the same
numbers and booleans, the same text. Values that differ from run to run (ids, codes,
tokens, times, request ids, and anything cut short with `…`) must be strings, and the same
value wherever the README repeats it: the first answer decides what each stands for, later
requests and answers use that (the reward id a checkout redeems, the code it validates).

A JSON block with no `curl` block of its own re-sends the previous request; an HTML comment
`<!-- tour: {...} -->` before it says what to change in that request's body first.
"""

from __future__ import annotations

import itertools
import json
import re
import shlex
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.demo import DemoCredentials, create_demo, describe
from api.http.app import create_app
from api.services import Services
from api.settings import Settings
from tests.support.servers import create_test_database, drop_test_database, postgres_admin_url
from tests.support.throttling import new_address

README = Path(__file__).resolve().parents[2] / "README.md"
_BLOCK = re.compile(r"(?:<!-- tour: (?P<tour>.*?) -->\s*)?```(?P<lang>\w*)\n(?P<body>.*?)```", re.S)
# Values that differ from one run to the next: compared as strings, kept consistent.
_VARYING_KEYS = {
    *("id", "token", "expiresAt", "createdAt", "referralCode", "code"),
    *("requestId", "x-request-id"),
}
# Where the tour's later steps find their tokens.
_TOKENS = {"issueMemberToken": "MT", "login": "OT"}


@dataclass
class Request:
    headers: dict[str, str]
    body: dict[str, Any]
    with_status: bool


@dataclass
class Step:
    request: Request
    expected_status: int | None
    expected_headers: dict[str, str]
    expected: Any
    where: str


@dataclass
class Tour:
    """What the README's placeholders stand for in this run."""

    shell: dict[str, str]
    values: dict[str, str] = field(default_factory=dict)

    def substitute(self, value: Any) -> Any:
        if isinstance(value, dict):
            return {k: self.substitute(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.substitute(v) for v in value]
        if isinstance(value, str):
            return self.values.get(value, value)
        return value

    def compare(self, expected: Any, actual: Any, path: str, key: str = "") -> None:
        if isinstance(expected, dict):
            assert isinstance(actual, dict), f"{path}: {actual!r}"
            assert sorted(actual) == sorted(expected), f"{path}: keys {sorted(actual)}"
            for name, value in expected.items():
                self.compare(value, actual[name], f"{path}.{name}", name)
        elif isinstance(expected, list):
            assert isinstance(actual, list), f"{path}: {actual!r}"
            assert len(actual) == len(expected), f"{path}: {len(actual)} items, {actual!r}"
            for i, (e, a) in enumerate(zip(expected, actual, strict=True)):
                self.compare(e, a, f"{path}[{i}]", key)
        elif isinstance(expected, str):
            self._compare_text(expected, actual, path, key)
        else:
            assert actual == expected and type(actual) is type(expected), (
                f"{path}: README says {expected!r}, the app answered {actual!r}"
            )

    def _compare_text(self, expected: str, actual: Any, path: str, key: str) -> None:
        assert isinstance(actual, str), f"{path}: {actual!r}"
        if expected in self.values:
            assert actual == self.values[expected], f"{path}: {expected!r} stood for another"
        elif "…" in expected or key in _VARYING_KEYS:
            assert actual, path
            assert _is_time(expected) == _is_time(actual), f"{path}: {actual!r}"
            self.values[expected] = actual
        else:
            # Text that embeds a varying value (a referral URL ends with the code).
            for stands_for, value in self.values.items():
                if len(stands_for) >= 6:
                    expected = expected.replace(stands_for, value)
            assert actual == expected, f"{path}: README says {expected!r}, app {actual!r}"


def _compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _is_time(text: str) -> bool:
    try:
        datetime.fromisoformat(text)
    except ValueError:
        return False
    return True


def _merge(into: dict[str, Any], change: dict[str, Any]) -> dict[str, Any]:
    merged = dict(into)
    for name, value in change.items():
        if isinstance(value, dict) and isinstance(merged.get(name), dict):
            merged[name] = _merge(merged[name], value)
        else:
            merged[name] = value
    return merged


def _curl(command: str, shell: dict[str, str]) -> Request:
    args = shlex.split(command.replace("\\\n", " "))
    assert args[0] == "curl", command
    headers: dict[str, str] = {}
    body: dict[str, Any] = {}
    with_status = "-i" in args
    for flag, value in itertools.pairwise(args):
        value = _SHELL_VARIABLE.sub(lambda m: shell[m.group(1)], value)
        if flag == "-H":
            name, _, text = value.partition(":")
            headers[name.strip()] = text.strip()
        elif flag == "-d":
            body = json.loads(value)
    return Request(headers, body, with_status)


def _http_answer(text: str) -> tuple[int, dict[str, str], Any]:
    head, _, body = text.partition("\n\n")
    status_line, *header_lines = head.splitlines()
    headers = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return int(status_line.split()[1]), headers, json.loads(body)


def tour_steps(readme: str) -> list[Step]:
    """The README's requests and the answers it shows for them, in order."""
    steps: list[Step] = []
    pending: Request | None = None
    last: Request | None = None
    for block in _BLOCK.finditer(readme):
        lang, body = block["lang"], block["body"]
        where = f"README.md line {readme.count(chr(10), 0, block.start()) + 1}"
        if lang == "sh" and body.lstrip().startswith("curl "):
            pending = _curl(body.strip(), _SHELL_NAMES)
            continue
        if lang == "json" or (lang == "" and body.startswith("HTTP/")):
            request = pending or last
            assert request is not None, f"{where}: an answer before any request"
            if block["tour"]:
                request = Request(
                    request.headers, _merge(request.body, json.loads(block["tour"])), False
                )
            if lang == "json":
                status, headers, expected = None, {}, json.loads(body)
            else:
                status, headers, expected = _http_answer(body.strip())
            steps.append(Step(request, status, headers, expected, where))
            last, pending = request, None
    return steps


# The shell variables a step's text may name; replaced by the run's values when it is sent.
_SHELL_NAMES = {name: f"${{{name}}}" for name in ("URL", "SK", "PK", "PW", "MT", "OT")}
# Only these: `$input` in a document is a GraphQL variable.
_SHELL_VARIABLE = re.compile(r"\$(" + "|".join(_SHELL_NAMES) + r")\b")


@pytest.fixture
async def demo(settings: Settings) -> AsyncIterator[tuple[httpx.AsyncClient, DemoCredentials]]:
    """The demo tenant on a database of its own, as `./scripts/demo` makes it."""
    admin = await postgres_admin_url()
    name, url = await create_test_database(admin)
    own = settings.model_copy(
        # The address the README's links show, whatever the environment says.
        update={"database_url": url, "db_pool_max": 4, "public_url": "http://127.0.0.1:8000"}
    )
    running = await Services.start(own)
    try:
        creds = await create_demo(running)
        transport = httpx.ASGITransport(
            app=create_app(services=running), client=(new_address(), 123)
        )
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            yield http, creds
    finally:
        await running.close()
        await drop_test_database(admin, name)


def _filled(text: str, shell: dict[str, str]) -> str:
    return re.sub(r"\$\{(\w+)\}", lambda m: shell[m.group(1)], text)


def _sendable(request: Request, tour: Tour) -> tuple[dict[str, str], dict[str, Any]]:
    headers = {name: _filled(value, tour.shell) for name, value in request.headers.items()}
    body = json.loads(_filled(json.dumps(request.body), tour.shell))
    return headers, tour.substitute(body)


def test_the_readme_shows_the_banner_the_demo_prints():
    shown = re.search(r"```\n(Demo tenant ready\.\n.*?)```", README.read_text(), re.S)
    assert shown is not None
    creds = DemoCredentials("http://127.0.0.1:8000/graphql", "demo", "sk", "pk", "e", "pw")
    labels = [line.split(":")[0] for line in describe(creds).splitlines()]
    assert [line.split(":")[0] for line in shown[1].splitlines()] == labels


def test_the_readme_shows_a_tour_of_every_client():
    steps = tour_steps(README.read_text())
    assert len(steps) >= 15
    documents = [s.request.body["query"] for s in steps]
    for name in ("enrollMember", "recordOrder", "redeemReward", "me {", "login", "members("):
        assert any(name in d for d in documents), name


async def test_the_readme_tour_answers_as_the_readme_shows(demo):
    http, creds = demo
    tour = Tour(
        shell={
            "URL": "/graphql",
            "SK": creds.secret_key,
            "PK": creds.publishable_key,
            "PW": creds.operator_password,
        }
    )
    for step in tour_steps(README.read_text()):
        headers, body = _sendable(step.request, tour)
        answer = await http.post("/graphql", json=body, headers=headers)
        seen = answer.json()
        assert answer.status_code == (step.expected_status or 200), (step.where, seen)
        for name, value in step.expected_headers.items():
            tour.compare(value, answer.headers.get(name), f"{step.where} header {name}", name)
        try:
            tour.compare(step.expected, seen, step.where)
        except AssertionError as differs:
            # The whole answer, to paste into the README when the app is right.
            raise AssertionError(f"{differs}\nthe whole answer: {_compact(seen)}") from None
        for field_name, variable in _TOKENS.items():
            data = (seen.get("data") or {}).get(field_name)
            if data and data.get("token"):
                tour.shell[variable] = data["token"]
