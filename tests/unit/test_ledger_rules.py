"""Pure rules of the ledger: which lots pay, what amounts pass, how keys compare."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.errors import DomainError, ErrorCode, IdempotencyKeyReused, InsufficientPoints
from domain.idempotency import check_replay, fingerprint
from domain.ledger import MAX_POINTS_PER_CHANGE, Lot, plan_spend, validate_points, validate_wallet
from domain.records.idempotency import IdempotencyRecord
from tenants.naming import assert_schema_name, schema_for, validate_slug

NOW = datetime(2026, 6, 1, tzinfo=UTC)
MEMBER = uuid.uuid4()


def lot(id: int, remaining: int, expires_in_days: int | None, available_in_days: int = -1) -> Lot:
    expires = NOW + timedelta(days=expires_in_days) if expires_in_days is not None else None
    available_at = NOW + timedelta(days=available_in_days)
    pending = available_at > NOW
    return Lot(id, MEMBER, "points", remaining, remaining, available_at, expires, pending=pending)


def test_soonest_to_expire_pays_first_and_never_expiring_last():
    lots = [lot(1, 100, None), lot(2, 30, 90), lot(3, 50, 10)]
    draws = plan_spend(lots, 120, NOW)
    assert [(d.lot_id, d.points) for d in draws] == [(3, 50), (2, 30), (1, 40)]


def test_pending_and_expired_lots_do_not_pay():
    lots = [lot(1, 100, None, available_in_days=3), lot(2, 30, 0), lot(3, 20, 5)]
    with pytest.raises(InsufficientPoints):
        plan_spend(lots, 21, NOW)
    assert [(d.lot_id, d.points) for d in plan_spend(lots, 20, NOW)] == [(3, 20)]


@given(
    remaining=st.lists(st.integers(min_value=1, max_value=1000), min_size=1, max_size=12),
    spend=st.integers(min_value=1, max_value=15000),
)
def test_a_spend_is_paid_exactly_or_refused(remaining, spend):
    lots = [lot(i, r, i % 4 * 30 or None) for i, r in enumerate(remaining, start=1)]
    total = sum(remaining)
    if spend > total:
        with pytest.raises(InsufficientPoints):
            plan_spend(lots, spend, NOW)
        return
    draws = plan_spend(lots, spend, NOW)
    assert sum(d.points for d in draws) == spend
    by_id = {x.id: x for x in lots}
    assert all(0 < d.points <= by_id[d.lot_id].remaining for d in draws)
    assert len({d.lot_id for d in draws}) == len(draws)


@pytest.mark.parametrize("points", [0, MAX_POINTS_PER_CHANGE + 1, -MAX_POINTS_PER_CHANGE - 1])
def test_amounts_out_of_range_are_refused(points):
    with pytest.raises(DomainError) as refused:
        validate_points(points)
    assert refused.value.code is ErrorCode.INVALID_AMOUNT


def test_unknown_wallets_are_refused_and_none_means_the_default():
    assert validate_wallet(None) == "points"
    assert validate_wallet("stamps") == "stamps"  # the stamp card's wallet
    with pytest.raises(DomainError):
        validate_wallet("miles")


def test_a_key_replays_only_the_same_operation_and_input():
    digest = fingerprint("adjustPoints", {"points": 5, "member": "m"})
    assert digest == fingerprint("adjustPoints", {"member": "m", "points": 5})
    record = IdempotencyRecord("adjustPoints", digest, {"entryId": 7})
    assert check_replay(record, "adjustPoints", digest) == {"entryId": 7}
    with pytest.raises(IdempotencyKeyReused):
        check_replay(record, "adjustPoints", fingerprint("adjustPoints", {"points": 6}))
    with pytest.raises(IdempotencyKeyReused):
        check_replay(record, "recordOrder", digest)


@pytest.mark.parametrize("slug", ["ab", "1shop", "shop-", "sh--op", "shop;drop", "x" * 60])
def test_bad_slugs_never_become_schema_names(slug):
    with pytest.raises(DomainError):
        schema_for(slug)


def test_schema_names_are_checked_again_before_sql():
    assert schema_for("Corner-Shop") == "t_corner_shop"
    assert validate_slug(" corner-shop ") == "corner-shop"
    for bad in ['t_x"; drop', "public", "control", "t_"]:
        with pytest.raises(ValueError):
            assert_schema_name(bad)
