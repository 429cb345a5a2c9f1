"""The documents of graphql/operations/ by kind, so the suite can check that it compares
every one of them."""

from __future__ import annotations

from graphql import OperationDefinitionNode, parse

from tests.support.operations import OPERATIONS


def documents_of(kind: str) -> set[str]:
    """The paths under graphql/operations/ of the documents whose operation is a `kind`
    ("query", "mutation")."""
    found = set()
    for path in OPERATIONS.rglob("*.graphql"):
        definitions = parse(path.read_text()).definitions
        if any(
            isinstance(d, OperationDefinitionNode) and d.operation.value == kind
            for d in definitions
        ):
            found.add(str(path.relative_to(OPERATIONS)))
    return found
