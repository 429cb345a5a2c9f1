"""The documents clients send (graphql/operations/) stay valid against the schema.

Each file holds exactly one operation, named after the file, and passes values through
variables, never literals, so one parsed document serves every call and can be persisted.
`loyalty persisted-queries` lists every one of them by the sha256 of its bytes.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from functools import cache
from pathlib import Path

import pytest
from graphql import (
    BooleanValueNode,
    DocumentNode,
    EnumValueNode,
    FieldNode,
    FloatValueNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLSchema,
    GraphQLSyntaxError,
    InlineFragmentNode,
    IntValueNode,
    NonNullTypeNode,
    NullValueNode,
    OperationDefinitionNode,
    SelectionNode,
    StringValueNode,
    Visitor,
    parse,
    validate,
    visit,
)
from graphql import Node as AstNode

from api.cli import parser
from api.schema.build import build_schema
from api.settings import Settings
from domain.trusted_documents import OperationType, read_manifest

OPERATIONS = Path(__file__).resolve().parents[2] / "graphql" / "operations"
FILES = sorted(OPERATIONS.rglob("*.graphql"))
CLIENTS = ("storefront", "mobile", "agency")
LITERALS = (
    IntValueNode,
    FloatValueNode,
    StringValueNode,
    BooleanValueNode,
    EnumValueNode,
    NullValueNode,
)


@cache
def schema() -> GraphQLSchema:
    return build_schema(Settings(secret_key="x"))._schema


class _Literals(Visitor):
    """Collects literal values outside variable definitions (whose defaults are fine)."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[AstNode] = []

    def enter_variable_definition(self, *_: object) -> bool:
        return False  # skip the subtree: a default value is not a literal argument

    def enter(self, node: AstNode, *_: object) -> None:
        if isinstance(node, LITERALS):
            self.found.append(node)


def problems(source: str, stem: str) -> list[str]:
    """Everything wrong with one document; empty when it is fit to ship."""
    try:
        document: DocumentNode = parse(source)
    except GraphQLSyntaxError as exc:
        return [f"syntax: {exc.message}"]
    found = [f"invalid: {e.message}" for e in validate(schema(), document)]
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if len(operations) != 1:
        found.append(f"holds {len(operations)} operations, not one")
    for op in operations:
        name = op.name.value if op.name else None
        if name != stem:
            found.append(f"operation is named {name!r}, the file {stem!r}")
    literals = _Literals()
    visit(document, literals)
    found += [f"literal {_where(n)}: pass it as a variable" for n in literals.found]
    return found


def _where(node: AstNode) -> str:
    if node.loc is None:
        return type(node).__name__
    line = node.loc.source.get_location(node.loc.start).line
    return f"{type(node).__name__} on line {line}"


def _id(path: Path) -> str:
    return str(path.relative_to(OPERATIONS))


def test_every_client_has_operations():
    for client in CLIENTS:
        assert list((OPERATIONS / client).glob("*.graphql")), f"no operations for {client}"


def test_operations_folder_holds_only_graphql_documents():
    others = [p for p in OPERATIONS.rglob("*") if p.is_file() and p.suffix != ".graphql"]
    assert not others


@pytest.mark.parametrize("path", FILES, ids=_id)
def test_operation_is_valid_and_named_after_its_file(path: Path):
    assert problems(path.read_text(), path.stem) == []


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("query Me { me { id nope } }", "invalid"),
        ("query Me { me { id }", "syntax"),
        ("query Other { me { id } }", "named"),
        ("query Me { me { id } } query Me2 { me { id } }", "2 operations"),
        ("{ me { id } }", "named None"),
        ('query Me { member(externalId: "c-1") { id } }', "literal"),
    ],
)
def test_a_broken_document_is_caught(source: str, expected: str):
    assert any(expected in p for p in problems(source, "Me"))


def test_the_manifest_lists_every_operation_by_the_sha256_of_its_bytes(capsys):
    args = parser().parse_args(["persisted-queries"])

    assert args.fn(args) == 0

    manifest = json.loads(capsys.readouterr().out)
    expected = {
        hashlib.sha256(path.read_bytes()).hexdigest(): {
            "name": path.stem,
            "client": path.parent.name,
            "path": f"graphql/operations/{_id(path)}",
        }
        for path in FILES
    }
    assert len(expected) == len(FILES), "two documents share a hash: one would be unlisted"
    assert manifest == expected


