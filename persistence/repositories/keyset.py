"""Keyset pages of one owner's rows, newest first: the statement every "a member's …" and
"a survey's …" list runs.

A page is the rows before a cursor (`seq` of the last row the client saw), never an OFFSET,
so it costs the same deep in a long history and rows added meanwhile shift nothing.
"""

from __future__ import annotations


def newest_first(columns: str, table: str, owner: str) -> str:
    """The SQL of such a page: $1 the owner, $2 the `seq` the page starts before (NULL: from
    the newest), $3 the page's size. Its arguments are the repository's own names, never a
    caller's."""
    return f"""SELECT {columns} FROM {table}
               WHERE {owner} = $1 AND ($2::bigint IS NULL OR seq < $2)
               ORDER BY seq DESC LIMIT $3"""
