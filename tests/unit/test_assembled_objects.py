"""Page objects built without their dataclass __init__ (engine/assemble.py) are the
same objects __init__ builds: every init field set, nothing else, equal values."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, date, datetime

import pytest
import strawberry

from api.schema.common.actors import AuditActor
from api.schema.common.ids import to_global_id
from api.schema.common.pagination import Connection, Edge, connection, encode_cursor, page_of
from api.schema.members.member_type import Member
from api.schema.points.ledger_types import LedgerEntry, Points
from domain import entry_actors, ledger
from domain.records import members as m

AT = datetime(2026, 3, 2, 12, 0, 30, 123456, tzinfo=UTC)


def _member(seq: int, **changes: object) -> m.Member:
    values: dict[str, object] = {
        "id": uuid.uuid4(),
        "seq": seq,
        "external_id": f"shopper-{seq}",
        "email": f"s{seq}@example.com",
        "name": "Ada",
        "birthday": date(1990, 2, 28),
        "status": m.MemberStatus.ACTIVE,
        "referral_code": "ABC23",
        "enrolled_at": AT,
    }
    return m.Member(**{**values, **changes})  # type: ignore[arg-type]


def _entry(entry_id: int, **changes: object) -> ledger.LedgerEntry:
    values: dict[str, object] = {
        "id": entry_id,
        "member_id": uuid.uuid4(),
        "wallet": "points",
        "kind": ledger.EntryKind.EARN,
        "available_delta": 0,
        "pending_delta": 12,
        "lifetime_delta": 12,
        "reason": "Order 1",
        "note": "staff note",
        "created_at": AT,
        "debt_delta": 0,
        "shortfall": 3,
        "order_id": "order-1",
        "rate": "v3:2/USD",
        "config_version": 3,
        "actor": "OPERATOR:5b1f0c5e-6d3a-4f57-9d43-0d9b8f1e2a10:ada@agency.test",
    }
    return ledger.LedgerEntry(**{**values, **changes})  # type: ignore[arg-type]


def _init_fields(cls: type) -> set[str]:
    return {f.name for f in dataclasses.fields(cls) if f.init}


def _same_object(built: object, through_init: object) -> None:
    assert type(built) is type(through_init)
    assert vars(built) == vars(through_init)
    assert set(vars(built)) == _init_fields(type(built))
    assert built == through_init


@pytest.mark.parametrize(
    "member",
    [
        _member(1),
        _member(2, external_id=None, email=None, name=None, birthday=None),
        _member(3, status=m.MemberStatus.ERASED),
    ],
)
def test_a_member_node_equals_the_one_init_builds(member):
    built = Member.of(member)

    _same_object(
        built,
        Member(
            id=strawberry.ID(to_global_id("Member", member.id)),
            external_id=member.external_id,
            email=member.email,
            name=member.name,
            birthday=member.birthday,
            status=member.status,
            enrolled_at=member.enrolled_at,
            referral_code=member.referral_code,
            domain=member,
            member_id=member.id,
        ),
    )


@pytest.mark.parametrize("internal", [True, False])
@pytest.mark.parametrize(
    "entry",
    [
        _entry(7),
        _entry(8, available_delta=-5, pending_delta=0, kind=ledger.EntryKind.REDEEM),
        _entry(9, reason=None, note=None, order_id=None, rate=None, config_version=None),
        _entry(10, actor=None),
        _entry(11, actor="secret_key"),
    ],
)
def test_a_ledger_entry_node_equals_the_one_init_builds(entry, internal):
    built = LedgerEntry.of(entry, internal=internal)
    found = entry_actors.read(entry.actor)

    _same_object(
        built,
        LedgerEntry(
            id=strawberry.ID(to_global_id("LedgerEntry", entry.id)),
            kind=entry.kind,
            wallet=entry.wallet,
            points=entry.points,
            available_delta=entry.available_delta,
            pending_delta=entry.pending_delta,
            reason=entry.reason,
            note=entry.note if internal else None,
            order_id=entry.order_id,
            shortfall=entry.shortfall,
            config_version=entry.config_version,
            rate=entry.rate,
            created_at=entry.created_at,
            actor=AuditActor.of(found) if internal and found else None,
        ),
    )
    assert built.note == (entry.note if internal else None)


@pytest.mark.parametrize(
    "balance",
    [
        ledger.Balance(uuid.uuid4(), "points", 120, 30, 400, 9),
        ledger.Balance(uuid.uuid4(), "stamps", 0, 0, 0, 0),
        ledger.Balance(uuid.uuid4(), "points", 5, 0, 50, 12, debt=20),  # owes points
    ],
)
def test_points_equal_the_ones_init_builds(balance):
    built = Points.of(balance)

    _same_object(
        built,
        Points(
            wallet=balance.wallet,
            available=balance.spendable,
            pending=balance.pending,
            lifetime=balance.lifetime,
            debt=balance.debt,
            member_id=balance.member_id,
        ),
    )


@pytest.mark.parametrize("found", [0, 1, 4, 5, 6])
@pytest.mark.parametrize("had_cursor", [True, False])
def test_a_page_of_rows_equals_the_connection_of_its_nodes(found, had_cursor):
    # given rows fetched with one extra past a page of five
    rows = [_member(seq) for seq in range(10, 10 + found)]

    # when a page is built from the rows, and the old way from nodes and positions
    page = page_of(rows, 5, had_cursor, Member.of, lambda x: x.seq)
    expected = connection([Member.of(x) for x in rows], [x.seq for x in rows], 5, had_cursor)

    # then both are the same connection, with edges as __init__ builds them
    assert isinstance(page, Connection)
    assert page == expected
    assert len(page.edges) == min(found, 5)
    assert page.page_info.has_next_page is (found > 5)
    for edge, row in zip(page.edges, rows, strict=False):
        _same_object(edge, Edge(cursor=encode_cursor(row.seq), node=Member.of(row)))
    cursors = [e.cursor for e in page.edges]
    assert page.page_info.start_cursor == (cursors[0] if cursors else None)
    assert page.page_info.end_cursor == (cursors[-1] if cursors else None)
