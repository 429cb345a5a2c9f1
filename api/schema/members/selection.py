"""What a resolver's own selection asks for, read from the parsed document.

Lets a resolver skip loading a row when the client asked only for fields that need nothing
but an id it already knows (`me { points { available } }` needs no member row)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    SelectionNode,
)

from api.context import Info

# Member fields answered from the member's id alone (api/schema/members/member_type.py): the
# balance, the ledger, redemptions, rewards and tiers are all keyed by it.
MEMBER_ID_ONLY_FIELDS = frozenset(
    {
        "__typename",
        "id",
        "points",
        "history",
        "orders",
        "redemptions",
        "availableRewards",
        "tier",
        "tierHistory",
        "stamps",
    }
)


def selects_only(info: Info, allowed: frozenset[str]) -> bool:
    """True when every field selected under this resolver's field, through fragments and
    inline fragments, is one of `allowed`. Anything it cannot tell answers False."""
    raw = info._raw_info  # graphql-core's own info: the field nodes and the fragments
    seen: set[str] = set()
    return all(
        field.selection_set is not None
        and _only(field.selection_set.selections, allowed, raw.fragments, seen)
        for field in raw.field_nodes
    )


def _only(
    selections: Iterable[SelectionNode],
    allowed: frozenset[str],
    fragments: Mapping[str, FragmentDefinitionNode],
    seen: set[str],
) -> bool:
    # A function of the module, not a closure calling itself: that closure and its cell
    # were a reference cycle per request, left for the garbage collector's full collections.
    for node in selections:
        if isinstance(node, FieldNode):
            if node.name.value not in allowed:
                return False
        elif isinstance(node, InlineFragmentNode):
            if not _only(node.selection_set.selections, allowed, fragments, seen):
                return False
        elif isinstance(node, FragmentSpreadNode):
            name = node.name.value
            if name in seen:
                continue
            seen.add(name)
            fragment = fragments.get(name)
            if fragment is None or not _only(
                fragment.selection_set.selections, allowed, fragments, seen
            ):
                return False
        else:  # pragma: no cover - graphql-core has no other selection kind
            return False
    return True
