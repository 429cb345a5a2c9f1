"""The GraphQL examples of docs/api.md are documents a client could send: each validates
against the schema, and passes every value in variables, never pasted into its text."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from graphql import (
    ArgumentNode,
    ListValueNode,
    ObjectValueNode,
    ValueNode,
    VariableNode,
    build_schema,
    parse,
    validate,
    visit,
)
from graphql.language import Visitor

ROOT = Path(__file__).resolve().parents[2]
API_DOC = ROOT / "docs" / "api.md"
SCHEMA = build_schema((ROOT / "graphql" / "schema.graphql").read_text())
_BLOCK = re.compile(r"```graphql\n(.*?)```", re.DOTALL)


def _examples() -> list[str]:
    blocks = _BLOCK.findall(API_DOC.read_text())
    # The schema's own types, quoted in SDL, are not documents a client sends.
    return [b for b in blocks if re.search(r"^\s*(query|mutation|subscription)\b", b, re.M)]


def _literals(value: ValueNode) -> list[str]:
    if isinstance(value, VariableNode):
        return []
    if isinstance(value, ListValueNode):
        return [x for v in value.values for x in _literals(v)]
    if isinstance(value, ObjectValueNode):
        return [x for f in value.fields for x in _literals(f.value)]
    return [getattr(value, "value", type(value).__name__)]


class _Arguments(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.pasted: list[str] = []

    def enter_argument(self, node: ArgumentNode, *_: object) -> None:
        self.pasted += [f"{node.name.value}: {v}" for v in _literals(node.value)]


def test_the_examples_are_found():
    assert len(_examples()) >= 15


@pytest.mark.parametrize("example", _examples(), ids=lambda e: e.split("{")[0].strip()[:60])
def test_an_example_validates_and_takes_its_values_in_variables(example: str):
    document = parse(example)
    assert [e.message for e in validate(SCHEMA, document)] == []
    arguments = _Arguments()
    visit(document, arguments)
    assert arguments.pasted == []
