"""The ledger repository's fast ways (`credit_at_once`, `credit_at_once_refreshing`) counted
or declined, for tests that run the same operations the fast way and the plain way."""

from __future__ import annotations

from typing import Any

import pytest

from persistence.repositories.ledger import PgLedgerRepository


def count_taken(monkeypatch: pytest.MonkeyPatch, name: str) -> list[bool]:
    """Each call of the method from now on: whether it was taken (answered) or declined."""
    original = getattr(PgLedgerRepository, name)
    taken: list[bool] = []

    async def counted(self: PgLedgerRepository, *args: Any) -> Any:
        done = await original(self, *args)
        taken.append(done is not None)
        return done

    monkeypatch.setattr(PgLedgerRepository, name, counted)
    return taken


def decline(monkeypatch: pytest.MonkeyPatch, *names: str) -> None:
    """Those methods decline from now on: every use case takes the plain way."""

    async def declined(self: PgLedgerRepository, *args: Any) -> None:
        return None

    for name in names:
        monkeypatch.setattr(PgLedgerRepository, name, declined)
