"""`loyalty worker` runs the time-driven jobs; `loyalty serve` runs them too unless told not."""

from __future__ import annotations

from api.cli import parser
from tests.integration.test_cli import cli_env, loyalty

__all__ = ["cli_env"]  # the fixture, used by name below


def test_loyalty_worker_once_runs_a_round_over_every_tenant_and_exits(cli_env):
    # Given a tenant
    created = loyalty(cli_env, "tenant", "create", "--slug", "night-shop", "--name", "Night")
    assert created.returncode == 0, created.stderr

    # When one worker round is run, twice
    rounds = [loyalty(cli_env, "worker", "--once") for _ in range(2)]

    # Then each exits cleanly and reports what it did (nothing was due)
    for done in rounds:
        assert done.returncode == 0, done.stderr
        assert "JobReport(settled=0" in done.stdout


def test_serve_runs_the_worker_unless_no_worker_is_given():
    assert parser().parse_args(["serve"]).no_worker is False
    assert parser().parse_args(["serve", "--no-worker"]).no_worker is True
    assert parser().parse_args(["worker", "--interval", "2"]).interval == 2.0
