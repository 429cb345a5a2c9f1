"""The import graph of the project's Python packages, read from source with `ast`.

Every import counts, those under `if TYPE_CHECKING:` and inside functions too: an import
hidden from the interpreter still ties two modules together. `from pkg import name` counts as
importing `pkg.name` when that is a module of ours, else `pkg`.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("domain", "persistence", "tenants", "api", "engine")

Graph = Mapping[str, frozenset[str]]


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules(packages: Iterable[str] = PACKAGES) -> dict[str, Path]:
    """Dotted module name → source file, for every module of `packages`."""
    return {
        _module_name(path): path
        for package in packages
        for path in sorted((ROOT / package).rglob("*.py"))
    }


def _base(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    """The absolute name `node` imports from (relative imports resolved against `module`)."""
    if node.level == 0:
        return node.module or ""
    parts = module.split(".")
    kept = parts if is_package else parts[:-1]
    kept = kept[: len(kept) - (node.level - 1)]
    return ".".join([*kept, node.module] if node.module else kept)


def imported_names(module: str, path: Path) -> set[str]:
    """Every dotted name the module at `path` imports, ours or not."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = _base(module, path.name == "__init__.py", node)
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


def module_graph(packages: Iterable[str] = PACKAGES) -> dict[str, frozenset[str]]:
    """Module → the modules of ours it imports (itself left out)."""
    found = modules(packages)
    return {
        name: frozenset(n for n in imported_names(name, path) if n in found and n != name)
        for name, path in found.items()
    }


def package_graph(graph: Graph) -> dict[str, frozenset[str]]:
    """Top-level package → the other top-level packages its modules import."""
    edges: dict[str, set[str]] = {}
    for source, targets in graph.items():
        top = source.split(".")[0]
        edges.setdefault(top, set()).update(t.split(".")[0] for t in targets)
    return {top: frozenset(targets - {top}) for top, targets in edges.items()}


def strongly_connected(graph: Graph) -> list[list[str]]:
    """The groups of two or more nodes that import each other, directly or not (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return groups


def one_cycle(graph: Graph, group: Iterable[str]) -> list[str]:
    """A path through `group` (a strongly connected group) that comes back to its start."""
    members = sorted(group)
    start = members[0]
    came_from: dict[str, str] = {}
    frontier = [start]
    while frontier:
        node = frontier.pop(0)
        for target in sorted(graph.get(node, ())):
            if target == start:
                path = [start]
                while node != start:
                    path.insert(1, node)
                    node = came_from[node]
                return [*path, start]
            if target in members and target not in came_from:
                came_from[target] = node
                frontier.append(target)
    return members


def describe_cycles(graph: Graph) -> Iterator[str]:
    """Each import cycle of `graph`, as 'a → b → a' with every module of its group."""
    for group in strongly_connected(graph):
        yield f"{' → '.join(one_cycle(graph, group))}  (all of: {', '.join(group)})"


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def type_checking_imports(module: str, path: Path) -> set[str]:
    """The dotted names the module imports under `if TYPE_CHECKING:` only."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for inner in node.body:
                for found in ast.walk(inner):
                    if isinstance(found, ast.Import):
                        names.update(alias.name for alias in found.names)
                    elif isinstance(found, ast.ImportFrom):
                        names.add(_base(module, path.name == "__init__.py", found))
    return names
