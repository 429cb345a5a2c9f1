"""Runs a state machine whose steps drive the app through its own event loop and Services."""

from __future__ import annotations

import asyncio
from typing import Any

from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from hypothesis.stateful import run_state_machine_as_test

from api.services import Services
from api.settings import Settings
from tests.support.recycled_schemas import SchemaRecycler


def run_machine(machine: Any, settings: Settings, *, examples: int, steps: int) -> None:
    """`machine` has class attributes `loop`, `services` and `migrator`, set here for its
    steps: the migrator reuses the schemas of earlier examples' tenants
    (tests/support/recycled_schemas.py)."""
    loop = asyncio.new_event_loop()
    # One step at a time: a few connections are enough, and the database server is shared.
    few = settings.model_copy(update={"db_pool_min": 1, "db_pool_max": 4})
    services = loop.run_until_complete(Services.start(few))
    try:
        machine.loop = loop
        machine.services = services
        machine.migrator = SchemaRecycler(services.pool)
        run_state_machine_as_test(
            machine,
            settings=hypothesis_settings(
                max_examples=examples,
                stateful_step_count=steps,
                deadline=None,
                suppress_health_check=[HealthCheck.too_slow],
            ),
        )
    finally:
        loop.run_until_complete(services.close())
        loop.close()
