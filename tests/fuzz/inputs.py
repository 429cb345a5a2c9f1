"""Strategies for every input the schema takes, derived from graphql/schema.graphql, and the
operations that carry them.

`aimed(T)` draws one request whose variables hold hostile values of type T wherever the
chosen root field's arguments can hold a T, and plain, well-typed values everywhere else, so
the hostile value gets past variable coercion of its neighbours and reaches the resolver."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from graphql import (
    GraphQLArgument,
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputField,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    build_schema,
    get_named_type,
    is_leaf_type,
)
from graphql.pyutils import Undefined
from hypothesis import strategies as st

from tests.fuzz.scalars import Seeds, Strategy, scalar_values

SCHEMA_FILE = Path(__file__).resolve().parents[2] / "graphql" / "schema.graphql"

# A value nested deeper than any input type, where an input object or a list is expected.
DEEP_LIST: Any = []
DEEP_OBJECT: Any = {}
for _ in range(400):
    DEEP_LIST = [DEEP_LIST]
    DEEP_OBJECT = {"a": DEEP_OBJECT}


def load_schema() -> GraphQLSchema:
    return build_schema(SCHEMA_FILE.read_text())


def fuzzed_types(schema: GraphQLSchema) -> list[GraphQLNamedType]:
    """Every input object type the schema defines and every scalar a client can send: one an
    argument or an input field takes (a scalar only ever answered, such as Float, is not
    input; introspection's own types aside)."""
    sent = {
        get_named_type(arg.type).name
        for t in schema.type_map.values()
        if isinstance(t, GraphQLObjectType)
        for f in t.fields.values()
        for arg in f.args.values()
    } | {
        get_named_type(f.type).name
        for t in schema.type_map.values()
        if isinstance(t, GraphQLInputObjectType)
        for f in t.fields.values()
    }
    return [
        t
        for name, t in sorted(schema.type_map.items())
        if not name.startswith("__")
        and (
            isinstance(t, GraphQLInputObjectType)
            or (isinstance(t, GraphQLScalarType) and name in sent)
        )
    ]


_NESTING = 2


@dataclass(frozen=True)
class Carrier:
    """A root field whose arguments can hold the aimed-at type."""

    operation: str  # "query" or "mutation"
    name: str
    field: GraphQLField

    @property
    def label(self) -> str:
        return f"{self.operation} {self.name}"


@dataclass
class Inputs:
    schema: GraphQLSchema
    seeds: Seeds
    _holds: dict[tuple[str, str], bool] = field(default_factory=dict, repr=False)
    # The input object types whose strategies are being built, outermost first: a type that
    # holds itself (a segment rule of rules) is built no deeper than _NESTING levels.
    _building: list[str] = field(default_factory=list, repr=False)
    _hostile: dict[tuple[str, tuple[str, ...]], Strategy] = field(default_factory=dict, repr=False)

    def _nested(self, type_: GraphQLInputObjectType, build: Any) -> Strategy:
        """`build()`, or at the nesting bound the type's required fields with plain values
        (an empty object when it has none, which the domain refuses as it should)."""
        if self._building.count(type_.name) >= _NESTING:
            required = {n: f for n, f in type_.fields.items() if _required_field(f)}
            return st.fixed_dictionaries({n: self.plain(f.type) for n, f in required.items()})
        self._building.append(type_.name)
        try:
            built: Strategy = build()
            return built
        finally:
            self._building.pop()

    def roots(self) -> list[Carrier]:
        found = []
        for operation, root in (
            ("query", self.schema.query_type),
            ("mutation", self.schema.mutation_type),
        ):
            if root is not None:
                found += [Carrier(operation, n, f) for n, f in sorted(root.fields.items())]
        return found

    def carriers(self, target: GraphQLNamedType) -> list[Carrier]:
        return [
            c
            for c in self.roots()
            if any(self.holds(a.type, target) for a in c.field.args.values())
        ]

    def holds(self, type_: GraphQLInputType, target: GraphQLNamedType) -> bool:
        """Whether a value of `type_` can contain a value of `target`."""
        named = get_named_type(type_)
        if named is target:
            return True
        if not isinstance(named, GraphQLInputObjectType):
            return False
        key = (named.name, target.name)
        if key not in self._holds:
            self._holds[key] = False  # a cycle holds nothing more than what it already holds
            self._holds[key] = any(self.holds(f.type, target) for f in named.fields.values())
        return self._holds[key]

    # --- values -----------------------------------------------------------------------------

    def plain(self, type_: GraphQLInputType) -> Strategy:
        """Well-typed values a client would send; nullable ones are sometimes null."""
        if isinstance(type_, GraphQLNonNull):
            return self._plain_named(type_.of_type)
        return st.one_of(st.none(), self._plain_named(type_))

    def _plain_named(self, type_: GraphQLInputType) -> Strategy:
        if isinstance(type_, GraphQLList):
            return st.lists(self.plain(type_.of_type), max_size=3)
        if isinstance(type_, GraphQLEnumType):
            return st.sampled_from(sorted(type_.values))
        if isinstance(type_, GraphQLScalarType):
            return scalar_values(type_.name).plain(self.seeds)
        assert isinstance(type_, GraphQLInputObjectType)
        return self._nested(
            type_, lambda: self._on_base(type_, self._object(type_, self.plain), {})
        )

    def hostile(self, type_: GraphQLInputType) -> Strategy:
        """Well-typed values and attacks, all the way down."""
        # The same type at the same depth of nesting is the same strategy: built once, since a
        # type nested in itself (a segment rule of rules) would otherwise be built again for
        # every field that holds it, thousands of times.
        key = (str(type_), tuple(self._building))
        if key not in self._hostile:
            self._hostile[key] = self._hostile_of(type_)
        return self._hostile[key]

    def _hostile_of(self, type_: GraphQLInputType) -> Strategy:
        inner = type_.of_type if isinstance(type_, GraphQLNonNull) else type_
        drawn: Strategy
        if isinstance(inner, GraphQLList):
            drawn = st.one_of(
                st.lists(self.hostile(inner.of_type), max_size=4),
                self.hostile(inner.of_type),  # a single value where a list is expected
                # Past the list limits: one value drawn, sent 300 times (drawing 300 nested
                # inputs costs seconds an example and finds nothing more).
                self.plain(inner.of_type).map(lambda value: [value] * 300),
                st.just(DEEP_LIST),
            )
        elif isinstance(inner, GraphQLEnumType):
            drawn = st.one_of(
                st.sampled_from(sorted(inner.values)),
                st.sampled_from(("", "\x00", "nope", "web", 1)),
            )
        elif isinstance(inner, GraphQLScalarType):
            values = scalar_values(inner.name)
            attacks = values.attacks(self.seeds)
            drawn = st.one_of(attacks, attacks, values.plain(self.seeds))
        else:
            assert isinstance(inner, GraphQLInputObjectType)
            drawn = self._nested(inner, lambda: self._hostile_object(inner))
        return st.one_of(drawn, drawn, drawn, st.sampled_from((None, {}, [], "", 0)))

    def _hostile_object(self, inner: GraphQLInputObjectType) -> Strategy:
        return st.one_of(
            self._object(inner, self.hostile),
            self._on_base(
                inner,
                self._object(inner, self.hostile),
                {n: self.hostile(f.type) for n, f in inner.fields.items()},
                some=True,
            ),
            self._object(inner, self.hostile).map(lambda v: {**v, "notAField\x00": "x"}),
            st.sampled_from((DEEP_OBJECT, DEEP_LIST, "{}", [{}])),
        )

    def aimed(self, type_: GraphQLInputType, target: GraphQLNamedType) -> Strategy:
        """Hostile values of `target` wherever `type_` can hold one, plain values elsewhere."""
        if not self.holds(type_, target):
            return self.plain(type_)
        inner = type_.of_type if isinstance(type_, GraphQLNonNull) else type_
        if isinstance(inner, GraphQLList):
            return st.lists(self.aimed(inner.of_type, target), min_size=1, max_size=3)
        if get_named_type(inner) is target:
            return self.hostile(inner)
        assert isinstance(inner, GraphQLInputObjectType)
        return self._nested(inner, lambda: self._aimed_object(inner, target))

    def _aimed_object(self, inner: GraphQLInputObjectType, target: GraphQLNamedType) -> Strategy:
        generated = self._object(
            inner, lambda t: self.aimed(t, target), always=lambda t: self.holds(t, target)
        )
        aimed = {
            n: self.aimed(f.type, target)
            for n, f in inner.fields.items()
            if self.holds(f.type, target)
        }
        return self._on_base(inner, generated, aimed)

    def _on_base(
        self,
        type_: GraphQLInputObjectType,
        generated: Strategy,
        over: dict[str, Strategy],
        some: bool = False,
    ) -> Strategy:
        """Mostly the seeds' valid example of `type_` with the fields in `over` drawn (all
        of them, or `some`), so the domain's own checks of the other fields pass and the
        drawn ones are what gets judged; else `generated`. Types without an example:
        `generated`."""
        base = self.seeds.examples.get(type_.name)
        if base is None:
            return generated
        drawn = st.fixed_dictionaries({}, optional=over) if some else st.fixed_dictionaries(over)
        on_base = drawn.map(lambda values: {**base, **values})
        return st.one_of(on_base, on_base, on_base, generated)

    def _object(
        self,
        type_: GraphQLInputObjectType,
        value_of: Any,
        always: Any = lambda _: False,
    ) -> Strategy:
        """Required fields (and those `always` names) always given, the others sometimes;
        a field the seeds know by name mostly gets a known value, unless it is aimed at."""
        given = {
            n: self._named(n, f.type, value_of, hinted=not always(f.type))
            for n, f in type_.fields.items()
            if _required_field(f) or always(f.type)
        }
        optional = {
            n: self._named(n, f.type, value_of, hinted=True)
            for n, f in type_.fields.items()
            if n not in given
        }
        return st.fixed_dictionaries(given, optional=optional)

    def _named(self, name: str, type_: GraphQLInputType, value_of: Any, hinted: bool) -> Strategy:
        drawn: Strategy = value_of(type_)
        known = self.seeds.by_name.get(name)
        if not hinted or not known:
            return drawn
        if isinstance(get_named_type(type_), GraphQLInputObjectType):
            return drawn
        value = st.sampled_from(known)
        if (
            isinstance(type_, GraphQLNonNull) and isinstance(type_.of_type, GraphQLList)
        ) or isinstance(type_, GraphQLList):
            value = st.lists(value, min_size=1, max_size=2)
        return st.one_of(value, value, value, drawn)

    # --- requests ---------------------------------------------------------------------------

    def request(self, carrier: Carrier, target: GraphQLNamedType) -> Strategy:
        """A GraphQL body: the carrier's document and variables aimed at `target`."""
        args = carrier.field.args
        given = [n for n, a in args.items() if _required(a) or self.holds(a.type, target)]

        def value(n: str) -> Strategy:
            aimed = self.holds(args[n].type, target)
            return self._named(n, args[n].type, lambda t: self.aimed(t, target), not aimed)

        variables = st.fixed_dictionaries(
            {n: value(n) for n in given},
            optional={n: value(n) for n in args if n not in given},
        )
        query = document(carrier)
        return variables.map(lambda v: {"query": query, "variables": v})


def _required_field(field: GraphQLInputField) -> bool:
    return isinstance(field.type, GraphQLNonNull) and field.default_value is Undefined


def _required(arg: GraphQLArgument) -> bool:
    return isinstance(arg.type, GraphQLNonNull) and arg.default_value is Undefined


def document(carrier: Carrier) -> str:
    """`<operation> Fuzz($a: T) { field(a: $a) { leaves, and leaves one level down } }`."""
    args = carrier.field.args
    declared = ", ".join(f"${n}: {a.type}" for n, a in args.items())
    passed = ", ".join(f"{n}: ${n}" for n in args)
    head = f"{carrier.operation} Fuzz({declared})" if args else carrier.operation
    call = f"{carrier.name}({passed})" if args else carrier.name
    return f"{head} {{ {call}{selection(carrier.field, depth=2)} }}"


def selection(field: GraphQLField, depth: int) -> str:
    named = get_named_type(field.type)
    if is_leaf_type(named):
        return ""
    if depth == 0 or not isinstance(named, GraphQLObjectType):
        return " { __typename }"
    parts = ["__typename"]
    for name, sub in named.fields.items():
        if any(_required(a) for a in sub.args.values()):
            continue
        if is_leaf_type(get_named_type(sub.type)):
            parts.append(name)
        elif depth > 1:
            parts.append(name + selection(sub, depth - 1))
    return " { " + " ".join(parts) + " }"
