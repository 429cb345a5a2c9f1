"""The domain is pure Python: it imports no adapter, framework or outer layer."""

from __future__ import annotations

from tests.support.import_graph import imported_names, modules

OUTSIDE = {"asyncpg", "redis", "strawberry", "starlette", "api", "persistence", "tenants"}


def test_no_domain_module_imports_an_adapter_or_an_outer_layer():
    # given every module of the domain
    found = modules(["domain"])
    assert found

    # when their imports are read, type-checking-only ones included
    reached = {
        name: {n.split(".")[0] for n in imported_names(name, path)} & OUTSIDE
        for name, path in found.items()
    }

    # then none reaches outside the domain
    assert {name: bad for name, bad in reached.items() if bad} == {}


NOT_FOR_THE_ENGINE = {"api", "domain", "persistence", "tenants"}


def test_no_engine_module_imports_the_application():
    # given every module of the engine
    found = modules(["engine"])
    assert found

    # when their imports are read, type-checking-only ones included
    reached = {
        name: {n.split(".")[0] for n in imported_names(name, path)} & NOT_FOR_THE_ENGINE
        for name, path in found.items()
    }

    # then none reaches the application it runs: the engine knows nothing of loyalty
    assert {name: bad for name, bad in reached.items() if bad} == {}
