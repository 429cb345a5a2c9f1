"""Generated queries in the shapes clients write them: hypothesis-graphql draws the fields and
their literal arguments from graphql/schema.graphql; each document is then reshaped by
further draws, so the engine meets what its planner must either answer right or hand over:
aliases, `__typename`, inline fragments with and without a type condition, named fragments,
`@include`/`@skip` on literals and on variables, and arguments passed as variables instead of
literals. Values are aimed at the seeded tenant (its ids, external ids and codes) with a few
that name nothing, so that fields both succeed and fail."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import hypothesis_graphql
from graphql import (
    ArgumentNode,
    BooleanValueNode,
    DirectiveNode,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLField,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    NamedTypeNode,
    NameNode,
    OperationDefinitionNode,
    OperationType,
    SelectionNode,
    SelectionSetNode,
    StringValueNode,
    VariableDefinitionNode,
    VariableNode,
    build_schema,
    get_named_type,
    parse_type,
    print_ast,
    value_from_ast_untyped,
)
from hypothesis import strategies as st

from tests.differential.world import CAMPAIGN, SEGMENT, World

SCHEMA_FILE = Path(__file__).resolve().parents[2] / "graphql" / "schema.graphql"

Composite = GraphQLObjectType | GraphQLInterfaceType


@dataclass(frozen=True)
class Generated:
    query: str
    variables: dict[str, Any]


def schema_sdl() -> str:
    return SCHEMA_FILE.read_text()


def _strings(values: list[str]) -> st.SearchStrategy[StringValueNode]:
    return st.sampled_from(values).map(lambda v: StringValueNode(value=v))


def scalars(world: World) -> dict[str, st.SearchStrategy[Any]]:
    """Literal values for every scalar, aimed at the seeded tenant."""
    ids = [world.alice, world.bob, world.carol, world.dave, world.entry, world.reward]
    ids += [world.prize, world.silver, world.gold, world.survey, world.csat]
    # A member id that names no member, a malformed one, and an empty one
    ids += ["TWVtYmVyOjAwMDAwMDAwLTAwMDAtMDAwMC0wMDAwLTAwMDAwMDAwMDAwMA", "x", ""]
    texts = ["alice", "bob", "nobody", "ali", "", world.issued_code, world.used_code, "USD"]
    # Segment keys (custom and built in) and the seeded campaign's key
    texts += [SEGMENT, "new", "vip", CAMPAIGN]
    # Mostly numbers a client sends (page sizes, subtotals), sometimes one that is refused
    usual = st.integers(min_value=1, max_value=30)
    edges = st.sampled_from([0, -1, 100, 101, 5000, 2**31 - 1, -(2**31)])
    return {
        "ID": _strings(ids),
        "String": _strings(texts) | st.text("abcXYZ-1 ", max_size=8).map(_string_node),
        "Int": st.one_of(usual, usual, usual, edges).map(lambda v: IntValueNode(value=str(v))),
        "BigInt": st.sampled_from([0, 1, 99, 100, 5000, 10**12]).map(
            lambda v: IntValueNode(value=str(v))
        ),
        "Date": _strings(["1990-05-17", "2026-02-29", "2026-01-01", "soon"]),
        # Now, so that a period from an earlier one holds the seeded tenant's activity
        "DateTime": _strings(
            [
                "2026-01-01T00:00:00Z",
                "2025-06-01T12:00:00+02:00",
                "later",
                datetime.now(UTC).isoformat(),
            ]
        ),
        "Decimal": _strings(["1", "1.5", "0", "-2", "1e3", "x"]),
    }


def _as_is(document: DocumentNode) -> DocumentNode:
    return document


def _string_node(value: str) -> StringValueNode:
    return StringValueNode(value=value)


def generated_queries(world: World, roots: Sequence[str]) -> st.SearchStrategy[Generated]:
    """Documents of any root fields, and twice as often documents of one of `roots` (those
    the caller may use): a document the engine plans must answer without an error
    (engine/query_plan.py), which a document of many fields, one of them refused, never
    does."""
    sdl = schema_sdl()
    schema = build_schema(sdl)
    values = scalars(world)

    def documents_of(fields: list[str] | None) -> st.SearchStrategy[Any]:
        return hypothesis_graphql.queries(
            sdl, fields=fields, custom_scalars=values, print_ast=_as_is, allow_x00=False
        )

    one_root = st.sampled_from(sorted(roots)).flatmap(lambda root: documents_of([root]))
    documents = st.one_of(documents_of(None), one_root, one_root)
    return st.builds(_Reshaped, st.data(), documents, st.just(schema)).map(
        lambda reshaped: reshaped.result
    )


@dataclass
class _Shaper:
    draw: Any
    schema: GraphQLSchema
    variables: dict[str, Any] = field(default_factory=dict)
    definitions: list[VariableDefinitionNode] = field(default_factory=list)
    fragments: list[FragmentDefinitionNode] = field(default_factory=list)
    aliases: int = 0
    # Whether this document's fields may carry @include/@skip: the engine plans no document
    # with a directive (engine/query_plan.py), so most have none.
    directed: bool = False

    def flip(self, chance: float) -> bool:
        return bool(self.draw(st.integers(0, 99)) < chance * 100)

    def variable(self, type_text: str, value: Any) -> VariableNode:
        name = f"v{len(self.definitions)}"
        self.definitions.append(
            VariableDefinitionNode(
                variable=VariableNode(name=NameNode(value=name)), type=parse_type(type_text)
            )
        )
        self.variables[name] = value
        return VariableNode(name=NameNode(value=name))

    def selections(
        self, selections: tuple[SelectionNode, ...], parent: Composite
    ) -> list[SelectionNode]:
        shaped: list[SelectionNode] = []
        for selection in selections:
            if isinstance(selection, FieldNode):
                shaped.append(self.field(selection, parent))
            elif isinstance(selection, InlineFragmentNode) and selection.selection_set:
                condition = selection.type_condition
                on = self.schema.type_map[condition.name.value] if condition else parent
                assert isinstance(on, GraphQLObjectType | GraphQLInterfaceType)
                inner = self.selections(tuple(selection.selection_set.selections), on)
                shaped.append(_inline(inner, condition))
            else:
                shaped.append(selection)
        if self.flip(0.3):
            shaped.insert(self.draw(st.integers(0, len(shaped))), self.typename())
        return self.wrapped(shaped, parent)

    def typename(self) -> FieldNode:
        alias = self.alias() if self.flip(0.3) else None
        return FieldNode(name=NameNode(value="__typename"), alias=alias)

    def alias(self) -> NameNode | None:
        if self.aliases >= 5:  # well under the schema's limit on aliases
            return None
        self.aliases += 1
        return NameNode(value=f"a{self.aliases}")

    def wrapped(self, shaped: list[SelectionNode], parent: Composite) -> list[SelectionNode]:
        """The selections, or some of them moved into a fragment of one kind or another."""
        how = self.draw(st.sampled_from(["as is", "as is", "inline", "typed inline", "named"]))
        if how == "as is" or not shaped:
            return shaped
        cut = self.draw(st.integers(0, len(shaped) - 1))
        kept, moved = shaped[:cut], shaped[cut:]
        condition = NamedTypeNode(name=NameNode(value=parent.name))
        if how == "inline":
            return [*kept, _inline(moved, None)]
        if how == "typed inline":
            return [*kept, _inline(moved, condition)]
        name = f"F{len(self.fragments)}"
        self.fragments.append(
            FragmentDefinitionNode(
                name=NameNode(value=name),
                type_condition=condition,
                selection_set=SelectionSetNode(selections=tuple(moved)),
            )
        )
        return [*kept, FragmentSpreadNode(name=NameNode(value=name))]

    def field(self, node: FieldNode, parent: Composite) -> FieldNode:
        definition: GraphQLField | None = parent.fields.get(node.name.value)
        if definition is None:  # __typename
            return node
        arguments = tuple(self.argument(a, definition) for a in node.arguments or ())
        selection_set = None
        if node.selection_set is not None:
            child = get_named_type(definition.type)
            assert isinstance(child, GraphQLObjectType | GraphQLInterfaceType)
            inner = self.selections(tuple(node.selection_set.selections), child)
            selection_set = SelectionSetNode(selections=tuple(inner))
        return FieldNode(
            name=node.name,
            alias=node.alias or (self.alias() if self.flip(0.2) else None),
            arguments=arguments,
            directives=self.directives(),
            selection_set=selection_set,
        )

    def argument(self, node: ArgumentNode, definition: GraphQLField) -> ArgumentNode:
        """The argument as it came (a literal), or passed as a variable of its own type."""
        if not self.flip(0.4):
            return node
        kind = definition.args[node.name.value].type
        value = value_from_ast_untyped(node.value)  # the JSON a client would send
        return ArgumentNode(name=node.name, value=self.variable(str(kind), value))

    def directives(self) -> tuple[DirectiveNode, ...]:
        if not self.directed:
            return ()
        how = self.draw(st.sampled_from(["none"] * 6 + ["include", "skip", "literal"]))
        if how == "none":
            return ()
        if how == "literal":
            condition: Any = BooleanValueNode(value=self.draw(st.booleans()))
            name = self.draw(st.sampled_from(["include", "skip"]))
        else:
            condition = self.variable("Boolean!", self.draw(st.booleans()))
            name = how
        argument = ArgumentNode(name=NameNode(value="if"), value=condition)
        return (DirectiveNode(name=NameNode(value=name), arguments=(argument,)),)


class _Reshaped:
    """A generated document reshaped by further draws (see the module's docstring)."""

    def __init__(self, data: Any, document: DocumentNode, schema: GraphQLSchema) -> None:
        shaper = _Shaper(data.draw, schema)
        shaper.directed = shaper.flip(0.35)
        operation = document.definitions[0]
        assert isinstance(operation, OperationDefinitionNode)
        query = schema.query_type
        assert query is not None
        selections = shaper.selections(tuple(operation.selection_set.selections), query)
        named = bool(shaper.definitions) or shaper.flip(0.5)
        shaped = OperationDefinitionNode(
            operation=OperationType.QUERY,
            name=NameNode(value="Generated") if named else None,
            variable_definitions=tuple(shaper.definitions),
            selection_set=SelectionSetNode(selections=tuple(selections)),
        )
        text = print_ast(DocumentNode(definitions=(shaped, *shaper.fragments)))
        self.result = Generated(text, shaper.variables)


def _inline(selections: list[SelectionNode], condition: NamedTypeNode | None) -> InlineFragmentNode:
    return InlineFragmentNode(
        type_condition=condition, selection_set=SelectionSetNode(selections=tuple(selections))
    )
