"""Text a request may carry: no NUL character and no unpaired surrogate, in any string
input, refused as `INVALID` before anything runs.

Neither can be stored or sent on: PostgreSQL refuses NUL in text, and a lone surrogate
cannot be encoded as UTF-8. Left to the resolvers, every string field would fail with a
masked INTERNAL error deep inside a use case (or, worse, after part of it ran). So they are
refused once, at the edge, for every argument and input field at the same time:

- in the document's literals, by a validation rule (its verdict is cached with the
  document, for both execution paths);
- in the request's variables, by `refused_variables`, called before execution by the
  standard path (engine/documents.py) and the direct one (engine/direct.py);
- in the document's text and the operation's name, by `refused_request`, before
  strawberry's view runs a request (api/http/persisted_view.py): echoed in an error message (an
  unknown operation, a lexer error) a lone surrogate would make the answer itself
  unencodable. The direct path never sees one: its JSON reader refuses them.

A variable's strings are checked whatever type the variable has: no scalar or enum of the
schema has a use for these characters either.
"""

from __future__ import annotations

import re
from typing import Any

import orjson
from graphql import GraphQLError, StringValueNode
from graphql.validation import ValidationRule

from domain.errors import ErrorCode

_UNFIT = re.compile("[\x00\ud800-\udfff]")
_SURROGATE = re.compile("[\ud800-\udfff]")
_MESSAGE = "Text must not contain NUL characters or unpaired surrogates."


def _unfit_path(value: Any) -> list[str | int] | None:
    """The path of an unfit string (or object key) within a JSON value, or None. A loop, not
    recursion: a request may nest its variables deeper than Python's stack."""
    pending: list[tuple[Any, list[str | int]]] = [(value, [])]
    while pending:
        item, path = pending.pop()
        if isinstance(item, str):
            if _UNFIT.search(item) is not None:
                return path
        elif isinstance(item, dict):
            for key, inner in item.items():
                if isinstance(key, str) and _UNFIT.search(key) is not None:
                    return [*path, key]  # an input field's name: graphql-core would echo it
                pending.append((inner, [*path, key]))
        elif isinstance(item, list):
            pending.extend((inner, [*path, index]) for index, inner in enumerate(item))
    return None


def refused_variables(variables: dict[str, Any] | None) -> list[GraphQLError]:
    """The error for the first variable holding unfit text (none: an empty list)."""
    if not variables or not isinstance(variables, dict):
        return []  # anything but an object is graphql-core's to refuse
    try:  # the usual answer in one C call: orjson refuses lone surrogates, escapes NUL
        if b"\\u0000" not in orjson.dumps(variables):
            return []
    except TypeError:  # a surrogate, nesting orjson refuses, a key or a number it cannot write
        pass
    for name, value in variables.items():
        found = [] if _UNFIT.search(name) is not None else _unfit_path(value)
        if found is not None:
            field = [_shown(name), *(_shown(str(p)) for p in found)]
            where = "".join(f"[{p}]" if isinstance(p, int) else f".{_shown(p)}" for p in found)
            return [
                GraphQLError(
                    f"Variable '${field[0]}' has invalid value{where and ' at ' + where}: "
                    f"{_MESSAGE}",
                    extensions={"code": ErrorCode.INVALID.value, "field": field},
                )
            ]
    return []


def refused_request(query: object, operation_name: object) -> list[GraphQLError]:
    """The error for unfit text in a request's document or operation name, if any."""
    # A NUL in the document is harmless until it is in a literal, which FitTextRule refuses
    # on both paths; only surrogates are refused anywhere in it.
    checks = ((query, _SURROGATE), (operation_name, _UNFIT))
    for (text, unfit), what in zip(checks, ("The document", "The operation name"), strict=True):
        if isinstance(text, str) and unfit.search(text) is not None:
            return [
                GraphQLError(
                    f"{what} must not contain unpaired surrogates"
                    + ("." if unfit is _SURROGATE else " or NUL characters."),
                    extensions={"code": ErrorCode.INVALID.value},
                )
            ]
    return []


def _shown(name: str) -> str:
    """A name from the request as the answer may show it: unfit characters replaced."""
    return _UNFIT.sub("\ufffd", name)


class FitTextRule(ValidationRule):
    """Refuses a string literal of the document holding unfit text."""

    def enter_string_value(self, node: StringValueNode, *_args: Any) -> None:
        if _UNFIT.search(node.value) is not None:
            self.report_error(
                GraphQLError(_MESSAGE, node, extensions={"code": ErrorCode.INVALID.value})
            )
