"""What a resolver's own selection asks for, read from the parsed document.

Lets a resolver skip loading a row when the client asked only for fields that need nothing
but an id it already knows (`me { points { available } }` needs no member row)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping

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
    for field in raw.field_nodes:
        if field.selection_set is None:
            return False
        names = _selected(field.selection_set.selections, raw.fragments, seen)
        if not all(name in allowed for name in names):
            return False
    return True


def _selected(
    selections: Iterable[SelectionNode],
    fragments: Mapping[str, FragmentDefinitionNode],
    seen: set[str],
) -> Iterator[str | None]:
    """The names of the fields selected, through fragments (each once); None for what it
    cannot tell. A function of the module, not a closure calling itself: that closure and
    its cell were a reference cycle per request, left for the full collections."""
    for node in selections:
        if isinstance(node, FieldNode):
            yield node.name.value
        elif isinstance(node, InlineFragmentNode):
            yield from _selected(node.selection_set.selections, fragments, seen)
        elif isinstance(node, FragmentSpreadNode):
            if node.name.value not in seen:
                seen.add(node.name.value)
                fragment = fragments.get(node.name.value)
                if fragment is None:
                    yield None
                else:
                    yield from _selected(fragment.selection_set.selections, fragments, seen)
        else:  # pragma: no cover - graphql-core has no other selection kind
            yield None
