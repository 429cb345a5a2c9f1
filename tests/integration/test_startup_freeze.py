"""What is alive after start-up is kept out of the garbage collector's sight, so full
collections under load no longer walk the schemas, and the setting turns it off."""

from __future__ import annotations

import gc

import pytest

from api.http.app import create_app
from api.settings import Settings


@pytest.fixture
def unfrozen():
    gc.unfreeze()
    yield
    gc.unfreeze()  # leave the test process as it was


@pytest.mark.parametrize("freeze", [True, False])
async def test_start_up_freezes_what_it_built_unless_told_not_to(settings, unfrozen, freeze):
    # given the app with the setting on or off
    app = create_app(settings.model_copy(update={"freeze_startup_objects": freeze}))

    # when it starts (its lifespan runs)
    async with app.router.lifespan_context(app):
        assert app.state.graphql is not None
        frozen = gc.get_freeze_count()

    # then the objects alive at start-up were frozen only when asked
    assert (frozen > 10_000) is freeze


def test_freezing_is_on_by_default():
    assert Settings(secret_key="x" * 40).freeze_startup_objects is True
