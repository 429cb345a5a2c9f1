"""Who made a ledger entry, read from what its actor column holds: the forms written now and
those written before (domain/entry_actors.py)."""

from __future__ import annotations

import uuid

import pytest

from domain import entry_actors
from domain.audit import Actor

OPERATOR_ID = "5b1f0c5e-6d3a-4f57-9d43-0d9b8f1e2a10"
IMPORT_ID = uuid.UUID("0e6a4f1c-2b7d-4c39-8f51-7a2d9c3b6e04")


@pytest.mark.parametrize(
    "actor",
    [
        Actor("OPERATOR", OPERATOR_ID, "ada@agency.test"),
        Actor("SECRET_KEY", OPERATOR_ID, "lp_sk_AbCd"),
        Actor("SYSTEM", None, None),
        Actor("IMPORT", str(IMPORT_ID), "cli:members:2026.csv"),
    ],
)
def test_an_actor_written_reads_back_the_same(actor):
    assert entry_actors.read(entry_actors.recorded(actor)) == actor


def test_an_import_names_its_id_and_who_sent_it():
    by_operator = entry_actors.read(entry_actors.imported(IMPORT_ID, "operator:ada@agency.test"))
    by_cli = entry_actors.read(entry_actors.imported(IMPORT_ID, "cli:members.csv"))
    unknown = entry_actors.read(entry_actors.imported(IMPORT_ID, None))

    assert by_operator == Actor("IMPORT", str(IMPORT_ID), "ada@agency.test")
    assert by_cli == Actor("IMPORT", str(IMPORT_ID), "cli:members.csv")
    assert unknown == Actor("IMPORT", str(IMPORT_ID), None)


@pytest.mark.parametrize(
    ("stored", "actor"),
    [
        (None, None),
        ("", None),
        (f"operator:{OPERATOR_ID}", Actor("OPERATOR", OPERATOR_ID, None)),
        ("secret_key", Actor("SECRET_KEY", None, None)),
        ("operator:ada@agency.test", Actor("IMPORT", None, "ada@agency.test")),
        ("cli:members.csv", Actor("IMPORT", None, "cli:members.csv")),
    ],
)
def test_the_forms_written_before_still_read(stored, actor):
    assert entry_actors.read(stored) == actor
