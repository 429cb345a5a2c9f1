"""With the engine on, a process refuses to start, with one line naming what moved, when a
private name the engine relies on is missing; with LOYALTY_ENGINE=stock only the document
cache's names are checked, and the engine's executor is never imported
(api/startup_checks.py, engine/private_names.py)."""

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


# A stock process in an interpreter where the engine's executor cannot be imported at all (as
# when an upgrade removed a private name it imports): the application still imports, builds
# its schema and answers.
STOCK_WITHOUT_A_NAME = """
import asyncio, sys
for executor in ("direct", "execution", "query_plan", "plain_tree", "mutation_plan",
                 "lean_resolvers", "plan_values", "replay", "schema_check"):
    sys.modules["engine." + executor] = None  # importing it raises ImportError
import api.http.app
from api.schema.build import build_schema
from api.settings import Settings
from api.startup_checks import refuse_unsafe_start
settings = Settings(environment="development", secret_key="x", engine="stock")
refuse_unsafe_start(settings)
result = asyncio.run(build_schema(settings).execute("{ __typename }"))
loaded = sorted(m for m, v in sys.modules.items() if v and m.startswith("engine."))
print(result.data, result.errors, loaded)
"""


def test_the_engine_off_imports_no_executor_and_serves_without_its_names():
    # given an interpreter where the engine's executor cannot be imported
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOYALTY_")}

    # when the application is imported and its stock schema built and asked a query
    done = subprocess.run(
        [sys.executable, "-c", STOCK_WITHOUT_A_NAME],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    # then it answers, having imported none of the engine's execution modules
    assert done.returncode == 0, done.stderr
    answer, loaded = done.stdout.strip().split(" [", 1)
    assert answer == "{'__typename': 'Query'} None"
    for executor in ("engine.direct", "engine.execution", "engine.query_plan", "engine.plain_tree"):
        assert f"'{executor}'" not in loaded


def test_the_engine_off_still_needs_the_document_caches_names(monkeypatch):
    # given a strawberry without the validation function the document cache calls
    import strawberry.schema.schema as strawberry_schema

    monkeypatch.delattr(strawberry_schema, "validate_document")

    # when a process with the engine off starts
    with pytest.raises(StartupRefused) as refused:
        refuse_unsafe_start(Settings(environment="development", secret_key="x", engine="stock"))

    # then it refuses, naming it: the stock path prepares documents through the cache too
    assert "strawberry.schema.schema.validate_document" in str(refused.value)
    assert "document cache" in str(refused.value)
