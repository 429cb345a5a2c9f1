"""Depth, alias and cost limits that measure each fragment once.

strawberry's QueryDepthLimiter and MaxAliasesLimiter walk every path through the document:
fragments that each spread the next one twice cost them 2^n steps, so a few hundred tokens
pin a CPU for hours inside validation. The depth walker also raised KeyError at a spread of
an undefined fragment, whose bare text reached the client. These rules keep their measures
and messages, and fold each fragment's measure once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TypeVar

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationContext,
    ValidationRule,
    VariableNode,
)

M = TypeVar("M")


def _measure(
    document: DocumentNode,
    of_field: Callable[[FieldNode, M], M],
    combine: Callable[[Iterable[M]], M],
) -> list[tuple[OperationDefinitionNode, M]]:
    """Each operation's measure: `of_field(field, measure of its selections)`, combined over
    a selection set; a fragment spread measures as its fragment, computed once."""
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    known: dict[str, M] = {}
    nothing = combine(())

    def fragment(name: str, visiting: frozenset[str]) -> M:
        if name not in known:
            definition = fragments.get(name)
            if definition is None or name in visiting:
                return nothing  # undefined or cyclic: graphql-core's own rules report it
            known[name] = selections(definition.selection_set, visiting | {name})
        return known[name]

    def selections(selection_set: SelectionSetNode, visiting: frozenset[str]) -> M:
        measures = []
        for node in selection_set.selections:
            if isinstance(node, FieldNode):
                inner = node.selection_set
                measures.append(of_field(node, selections(inner, visiting) if inner else nothing))
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


def _total(measures: Iterable[int]) -> int:
    return sum(measures)


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
            total = sum(count for _, count in _measure(context.document, _aliases, _total))
            if total > max_aliases:
                context.report_error(GraphQLError(f"{total} aliases found. Allowed: {max_aliases}"))

    return AliasLimit


def _page_size(field: FieldNode, max_page_size: int) -> int:
    """How many items a field may return: its literal `first`, the largest page when `first`
    is a variable (validation is cached per document, before variables are known), else 1."""
    for argument in field.arguments or ():
        if argument.name.value != "first":
            continue
        if isinstance(argument.value, IntValueNode):
            return max(1, min(int(argument.value.value), max_page_size))
        if isinstance(argument.value, VariableNode):
            return max_page_size
    return 1


def cost_limit(max_cost: int, max_page_size: int) -> type[ValidationRule]:
    """Refuses each operation whose estimated cost passes `max_cost`. An object field costs
    one plus what its selections cost, times its page size, so nested pages multiply:
    `members(first: 100) { nodes { history(first: 100) { … } } }` costs over 20,000.
    Fields of one response key merge into one when executed, so they count once."""

    class CostLimit(ValidationRule):
        def __init__(self, context: ValidationContext) -> None:
            super().__init__(context)
            for operation, estimate in _costs(context.document, max_page_size):
                if estimate > max_cost:
                    name = operation.name.value if operation.name else "anonymous"
                    message = (
                        f"'{name}' has an estimated cost of {estimate}; the limit is {max_cost}"
                    )
                    context.report_error(GraphQLError(message, operation))

    return CostLimit


Costs = dict[str, int]


def _costs(document: DocumentNode, max_page_size: int) -> list[tuple[OperationDefinitionNode, int]]:
    def cost(field: FieldNode, inner: Costs) -> Costs:
        if field.selection_set is None or field.name.value.startswith("__"):
            return {}
        key = field.alias.value if field.alias else field.name.value
        return {key: _page_size(field, max_page_size) * (1 + sum(inner.values()))}

    return [
        (operation, sum(costs.values()))
        for operation, costs in _measure(document, cost, _merge_by_key)
    ]


def estimated_cost(document: DocumentNode, max_page_size: int) -> int:
    """The estimated cost of the costliest operation of a document (as cost_limit counts
    it): what a request for it spends of its rate limit (api/http/rate_limits.py)."""
    return max((estimate for _, estimate in _costs(document, max_page_size)), default=0)


def _merge_by_key(measures: Iterable[Costs]) -> Costs:
    # Merged fields run once; the costlier of their selections stands for the merge.
    merged: Costs = {}
    for costs in measures:
        for key, value in costs.items():
            merged[key] = max(merged.get(key, 0), value)
    return merged
