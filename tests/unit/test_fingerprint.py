"""An input's fingerprint (domain/idempotency.py) is the sha256 of the text `json.dumps`
gives with sorted keys, tight separators and `str` for anything else: keys claimed long ago
keep their digests, so the encoder built once must give exactly that text."""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from domain.idempotency import fingerprint

LEAVES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.text(),
    st.uuids(),
    st.datetimes(),
    st.decimals(allow_nan=False),
)
PAYLOADS = st.dictionaries(
    st.text(max_size=8),
    st.recursive(
        LEAVES,
        lambda inner: st.one_of(
            st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=4), inner, max_size=4)
        ),
        max_leaves=20,
    ),
    max_size=6,
)


def _as_dumped(operation: str, payload: dict[str, Any]) -> str:
    canonical = json.dumps(
        {"op": operation, "input": payload}, sort_keys=True, separators=(",", ":"), default=str
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(["adjustPoints", "recordOrder"]), PAYLOADS)
def test_the_fingerprint_is_the_digest_of_what_json_dumps_gives(operation, payload):
    assert fingerprint(operation, payload) == _as_dumped(operation, payload)


def test_a_fingerprint_stays_what_it_was():
    # a digest as stored with a key: the canonical text must never change
    payload = {"points": 5, "wallet": "points", "reason": "Ça", "note": None, "x": Decimal("1.5")}
    assert fingerprint("adjustPoints", payload) == (
        "b727b08bce4c794c10fce383b5c1a4b601796c5bd3f38e2719aeda5ea77e18a0"
    )
