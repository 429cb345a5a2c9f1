"""No import cycles, by construction: among modules, among the top-level packages, and the
directions the layers allow (README.md's layout: `api` → `domain` ← `persistence`, `tenants`
used by `api` and `persistence`, `engine` knowing nothing of loyalty).

Imports under `if TYPE_CHECKING:` and inside functions count: a cycle hidden from the
interpreter is still a cycle in the design.
"""

from __future__ import annotations

from tests.support.import_graph import (
    PACKAGES,
    describe_cycles,
    module_graph,
    modules,
    package_graph,
    type_checking_imports,
)

# Which top-level packages each may not import (domain and engine: none of the others).
FORBIDDEN = {
    "domain": {"persistence", "tenants", "api", "engine"},
    "engine": {"domain", "persistence", "tenants", "api"},
    "persistence": {"api"},
    "tenants": {"api"},
}


def test_no_module_imports_itself_back_through_others():
    # given the import graph of every module of the five packages
    graph = module_graph()
    assert len(graph) > 100

    # when its cycles are looked for
    cycles = list(describe_cycles(graph))

    # then there is none
    assert cycles == [], "import cycles:\n" + "\n".join(cycles)


def test_no_top_level_package_imports_itself_back_through_others():
    # given which top-level packages import which
    packages = package_graph(module_graph())
    assert set(packages) == set(PACKAGES)

    # when their cycles are looked for
    cycles = list(describe_cycles(packages))

    # then there is none
    assert cycles == [], "package import cycles:\n" + "\n".join(cycles)


def test_every_package_imports_only_in_the_allowed_directions():
    # given every module's imports of our own modules
    graph = module_graph()

    # when those that cross into a package their own may not import are kept
    wrong = sorted(
        f"{source} → {target}"
        for source, targets in graph.items()
        for target in targets
        if target.split(".")[0] in FORBIDDEN.get(source.split(".")[0], set())
    )

    # then there are none
    assert wrong == [], "imports against the layers:\n" + "\n".join(wrong)


def test_no_module_hides_an_import_of_ours_behind_type_checking():
    # given every module of the five packages
    found = modules()

    # when the imports made for type checking only are read
    hidden = {
        name: sorted(n for n in type_checking_imports(name, path) if n.split(".")[0] in PACKAGES)
        for name, path in found.items()
    }

    # then none names a module of ours: a real import is either fine or a cycle to break
    assert {name: names for name, names in hidden.items() if names} == {}
