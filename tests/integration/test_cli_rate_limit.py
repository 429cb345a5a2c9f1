"""`loyalty tenant rate-limit` sets a tenant's own request budget, as a user would run it."""

from __future__ import annotations

import asyncpg

from tests.integration.test_cli import cli_env, loyalty  # noqa: F401 - the fixture

BUDGET = "SELECT rate_limit_per_minute FROM control.tenants WHERE slug = 'budget-shop'"


async def test_an_operator_sets_and_resets_a_tenants_budget(cli_env):  # noqa: F811
    # given a tenant
    made = loyalty(cli_env, "tenant", "create", "--slug", "budget-shop", "--name", "Budget")
    assert made.returncode == 0, made.stderr

    # when its budget is set, then returned to the default, and a bad value is given
    set_to = loyalty(cli_env, "tenant", "rate-limit", "--slug", "budget-shop", "250")
    conn = await asyncpg.connect(cli_env["LOYALTY_DATABASE_URL"])
    try:
        stored = await conn.fetchval(BUDGET)
        reset = loyalty(cli_env, "tenant", "rate-limit", "--slug", "budget-shop", "default")
        after_reset = await conn.fetchval(BUDGET)
    finally:
        await conn.close()
    bad = loyalty(cli_env, "tenant", "rate-limit", "--slug", "budget-shop", "-5")
    unknown = loyalty(cli_env, "tenant", "rate-limit", "--slug", "no-such-shop", "10")

    # then each is stored, and the bad ones refused with a plain message
    assert set_to.returncode == 0, set_to.stderr
    assert stored == 250
    assert reset.returncode == 0, reset.stderr
    assert after_reset is None
    assert bad.returncode != 0 and "whole number" in bad.stderr
    assert unknown.returncode != 0 and "no tenant" in unknown.stderr
