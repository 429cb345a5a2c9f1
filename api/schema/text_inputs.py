"""Text a request may carry: no NUL character and no unpaired surrogate, in any string
input, refused as `INVALID` before anything runs.

Neither can be stored or sent on: PostgreSQL refuses NUL in text, and a lone surrogate
cannot be encoded as UTF-8. Left to the resolvers, every string field would fail with a
masked INTERNAL error deep inside a use case (or, worse, after part of it ran). So they are
refused once, at the edge, for every argument and input field at the same time:

- in the document's literals, by a validation rule (its verdict is cached with the
  document, for both execution paths);
- in the request's variables, by `refused_variables`, called before execution by the
  standard path (api/schema/documents.py) and the direct one (api/schema/direct.py).

A variable's strings are checked whatever type the variable has: no scalar or enum of the
schema has a use for these characters either.
"""

from __future__ import annotations

import re
from typing import Any

from graphql import GraphQLError, StringValueNode
from graphql.validation import ValidationRule

from domain.errors import ErrorCode

_UNFIT = re.compile("[\x00\ud800-\udfff]")
_MESSAGE = "Text must not contain NUL characters or unpaired surrogates."


def fit(text: str) -> bool:
    """Whether `text` can be stored and sent as UTF-8 text."""
    return _UNFIT.search(text) is None


def _unfit_path(value: Any, path: list[str | int]) -> list[str | int] | None:
    """The path of the first unfit string within a JSON value, or None."""
    if isinstance(value, str):
        return None if _UNFIT.search(value) is None else path
    if isinstance(value, dict):
        for key, item in value.items():
            found = _unfit_path(item, [*path, key])
            if found is not None:
                return found
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found = _unfit_path(item, [*path, index])
            if found is not None:
                return found
    return None


def refused_variables(variables: dict[str, Any] | None) -> list[GraphQLError]:
    """The error for the first variable holding unfit text (none: an empty list)."""
    if not variables:
        return []
    for name, value in variables.items():
        found = _unfit_path(value, [])
        if found is not None:
            where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in found)
            return [
                GraphQLError(
                    f"Variable '${name}' has invalid value{where and ' at ' + where}: {_MESSAGE}",
                    extensions={
                        "code": ErrorCode.INVALID.value,
                        "field": [name, *(str(p) for p in found)],
                    },
                )
            ]
    return []


class FitTextRule(ValidationRule):
    """Refuses a string literal of the document holding unfit text."""

    def enter_string_value(self, node: StringValueNode, *_args: Any) -> None:
        if _UNFIT.search(node.value) is not None:
            self.report_error(
                GraphQLError(_MESSAGE, node, extensions={"code": ErrorCode.INVALID.value})
            )
