"""Depth and alias limits that measure each fragment once.

strawberry's QueryDepthLimiter and MaxAliasesLimiter walk every path through the document:
fragments that each spread the next one twice cost them 2^n steps, so a few hundred tokens
pin a CPU for hours inside validation. The depth walker also raised KeyError at a spread of
an undefined fragment, whose bare text reached the client. These rules keep their measures
and messages, and fold each fragment's measure once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationContext,
    ValidationRule,
)

FieldMeasure = Callable[[FieldNode, int], int]
Combine = Callable[[Iterable[int]], int]


def _measure(
    document: DocumentNode, of_field: FieldMeasure, combine: Combine
) -> list[tuple[OperationDefinitionNode, int]]:
    """Each operation's measure: `of_field(field, measure of its selections)`, combined over
    a selection set; a fragment spread measures as its fragment, computed once."""
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    known: dict[str, int] = {}

    def fragment(name: str, visiting: frozenset[str]) -> int:
        if name not in known:
            definition = fragments.get(name)
            if definition is None or name in visiting:
                return 0  # undefined or cyclic: graphql-core's own rules report it
            known[name] = selections(definition.selection_set, visiting | {name})
        return known[name]

    def selections(selection_set: SelectionSetNode, visiting: frozenset[str]) -> int:
        measures = []
        for node in selection_set.selections:
            if isinstance(node, FieldNode):
                inner = node.selection_set
                measures.append(of_field(node, selections(inner, visiting) if inner else 0))
            elif isinstance(node, InlineFragmentNode):
                measures.append(selections(node.selection_set, visiting))
            elif isinstance(node, FragmentSpreadNode):
                measures.append(fragment(node.name.value, visiting))
        return combine(measures)

    return [
        (d, selections(d.selection_set, frozenset()))
        for d in document.definitions
        if isinstance(d, OperationDefinitionNode)
    ]


def _depth(field: FieldNode, inner: int) -> int:
    # Introspection fields are not counted, as in strawberry's limiter.
    if field.selection_set is None or field.name.value.startswith("__"):
        return 0
    return 1 + inner


def _deepest(measures: Iterable[int]) -> int:
    return max(measures, default=0)


def _aliases(field: FieldNode, inner: int) -> int:
    return inner + (1 if field.alias else 0)


def depth_limit(max_depth: int) -> type[ValidationRule]:
    """Refuses each operation whose fields nest deeper than `max_depth`."""

    class DepthLimit(ValidationRule):
        def __init__(self, context: ValidationContext) -> None:
            super().__init__(context)
            for operation, depth in _measure(context.document, _depth, _deepest):
                if depth > max_depth:
                    name = operation.name.value if operation.name else "anonymous"
                    message = f"'{name}' exceeds maximum operation depth of {max_depth}"
                    context.report_error(GraphQLError(message, operation))

    return DepthLimit


def alias_limit(max_aliases: int) -> type[ValidationRule]:
    """Refuses a document with more than `max_aliases` aliases, counting a fragment's
    aliases at every spread of it (an alias in a fragment spread twice runs twice)."""

    class AliasLimit(ValidationRule):
        def __init__(self, context: ValidationContext) -> None:
            super().__init__(context)
            total = sum(count for _, count in _measure(context.document, _aliases, sum))
            if total > max_aliases:
                context.report_error(GraphQLError(f"{total} aliases found. Allowed: {max_aliases}"))

    return AliasLimit
