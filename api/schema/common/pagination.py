"""Cursor connections with keyset pagination (never OFFSET) and a maximum page size."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

import strawberry

from api.schema.common.opaque import opaque, unopaque
from domain.errors import DomainError

T = TypeVar("T")
R = TypeVar("R")


@strawberry.type
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


@strawberry.type
class Edge(Generic[T]):
    cursor: str
    node: T


@strawberry.type
class Connection(Generic[T]):
    edges: list[Edge[T]]
    nodes: list[T]
    page_info: PageInfo


def encode_cursor(position: int) -> str:
    return opaque(f"k:{position}")


def decode_cursor(cursor: str | None) -> int | None:
    if cursor is None:
        return None
    try:
        tag, _, value = unopaque(cursor).partition(":")
        if tag != "k" or not value.isdigit() or len(value) > 18:
            raise ValueError
        return int(value)
    except ValueError:
        raise DomainError("Malformed cursor.", field=("after",)) from None


def page_size(first: int | None, maximum: int, default: int = 20) -> int:
    size = default if first is None else first
    if size < 1 or size > maximum:
        raise DomainError(f"first must be between 1 and {maximum}.", field=("first",))
    return size


def connection(items: list[T], positions: list[int], size: int, had_cursor: bool) -> Connection[T]:
    """`items` were fetched with one extra row past `size`, to learn whether a next page exists."""
    has_next = len(items) > size
    items, positions = items[:size], positions[:size]
    return _connection(items, [encode_cursor(p) for p in positions], has_next, had_cursor)


def page_of(
    found: Sequence[R],
    size: int,
    had_cursor: bool,
    node: Callable[[R], T],
    position: Callable[[R], int],
) -> Connection[T]:
    """`connection` from the rows found (one extra past `size`), building nodes and cursors
    for the rows kept only."""
    return keyset_page(found, size, had_cursor, node, lambda x: encode_cursor(position(x)))


def keyset_page(
    found: Sequence[R],
    size: int,
    had_cursor: bool,
    node: Callable[[R], T],
    cursor: Callable[[R], str],
) -> Connection[T]:
    """`page_of` for rows whose cursor is more than one integer (`cursor` makes it)."""
    has_next = len(found) > size
    kept = found[:size]
    return _connection([node(x) for x in kept], [cursor(x) for x in kept], has_next, had_cursor)


def _connection(
    items: list[T], cursors: list[str], has_next: bool, had_cursor: bool
) -> Connection[T]:
    return Connection(
        edges=[Edge(cursor=c, node=n) for c, n in zip(cursors, items, strict=True)],
        nodes=items,
        page_info=PageInfo(
            has_next_page=has_next,
            has_previous_page=had_cursor,
            start_cursor=cursors[0] if cursors else None,
            end_cursor=cursors[-1] if cursors else None,
        ),
    )
