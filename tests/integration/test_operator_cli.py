"""`loyalty operator create/invite/grant` keep every grant inside the tenant's agency."""

from __future__ import annotations

import asyncpg

from tests.integration.test_cli import cli_env, loyalty

__all__ = ["cli_env"]  # the fixture, shared with test_cli.py

PASSWORD = "a long and uncommon passphrase"


async def _access(env: dict[str, str]) -> set[tuple[str, str, str]]:
    """(operator email, tenant slug, role) of every membership."""
    conn = await asyncpg.connect(env["LOYALTY_DATABASE_URL"])
    try:
        rows = await conn.fetch(
            """SELECT o.email, t.slug, m.role FROM control.memberships m
               JOIN control.operators o ON o.id = m.operator_id
               JOIN control.tenants t ON t.id = m.tenant_id"""
        )
    finally:
        await conn.close()
    return {(r["email"], r["slug"], r["role"]) for r in rows}


def _create(env, email, *extra):
    return loyalty(env, "operator", "create", "--email", email, "--password", PASSWORD, *extra)


async def test_the_command_line_grants_nothing_across_agencies(cli_env):
    # given a tenant of no agency, which its first operator's new agency takes in
    assert loyalty(cli_env, "tenant", "create", "--slug", "shop-a", "--name", "A").returncode == 0
    first = _create(cli_env, "a@ops.example", "--tenant", "shop-a")
    assert first.returncode == 0, first.stderr
    # and another agency with a tenant of its own
    assert _create(cli_env, "b@ops.example").returncode == 0, "b"
    made = loyalty(
        cli_env, "tenant", "create", "--slug", "shop-b", "--name", "B", "--owner", "b@ops.example"
    )
    assert made.returncode == 0, made.stderr

    # when a new operator asks for a tenant of an agency
    joined = _create(cli_env, "c@ops.example", "--tenant", "shop-a")
    # or an operator is granted a tenant of another agency
    granted = loyalty(
        cli_env, "operator", "grant", "--email", "b@ops.example", "--tenant", "shop-a"
    )
    # or an operator invites someone into a tenant of another agency
    invited = loyalty(
        cli_env, "operator", "invite", "--by", "a@ops.example", "--email", "d@ops.example",
        "--tenant", "shop-b",
    )  # fmt: skip

    # then each is refused, saying why
    assert joined.returncode != 0 and "another agency" in joined.stderr
    assert granted.returncode != 0 and "no tenant shop-a in that agency" in granted.stderr
    assert invited.returncode != 0 and "no tenant shop-b in that agency" in invited.stderr
    # and nobody has access outside its agency
    assert await _access(cli_env) == {
        ("a@ops.example", "shop-a", "OWNER"),
        ("b@ops.example", "shop-b", "OWNER"),
    }


async def test_invite_adds_to_an_existing_agency_within_the_inviters_powers(cli_env):
    # given an owner with a tenant
    assert _create(cli_env, "owner@ops.example").returncode == 0
    made = loyalty(
        cli_env, "tenant", "create", "--slug", "shop", "--name", "S", "--owner", "owner@ops.example"
    )
    assert made.returncode == 0, made.stderr

    # when it invites an admin to its tenant
    invited = loyalty(
        cli_env, "operator", "invite", "--by", "owner@ops.example", "--email", "Ann@Ops.example",
        "--role", "admin", "--tenant", "shop",
    )  # fmt: skip

    # then the invitation's token is printed, for acceptInvitation
    assert invited.returncode == 0, invited.stderr
    assert "ann@ops.example as ADMIN" in invited.stdout
    assert invited.stdout.strip().splitlines()[-1].startswith("lp_inv_")

    # and an operator of the agency grants its own tenants only, with its role
    assert _create(cli_env, "solo@ops.example", "--role", "viewer").returncode == 0
    refused = loyalty(
        cli_env, "operator", "grant", "--email", "solo@ops.example", "--tenant", "shop"
    )
    assert refused.returncode != 0

    # and a weak password makes no operator
    weak = loyalty(
        cli_env, "operator", "create", "--email", "weak@ops.example", "--password", "password1234"
    )
    assert weak.returncode != 0 and "too common" in weak.stderr
    assert (
        loyalty(
            cli_env, "operator", "grant", "--email", "weak@ops.example", "--tenant", "shop"
        ).returncode
        != 0
    )
    assert await _access(cli_env) == {("owner@ops.example", "shop", "OWNER")}
