"""The app with persisted queries required (api/http/persisted_queries.py), for the tests of
persisted queries and trusted documents."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest

from api.http.app import create_app
from api.services import Services
from tests.support.gql import GraphQLClient


@asynccontextmanager
async def app_with(services: Services, **settings: Any) -> AsyncIterator[GraphQLClient]:
    """The app on the same database and Redis, with other settings."""
    changed = dataclasses.replace(services, settings=services.settings.model_copy(update=settings))
    transport = httpx.ASGITransport(app=create_app(services=changed))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield GraphQLClient(http)


@pytest.fixture
async def required(services: Services) -> AsyncIterator[GraphQLClient]:
    async with app_with(services, require_persisted_queries=True) as gql:
        yield gql
