"""The domain is pure Python: it imports no adapter, framework or outer layer."""

from __future__ import annotations

import ast
from pathlib import Path

DOMAIN = Path(__file__).resolve().parents[2] / "domain"
OUTSIDE = {"asyncpg", "redis", "strawberry", "starlette", "api", "persistence", "tenants"}


def _imported(source: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(source.read_text(), str(source))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_no_domain_module_imports_an_adapter_or_an_outer_layer():
    # given every module of the domain
    modules = sorted(DOMAIN.rglob("*.py"))
    assert modules

    # when their imports are read, type-checking-only ones included
    found = {m.name: _imported(m) & OUTSIDE for m in modules}

    # then none reaches outside the domain
    assert {name: bad for name, bad in found.items() if bad} == {}


ENGINE = DOMAIN.parent / "engine"
NOT_FOR_THE_ENGINE = {"api", "domain", "persistence", "tenants"}


def test_no_engine_module_imports_the_application():
    # given every module of the engine
    modules = sorted(ENGINE.rglob("*.py"))
    assert modules

    # when their imports are read, type-checking-only ones included
    found = {m.name: _imported(m) & NOT_FOR_THE_ENGINE for m in modules}

    # then none reaches the application it runs: the engine knows nothing of loyalty
    assert {name: bad for name, bad in found.items() if bad} == {}
