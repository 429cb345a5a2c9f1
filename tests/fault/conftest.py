"""Each fault test gets a deployment of its own to kill parts of."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.support.deployment import Deployment, own_deployment


@pytest.fixture
async def deployment() -> AsyncIterator[Deployment]:
    async with own_deployment() as running:
        yield running
