"""The `loyalty` command, run as a user would, against a database of its own."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.support.servers import create_test_database, drop_test_database, postgres_admin_url


@pytest.fixture
async def cli_env(redis_dsn, tmp_path: Path) -> AsyncIterator[dict[str, str]]:
    admin = await postgres_admin_url()
    name, url = await create_test_database(admin)
    env = {
        **os.environ,
        "LOYALTY_DATABASE_URL": url,
        "LOYALTY_REDIS_URL": redis_dsn,
        "LOYALTY_SECRET_KEY": "cli-test-secret",
        "LOYALTY_DATA_DIR": str(tmp_path / ".loyalty"),
    }
    yield env
    await drop_test_database(admin, name)


def loyalty(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "api.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_tenant_operator_apikey_and_migrate(cli_env):
    created = loyalty(cli_env, "tenant", "create", "--slug", "corner-shop", "--name", "Corner")
    assert created.returncode == 0, created.stderr
    assert "t_corner_shop" in created.stdout

    duplicate = loyalty(cli_env, "tenant", "create", "--slug", "corner-shop", "--name", "Again")
    assert duplicate.returncode != 0

    op = loyalty(
        cli_env,
        "operator",
        "create",
        "--email",
        "Boss@Shop.example",
        "--password",
        "correct horse battery",
        "--tenant",
        "corner-shop",
    )
    assert op.returncode == 0, op.stderr
    assert "boss@shop.example" in op.stdout

    key = loyalty(cli_env, "apikey", "create", "--tenant", "corner-shop", "--kind", "publishable")
    assert key.returncode == 0, key.stderr
    assert key.stdout.strip().startswith("lp_pk_")

    migrated = loyalty(cli_env, "migrate", "--quiet")
    assert migrated.returncode == 0, migrated.stderr
    assert "1 already current" in migrated.stdout


def test_demo_json_prints_working_credentials(cli_env):
    first = loyalty(cli_env, "demo", "--json")
    assert first.returncode == 0, first.stderr
    creds = json.loads(first.stdout.strip().splitlines()[-1])
    assert creds["secret_key"].startswith("lp_sk_")
    assert creds["publishable_key"].startswith("lp_pk_")
    assert creds["graphql_url"].endswith("/graphql")
    assert creds["operator_email"] and creds["operator_password"]

    again = loyalty(cli_env, "demo", "--json")  # re-running keeps the data, issues new keys
    assert again.returncode == 0, again.stderr
    creds2 = json.loads(again.stdout.strip().splitlines()[-1])
    assert creds2["secret_key"] != creds["secret_key"]


def test_serve_with_demo_answers_graphql_over_http(cli_env):
    import time

    import httpx

    from tests.support.servers import free_port

    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "api.cli", "serve", "--demo", "--port", str(port)],
        env=cli_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert server.stdout is not None
        secret = None
        deadline = time.monotonic() + 60
        while secret is None and time.monotonic() < deadline:
            line = server.stdout.readline()
            if "secret key:" in line:
                secret = line.split()[-1]
        assert secret and secret.startswith("lp_sk_")
        base = f"http://127.0.0.1:{port}"
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        response = httpx.post(
            f"{base}/graphql",
            json={"query": "{ members(first: 10) { nodes { externalId points { available } } } }"},
            headers={"Authorization": f"Bearer {secret}"},
            timeout=10,
        )
        assert response.status_code == 200, response.text
        nodes = response.json()["data"]["members"]["nodes"]
        assert {n["externalId"]: n["points"]["available"] for n in nodes} == {
            "cust-1001": 1200,
            "cust-1002": 450,
            "cust-1003": 80,
            "cust-1004": 0,
        }
        assert response.headers["x-request-id"]
    finally:
        server.terminate()
        server.wait(timeout=20)
