"""What the differential suite compares: two answers to the same request, engine and stock.

Strict by default: the HTTP status, the keys of the body, `data` exactly (the order of its
keys too: GraphQL orders them as the selection set does), and every error's
message, path, locations and extensions. Only graphql-core's own freedom is forgiven: the
order of the errors, which items of a failing list report, and whether siblings of a field
whose failure nulled their parent report (see `_error_differences`). Request ids are random
per request: their presence is compared, not their value.
"""

from __future__ import annotations

import json
from collections import Counter
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
    found += _error_differences(
        first.body.get("errors") or [], second.body.get("errors") or [], mine
    )
    return found


def assert_same(first: Answer, second: Answer, names: tuple[str, str], request: object) -> None:
    found = differences(first, second)
    assert not found, (
        f"{names[0]} and {names[1]} answer differently:\n  "
        + "\n  ".join(found)
        + f"\nrequest: {_dump(request)}\n{names[0]}: {_dump(first.body)}"
        + f"\n{names[1]}: {_dump(second.body)}"
    )


def _error_differences(
    first: list[dict[str, Any]], second: list[dict[str, Any]], data: object
) -> list[str]:
    """Errors compared as multisets. When those differ, they may still differ only where
    graphql-core's executor is free, which holds for stock graphql-core against itself:

    - which item of a failing list reports: a list's items are resolved concurrently, and
      each failing item reports (or stops the list, after which the rest are dropped). Then
      the errors are compared once more with list indices masked, as sets;
    - whether a sibling of a failing non-null field reports: the failure nulls their
      parent and cancels the siblings still running, so a sibling that failed too reports
      only if it failed first, and of two failing non-null siblings either may be the one
      that reports. An error on one side only is forgiven when some ancestor of its path is
      null in the (equal) data and, under that same ancestor, either an error both sides
      report lies (the one that nulled it) or the other side reports an error of its own
      at another path (the sibling that failed first there). An error both sides report
      at the same path, in other words, must be the same error.
    """
    mine, theirs = sorted(map(_error_key, first)), sorted(map(_error_key, second))
    if mine == theirs:
        return []
    if any(_in_list(e) for e in first + second):
        masked = {_error_key(e, mask_indices=True) for e in first}
        if masked == {_error_key(e, mask_indices=True) for e in second}:
            return []
    both = [e for e in first if _error_key(e) in theirs]
    only_first, only_second = _beyond(first, Counter(theirs)), _beyond(second, Counter(mine))
    if all(_cut_short(e, both, only_second, data) for e in only_first) and all(
        _cut_short(e, both, only_first, data) for e in only_second
    ):
        return []
    return [f"errors {mine} != {theirs}"]


def _beyond(errors: list[dict[str, Any]], others: Counter[str]) -> list[dict[str, Any]]:
    """The errors of `errors` that `others` do not match one for one."""
    left = Counter(others)
    extra = []
    for error in errors:
        key = _error_key(error)
        if left[key]:
            left[key] -= 1
        else:
            extra.append(error)
    return extra


_ABSENT = object()


def _cut_short(
    error: dict[str, Any],
    both: list[dict[str, Any]],
    others: list[dict[str, Any]],
    data: object,
) -> bool:
    """Whether `error` lies under a null in `data` that an error of `both`, or one of the
    other side's own `others` at another path, lies under too."""
    path = error.get("path") or []
    for depth in range(len(path) - 1, -1, -1):
        ancestor = path[:depth]
        if _value_at(data, ancestor) is not None:
            continue
        if any(_under(e, ancestor) for e in both):
            return True
        if any(_under(e, ancestor) and e.get("path") != path for e in others):
            return True
    return False


def _under(error: dict[str, Any], ancestor: list[Any]) -> bool:
    path = error.get("path") or []
    return len(path) > len(ancestor) and path[: len(ancestor)] == ancestor


def _value_at(data: object, path: list[Any]) -> object:
    for step in path:
        in_object = isinstance(data, dict) and isinstance(step, str) and step in data
        in_list = isinstance(data, list) and isinstance(step, int) and step < len(data)
        if not (in_object or in_list):
            return _ABSENT
        data = data[step]  # type: ignore[index]
    return data


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
