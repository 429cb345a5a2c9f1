"""Given production settings missing what production needs (a secret key of at least 32
bytes, explicit PostgreSQL and Redis URLs), when the process is started, then it refuses with
one clear line and a non-zero exit, before it starts any server or says it is ready; and
development still starts on its embedded defaults."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from api.cli import EXIT_CONFIG
from api.services import Services
from api.settings import Settings
from api.startup_checks import StartupRefused, production_refusals
from tests.integration.test_cli import loyalty
from tests.support.servers import free_port

GOOD_SECRET = "k" * 32


def _env(tmp_path: Path, **loyalty: str) -> dict[str, str]:
    """The environment without any LOYALTY_ setting but `loyalty`'s."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOYALTY_")}
    env["LOYALTY_DATA_DIR"] = str(tmp_path / ".loyalty")
    env.update({f"LOYALTY_{k.upper()}": v for k, v in loyalty.items()})
    return env


def _production(database: str, redis: str, changes: dict[str, str | None]) -> dict[str, str]:
    settings = {
        "environment": "production",
        "secret_key": GOOD_SECRET,
        "database_url": database,
        "redis_url": redis,
        **changes,
    }
    return {k: v for k, v in settings.items() if v is not None}


@pytest.mark.parametrize(
    ("missing", "named"),
    [
        pytest.param({"secret_key": None}, "LOYALTY_SECRET_KEY is not set", id="no-secret-key"),
        pytest.param(
            {"secret_key": "k" * 31}, "LOYALTY_SECRET_KEY is shorter than 32 bytes", id="short-key"
        ),
        pytest.param(
            {"database_url": None}, "LOYALTY_DATABASE_URL is not set", id="no-database-url"
        ),
        pytest.param({"redis_url": None}, "LOYALTY_REDIS_URL is not set", id="no-redis-url"),
    ],
)
def test_serve_in_production_refuses_to_start_without_what_it_needs(
    tmp_path, database_url, redis_dsn, missing, named
):
    # given production settings with one thing missing
    env = _env(tmp_path, **_production(database_url, redis_dsn, missing))

    # when the server is started
    done = loyalty(env, "serve", "--port", str(free_port()))

    # then it exits with a configuration error and one line naming what is missing, before
    # it started anything (no embedded server's data folder, no application start-up)
    assert done.returncode == EXIT_CONFIG, done.stderr
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("loyalty: refusing to start in production: ")
    assert named in last
    assert "Traceback" not in done.stderr
    assert "Application startup" not in done.stderr
    assert not (tmp_path / ".loyalty").exists()


@pytest.mark.parametrize("command", [["worker", "--once"], ["migrate", "--quiet"], ["demo"]])
def test_every_command_that_starts_services_refuses_too(tmp_path, redis_dsn, command):
    # given production settings without a database URL or a secret key
    env = _env(tmp_path, environment="production", redis_url=redis_dsn)

    # when a command that needs the database runs
    done = loyalty(env, *command)

    # then it refuses the same way, naming everything that is missing at once
    assert done.returncode == EXIT_CONFIG, done.stderr
    last = done.stderr.strip().splitlines()[-1]
    assert "LOYALTY_SECRET_KEY is not set" in last
    assert "LOYALTY_DATABASE_URL is not set" in last
    assert not (tmp_path / ".loyalty").exists()


def test_complete_production_settings_are_accepted(database_url, redis_dsn):
    # given production settings with everything production needs
    settings = Settings(
        environment="production",
        secret_key=GOOD_SECRET,
        database_url=database_url,
        redis_url=redis_dsn,
    )

    # when they are checked, then nothing is refused
    assert production_refusals(settings) == []


def test_a_transaction_mode_pooler_without_a_direct_listening_url_is_refused(
    database_url, redis_dsn
):
    # given production settings behind PgBouncer in transaction mode
    behind = Settings(
        environment="production",
        secret_key=GOOD_SECRET,
        database_url=database_url,
        redis_url=redis_dsn,
        database_pooler="pgbouncer-transaction",
    )

    # when they are checked without a direct URL for LISTEN, then that is refused
    assert production_refusals(behind) == [
        "LOYALTY_LISTEN_DATABASE_URL is not set (LISTEN needs a direct session connection;"
        " through a transaction-mode pooler no announcement would be heard)"
    ]
    # and with one, nothing is
    direct = behind.model_copy(update={"listen_database_url": database_url})
    assert production_refusals(direct) == []


def test_development_needs_none_of_it():
    # given development settings with nothing configured
    settings = Settings(environment="development", secret_key=None)

    # when they are checked, then nothing is refused: embedded servers and a generated key
    # are what development runs on
    assert production_refusals(settings) == []


async def test_services_refuse_to_start_on_incomplete_production_settings(settings):
    # given production settings whose secret key is too short
    short = settings.model_copy(update={"secret_key": "short"})

    # when the process's services are started (as `uvicorn api.http.app:create_app` would)
    # then they refuse before connecting to anything
    with pytest.raises(StartupRefused, match="shorter than 32 bytes"):
        await Services.start(short)


@pytest.mark.parametrize(
    ("setting", "value"),
    [
        pytest.param("environment", "prod", id="unknown-environment"),
        pytest.param("listen_retry_first_seconds", "0", id="retry-without-a-wait"),
    ],
)
def test_an_invalid_setting_is_refused_in_one_line(
    tmp_path, database_url, redis_dsn, setting, value
):
    # given settings one of which is not valid (a mistyped environment would otherwise not
    # be production at all)
    env = _env(tmp_path, **{**_production(database_url, redis_dsn, {}), setting: value})

    # when the server is started
    done = loyalty(env, "serve", "--port", str(free_port()))

    # then it exits with a configuration error and one line naming the variable
    assert done.returncode == EXIT_CONFIG, done.stderr
    assert "Traceback" not in done.stderr
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("loyalty: invalid settings: ")
    assert f"LOYALTY_{setting.upper()}: " in last
