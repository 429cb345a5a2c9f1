"""`loyalty tenant list`, `operator list`, `apikey list` and `apikey revoke`, run as a user
would: what they print, and the revocation stored."""

from __future__ import annotations

import json

import asyncpg

from tests.integration.test_cli import cli_env, loyalty

__all__ = ["cli_env"]  # the fixture, shared with test_cli.py

PASSWORD = "a long and uncommon passphrase"


def _json(env: dict[str, str], *args: str) -> list[dict]:
    done = loyalty(env, *args, "--json")
    assert done.returncode == 0, done.stderr
    rows: list[dict] = json.loads(done.stdout.strip().splitlines()[-1])
    return rows


def _made(env: dict[str, str], *args: str) -> str:
    done = loyalty(env, *args)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1]


async def test_tenants_and_operators_are_listed(cli_env):
    # given two tenants, one in an agency whose owner has access to it
    _made(cli_env, "tenant", "create", "--slug", "shop-b", "--name", "B")
    _made(cli_env, "tenant", "create", "--slug", "shop-a", "--name", "A")
    _made(
        cli_env, "operator", "create", "--email", "Owner@Ops.example", "--password", PASSWORD,
        "--agency", "Ops", "--tenant", "shop-a", "--name", "Olive",
    )  # fmt: skip

    # when they are listed
    tenants = _json(cli_env, "tenant", "list")
    operators = _json(cli_env, "operator", "list")
    plain = loyalty(cli_env, "tenant", "list")

    # then every tenant is there by slug, and the operator with its agency and access
    assert [(t["slug"], t["name"], t["status"], t["schema"]) for t in tenants] == [
        ("shop-a", "A", "ACTIVE", "t_shop_a"),
        ("shop-b", "B", "ACTIVE", "t_shop_b"),
    ]
    assert operators == [
        {
            "email": "owner@ops.example",
            "name": "Olive",
            "role": "OWNER",
            "agency": "Ops",
            "tenants": ["shop-a"],
        }
    ]
    assert plain.stdout.splitlines()[0].split("\t")[:3] == ["shop-a", "A", "ACTIVE"]
    assert "password" not in json.dumps(operators)


async def test_a_key_listed_then_revoked_is_refused_at_once(cli_env):
    # given a tenant with a secret and a publishable key
    _made(cli_env, "tenant", "create", "--slug", "corner", "--name", "Corner")
    secret = _made(cli_env, "apikey", "create", "--tenant", "corner", "--name", "backend")
    _made(cli_env, "apikey", "create", "--tenant", "corner", "--kind", "publishable")

    # when its keys are listed, and the secret one is revoked by its prefix
    listed = _json(cli_env, "apikey", "list", "--tenant", "corner")
    backend = next(k for k in listed if k["name"] == "backend")
    revoked = _json(cli_env, "apikey", "revoke", "--tenant", "corner", backend["prefix"])
    after = _json(cli_env, "apikey", "list", "--tenant", "corner")
    everything = _json(cli_env, "apikey", "list", "--tenant", "corner", "--all")

    # then the listing shows the keys' prefixes, never the keys
    assert sorted(k["kind"] for k in listed) == ["PUBLISHABLE", "SECRET"]
    assert secret.startswith(backend["prefix"]) and secret not in json.dumps(listed)
    assert all(k["revokedAt"] is None for k in listed)
    # and the revoked key is gone from the live list, kept with its time in the full one
    assert revoked[0]["id"] == backend["id"] and revoked[0]["revokedAt"] is not None
    assert [k["kind"] for k in after] == ["PUBLISHABLE"]
    assert {k["id"]: k["revokedAt"] for k in everything}[backend["id"]] == revoked[0]["revokedAt"]
    conn = await asyncpg.connect(cli_env["LOYALTY_DATABASE_URL"])
    try:
        stored = await conn.fetchval(
            "SELECT revoked_at IS NOT NULL FROM control.api_keys WHERE id = $1::uuid",
            backend["id"],
        )
    finally:
        await conn.close()
    assert stored is True


def test_unknown_tenants_and_keys_are_refused_saying_which(cli_env):
    _made(cli_env, "tenant", "create", "--slug", "corner", "--name", "Corner")

    no_tenant = loyalty(cli_env, "apikey", "list", "--tenant", "nowhere")
    no_key = loyalty(cli_env, "apikey", "revoke", "--tenant", "corner", "lp_sk_nothing")

    assert no_tenant.returncode == 1 and "no tenant nowhere" in no_tenant.stderr
    assert no_key.returncode == 1 and "no key lp_sk_nothing of tenant corner" in no_key.stderr
