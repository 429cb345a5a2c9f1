"""With the engine on, a process refuses to start, with one line naming what moved, when a
private name the engine relies on is missing; with LOYALTY_ENGINE=stock the check is not
made (api/startup_checks.py, engine/private_names.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from strawberry.execution import is_awaitable

from api.cli import EXIT_CONFIG
from api.settings import Settings
from api.startup_checks import StartupRefused, refuse_unsafe_start
from tests.support.servers import free_port

ROOT = Path(__file__).resolve().parents[2]
# `loyalty serve`, in a process whose strawberry lacks the resolve info the plans build.
SERVE_WITHOUT_A_NAME = """
import sys
import strawberry.schema.schema as schema
del schema._OperationContextAwareGraphQLResolveInfo
from api.cli import main
sys.exit(main(["serve", "--port", sys.argv[1], "--no-worker"]))
"""


def test_a_missing_name_refuses_the_start_with_the_engine_on(monkeypatch):
    # given a strawberry without the awaitable check the engine uses
    monkeypatch.delattr(is_awaitable, "optimized_is_awaitable")

    # when a development process with the engine on starts
    with pytest.raises(StartupRefused) as refused:
        refuse_unsafe_start(Settings(environment="development", secret_key="x", engine="fast"))

    # then it refuses, naming the name and the way out
    message = str(refused.value)
    assert message.startswith("refusing to start: the engine relies on private names of ")
    assert "strawberry.execution.is_awaitable.optimized_is_awaitable" in message
    assert "LOYALTY_ENGINE=stock" in message


def test_the_engine_off_needs_no_private_name(monkeypatch):
    # given the same strawberry
    monkeypatch.delattr(is_awaitable, "optimized_is_awaitable")

    # when a process with the engine off starts
    refused = None
    try:
        refuse_unsafe_start(Settings(environment="development", secret_key="x", engine="stock"))
    except StartupRefused as error:
        refused = error

    # then nothing is refused: its requests never reach the engine's execution
    assert refused is None


def test_serve_refuses_before_it_starts_anything(tmp_path):
    # given a process whose strawberry lacks a name the engine relies on, engine on
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOYALTY_")}
    env["LOYALTY_DATA_DIR"] = str(tmp_path / ".loyalty")
    env["LOYALTY_ENGINE"] = "fast"

    # when the server is started
    done = subprocess.run(
        [sys.executable, "-c", SERVE_WITHOUT_A_NAME, str(free_port())],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    # then it exits with a configuration error and one line naming the name, before it
    # started anything (no traceback, no embedded servers' data folder)
    assert done.returncode == EXIT_CONFIG, done.stderr
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("loyalty: refusing to start: the engine relies on private names")
    assert "strawberry.schema.schema._OperationContextAwareGraphQLResolveInfo" in last
    assert "Traceback" not in done.stderr
    assert not (tmp_path / ".loyalty").exists()