# --- every root field has a document; every object selection asks for __typename -----------


def _root_fields(document: DocumentNode) -> set[tuple[str, str]]:
    """(operation type, field) for each root field the document selects, through fragments."""
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    found: set[tuple[str, str]] = set()

    def walk(kind: str, selections: Iterable[SelectionNode]) -> None:
        for selection in selections:
            if isinstance(selection, FieldNode):
                found.add((kind, selection.name.value))
            elif isinstance(selection, InlineFragmentNode):
                walk(kind, selection.selection_set.selections)
            elif isinstance(selection, FragmentSpreadNode):
                walk(kind, fragments[selection.name.value].selection_set.selections)

    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode):
            walk(definition.operation.value, definition.selection_set.selections)
    return found


def unused_root_fields(sources: Iterable[str]) -> list[str]:
    """`Query.x` / `Mutation.y` for every root field that no document selects."""
    used: set[tuple[str, str]] = set()
    for source in sources:
        used |= _root_fields(parse(source))
    roots = (("query", schema().query_type), ("mutation", schema().mutation_type))
    return [
        f"{root.name}.{name}"
        for kind, root in roots
        if root is not None
        for name in sorted(root.fields)
        if name != "__typename" and (kind, name) not in used
    ]


def test_every_root_query_and_mutation_field_has_a_document():
    unused = unused_root_fields(path.read_text() for path in FILES)

    assert unused == [], f"no document in graphql/operations/<client>/ uses {unused}"


def test_a_root_field_no_document_uses_is_named():
    sources = [path.read_text() for path in FILES if path.stem != "ArchiveSurvey"]

    assert unused_root_fields(sources) == ["Mutation.archiveSurvey"]


class _Untyped(Visitor):
    """Fields with a selection set that does not ask for __typename (normalised caches key
    objects by it)."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def enter_field(self, node: FieldNode, *_: object) -> None:
        selected = node.selection_set
        if selected is None:
            return
        names = {s.name.value for s in selected.selections if isinstance(s, FieldNode)}
        if "__typename" not in names:
            self.found.append(f"{node.name.value} {_where(node)}")


def untyped_selections(source: str) -> list[str]:
    untyped = _Untyped()
    visit(parse(source), untyped)
    return untyped.found


@pytest.mark.parametrize("path", FILES, ids=_id)
def test_every_object_selection_asks_for_its_typename(path: Path):
    assert untyped_selections(path.read_text()) == []


def test_a_selection_without_typename_is_caught():
    assert untyped_selections("query Me { me { __typename points { available } } }") == [
        "points FieldNode on line 1"
    ]


@pytest.mark.parametrize("path", FILES, ids=_id)
def test_no_character_a_javascript_template_would_end_on(path: Path):
    # Relay and Apollo's tooling read documents inside graphql`…` template literals: a
    # backtick (or `${`) in a comment ends or splices the template and the operation is lost.
    text = path.read_text()
    assert "`" not in text and "${" not in text and "\\" not in text


@pytest.mark.parametrize("path", FILES, ids=_id)
def test_no_non_null_variable_has_a_default(path: Path):
    # Relay refuses `$x: Int! = 30`: a variable with a default is nullable (`$x: Int = 30`).
    document = parse(path.read_text())
    wrong = [
        variable.variable.name.value
        for op in document.definitions
        if isinstance(op, OperationDefinitionNode)
        for variable in op.variable_definitions or ()
        if variable.default_value is not None and isinstance(variable.type, NonNullTypeNode)
    ]
    assert wrong == []


@pytest.mark.parametrize("form", ["apollo", "relay"])
def test_the_client_manifests_are_read_back_as_trusted_documents(capsys, form: str):
    args = parser().parse_args(["persisted-queries", "--format", form, "--client", "mobile"])

    assert args.fn(args) == 0

    printed = capsys.readouterr().out
    entries = read_manifest(printed, max_body_length=100_000)
    mobile = sorted(OPERATIONS.glob("mobile/*.graphql"))
    assert {e.sha256: e.body for e in entries} == {
        hashlib.sha256(path.read_bytes()).hexdigest(): path.read_text() for path in mobile
    }
    if form == "apollo":
        assert {(e.name, e.operation_type) for e in entries} >= {
            ("Me", OperationType.QUERY),
            ("RedeemMyReward", OperationType.MUTATION),
        }
