"""Domain records rebuilt from stored values without __init__ (persistence/repositories/
records.py) are the records __init__ builds, still frozen; classes whose __init__ does more
than store its arguments are refused."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.ledger import Balance, EntryKind, LedgerEntry
from domain.records.members import Member, MemberStatus
from persistence.repositories.records import rebuilder

rebuild_member = rebuilder(Member)
rebuild_entry = rebuilder(LedgerEntry)
rebuild_balance = rebuilder(Balance)
optional_text = st.none() | st.text(max_size=20)


@given(
    seq=st.integers(min_value=1, max_value=2**62),
    external_id=optional_text,
    email=optional_text,
    birthday=st.none() | st.dates(),
    status=st.sampled_from(MemberStatus),
)
def test_a_rebuilt_member_is_the_member_init_builds(seq, external_id, email, birthday, status):
    values = (
        uuid.uuid4(),
        seq,
        external_id,
        email,
        "Ada",
        birthday,
        status,
        "ABC23",
        datetime(2026, 3, 2, 12, 0, tzinfo=UTC),
    )

    rebuilt = rebuild_member(*values)

    assert type(rebuilt) is Member
    assert rebuilt == Member(*values)
    assert dataclasses.astuple(rebuilt) == values


@given(
    kind=st.sampled_from(EntryKind),
    deltas=st.tuples(*(st.integers(-(2**31), 2**31 - 1) for _ in range(5))),
    texts=st.tuples(*(optional_text for _ in range(5))),
    config_version=st.none() | st.integers(min_value=1, max_value=2**31 - 1),
)
def test_a_rebuilt_ledger_entry_is_the_entry_init_builds(kind, deltas, texts, config_version):
    available, pending, lifetime, debt, shortfall = deltas
    reason, note, order_id, rate, actor = texts
    values = (
        7,
        uuid.uuid4(),
        "points",
        kind,
        available,
        pending,
        lifetime,
        reason,
        note,
        datetime(2026, 3, 2, 12, 0, tzinfo=UTC),
        debt,
        shortfall,
        order_id,
        rate,
        config_version,
        actor,
    )

    rebuilt = rebuild_entry(*values)

    assert rebuilt == LedgerEntry(*values)
    assert dataclasses.astuple(rebuilt) == values
    assert rebuilt.points == (available or pending)


@given(
    amounts=st.tuples(*(st.integers(-(2**40), 2**40) for _ in range(5))),
    wallet=st.sampled_from(["points", "stamps"]),
)
def test_a_rebuilt_balance_is_the_balance_init_builds(amounts, wallet):
    available, pending, lifetime, version, debt = amounts
    values = (uuid.uuid4(), wallet, available, pending, lifetime, version, debt)

    rebuilt = rebuild_balance(*values)

    assert rebuilt == Balance(*values)
    assert dataclasses.astuple(rebuilt) == values
    assert rebuilt.spendable == available - debt


def test_a_rebuilt_record_stays_frozen():
    member = rebuild_member(
        uuid.uuid4(),
        1,
        None,
        None,
        None,
        date(1990, 1, 1),
        MemberStatus.ACTIVE,
        "C",
        datetime.now(UTC),
    )
    with pytest.raises(dataclasses.FrozenInstanceError):
        member.name = "changed"  # type: ignore[misc]


def test_a_rebuilt_record_takes_every_field():
    with pytest.raises(TypeError):
        rebuild_member(uuid.uuid4(), 1)


@dataclasses.dataclass(frozen=True)
class NotSlotted:
    value: int


@dataclasses.dataclass(frozen=True, slots=True)
class Checked:
    value: int

    def __post_init__(self) -> None:
        if self.value < 0:
            raise ValueError("negative")


@dataclasses.dataclass(frozen=True, slots=True)
class Derived:
    value: int
    double: int = dataclasses.field(init=False)


@pytest.mark.parametrize("cls", [NotSlotted, Checked, Derived])
def test_a_class_whose_init_does_more_than_store_its_arguments_is_refused(cls):
    with pytest.raises(TypeError, match="not a plain frozen slotted record"):
        rebuilder(cls)
