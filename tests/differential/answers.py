"""What the differential suite compares: two answers to the same request, engine and stock.

Strict by default: the HTTP status, the keys of the body, `data` exactly (the order of its
keys too: GraphQL orders them as the selection set does), and every error's
message, path, locations and extensions. Only graphql-core's own freedom is forgiven: the
order of the errors, and, when a list's items fail, which of them report (see
`_error_differences`). Request ids are random per request: their presence is compared, not
their value.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Answer:
    """One answer: the HTTP status (None when the schema was executed directly, with no
    HTTP around it) and the JSON body."""

    status: int | None
    body: dict[str, Any]


def differences(first: Answer, second: Answer) -> list[str]:
    """Every way the two answers differ; empty when they are the same answer."""
    found = []
    if first.status is not None and second.status is not None and first.status != second.status:
        found.append(f"status {first.status} != {second.status}")
    if sorted(first.body) != sorted(second.body):
        found.append(f"body keys {sorted(first.body)} != {sorted(second.body)}")
    mine, theirs = first.body.get("data"), second.body.get("data")
    if mine != theirs:
        found.append(f"data {_dump(mine)} != {_dump(theirs)}")
    elif _in_order(mine) != _in_order(theirs):  # the selection set orders the keys
        found.append(f"data key order {_in_order(mine)} != {_in_order(theirs)}")
    found += _error_differences(first.body.get("errors") or [], second.body.get("errors") or [])
    return found


def assert_same(first: Answer, second: Answer, names: tuple[str, str], request: object) -> None:
    found = differences(first, second)
    assert not found, (
        f"{names[0]} and {names[1]} answer differently:\n  "
        + "\n  ".join(found)
        + f"\nrequest: {_dump(request)}\n{names[0]}: {_dump(first.body)}"
        + f"\n{names[1]}: {_dump(second.body)}"
    )


def _error_differences(first: list[dict[str, Any]], second: list[dict[str, Any]]) -> list[str]:
    """Errors compared as multisets. When those differ, they may still differ only in the
    index of a failing list item: graphql-core resolves a list's items concurrently and
    each failing item reports (or stops the list, after which the rest are dropped), so
    how many items report and which is the executor's scheduling, not its answer. Then they
    are compared once more with list indices masked, as sets."""
    mine, theirs = sorted(map(_error_key, first)), sorted(map(_error_key, second))
    if mine == theirs:
        return []
    if any(_in_list(e) for e in first + second):
        masked = {_error_key(e, mask_indices=True) for e in first}
        if masked == {_error_key(e, mask_indices=True) for e in second}:
            return []
    return [f"errors {mine} != {theirs}"]


def _in_list(error: dict[str, Any]) -> bool:
    return any(isinstance(step, int) for step in error.get("path") or ())


def _error_key(error: dict[str, Any], *, mask_indices: bool = False) -> str:
    shown = dict(error)
    extensions = dict(shown.get("extensions") or {})
    if "requestId" in extensions:
        extensions["requestId"] = "<request id>"  # random per request
    shown["extensions"] = extensions
    if mask_indices and shown.get("path"):
        shown["path"] = ["[]" if isinstance(step, int) else step for step in shown["path"]]
    return _dump(shown)


def _in_order(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


def _dump(value: object) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
