"""What a plan's resolvers already gave, handed to graphql-core's executor when the plan
stops, so that no resolver runs twice in one request.

A plan (engine/query_plan.py, mutation_plan.py) that stops after resolvers ran does not
start the operation again. It records, as it goes, every resolver's outcome by the field's
path: the source object it was called on, the value it returned or the exception it raised,
and whether that came through an awaitable. When it stops, the executor (engine/execution.py,
`ReplayExecutionContext`) runs the operation from the start, and wherever it would call a
resolver at a recorded path on the same source object it is handed the recorded outcome
instead, in the same form (an awaitable when the resolver gave one). Everything else (the
values' completion, null propagation, the errors with their paths and messages) is the
executor's own, so the answer is graphql-core's by construction; resolvers the plan never
reached run there, once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from graphql.pyutils import Path

Key = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one resolver gave on `source`: `value`, or `error` raised; `awaited` when it
    came through an awaitable."""

    source: Any
    value: Any = None
    error: BaseException | None = None
    awaited: bool = False

    def resolver(self, _source: Any, _info: Any, **_arguments: Any) -> Any:
        if self.awaited:
            return self._later()
        if self.error is not None:
            raise self.error
        return self.value

    async def _later(self) -> Any:
        if self.error is not None:
            raise self.error
        return self.value


@dataclass(slots=True)
class Replay:
    """The recorded outcomes by path, each handed over once."""

    outcomes: dict[Key, Outcome] = field(default_factory=dict)

    def take(self, path: Path, source: Any) -> Outcome | None:
        """The outcome recorded at `path` when it was obtained on this very `source`."""
        if not self.outcomes:
            return None
        key = tuple(path.as_list())
        outcome = self.outcomes.get(key)
        if outcome is None or outcome.source is not source:
            return None
        del self.outcomes[key]
        return outcome


class Ran:
    """A plan's record of its resolvers' outcomes, cheap to keep while the plan answers (a
    tuple a call; the outcomes, and the paths of a column's objects, are made only if the
    plan stops)."""

    __slots__ = ("_calls", "_columns")

    def __init__(self) -> None:
        # path, source, value, error, awaited
        self._calls: list[tuple[Path, Any, Any, BaseException | None, bool]] = []
        self._columns: list[tuple[Callable[[], list[Path]], Sequence[Any], Sequence[Any]]] = []

    def value(self, path: Path, source: Any, value: Any, awaited: bool) -> None:
        self._calls.append((path, source, value, None, awaited))

    def error(self, path: Path, source: Any, error: BaseException, awaited: bool) -> None:
        self._calls.append((path, source, None, error, awaited))

    def column(
        self, paths: Callable[[], list[Path]], sources: Sequence[Any], values: Sequence[Any]
    ) -> None:
        """The values a batch resolver answered for these sources, as their own resolvers
        answer once the batch is read: values, not awaitables."""
        self._columns.append((paths, sources, values))

    def replay(self) -> Replay | None:
        """The outcomes for the executor, or None when no resolver ran."""
        if not self._calls and not self._columns:
            return None
        outcomes = {
            tuple(path.as_list()): Outcome(source, value, error, awaited)
            for path, source, value, error, awaited in self._calls
        }
        for paths, sources, values in self._columns:
            for path, source, value in zip(paths(), sources, values, strict=True):
                outcomes[tuple(path.as_list())] = Outcome(source, value)
        return Replay(outcomes)
