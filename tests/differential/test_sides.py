"""The sides compared are what they claim to be: the production app answers through the
engine, the app with the engine off never does."""

from __future__ import annotations

import pytest

from tests.differential.sides import AppSide, EngineCount
from tests.differential.world import World
from tests.support.operations import OPERATIONS

pytestmark = pytest.mark.differential


async def test_only_the_production_app_answers_through_the_engine(
    fast: AppSide, stock: AppSide, world: World, engine_count: EngineCount
):
    # Given a document the engine plans, sent by a publishable key
    query = (OPERATIONS / "storefront/Program.graphql").read_text()
    token, tenant = world.credential("publishable")

    # When the app with the engine off answers it
    await stock.send(query, {}, token, tenant)

    # Then nothing of the engine ran
    assert (engine_count.direct, engine_count.planned) == (0, 0)

    # When the production app answers it
    await fast.send(query, {}, token, tenant)

    # Then the engine's plan did
    assert (engine_count.direct, engine_count.planned) == (1, 1)
