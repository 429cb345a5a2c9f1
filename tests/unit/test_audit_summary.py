"""The audit summary's shortcut for texts, numbers and dicts (domain/audit.py `summarize`)
gives what the long way (`_summarized`, every check in turn) gives, for any value."""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import Enum, IntEnum, StrEnum
from uuid import UUID

from hypothesis import given, settings
from hypothesis import strategies as st

from domain.audit import _summarized, summarize


class Colour(StrEnum):
    RED = "RED"


class Size(IntEnum):
    BIG = 3


class Flag(Enum):
    ON = "on"


class Text(str):
    """A str subclass: not the exact type, so the long way."""


KEYS = st.sampled_from(["memberId", "points", "password", "signingSecret", "codes", "note"])
LEAVES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False),
    st.text(max_size=220),
    st.text(min_size=195, max_size=260),
    st.builds(Text, st.text(max_size=210)),
    st.sampled_from([Colour.RED, Size.BIG, Flag.ON]),
    st.datetimes(timezones=st.just(UTC)),
    st.dates(),
    st.uuids(),
)
VALUES = st.recursive(
    LEAVES,
    lambda inner: st.one_of(
        st.lists(inner, max_size=55),
        st.tuples(inner, inner),
        st.dictionaries(st.one_of(KEYS, st.text(max_size=5)), inner, max_size=5),
    ),
    max_leaves=80,
)


@settings(max_examples=500, deadline=None)
@given(VALUES)
def test_the_shortcut_gives_what_the_long_way_gives(value):
    # the children of both are summarized alike: the top level is where they could differ
    assert summarize(value) == _summarized(value)
    assert type(summarize(value)) is type(_summarized(value))


def test_the_usual_leaves_come_out_as_they_went_in_or_cut_short():
    assert summarize("x" * 200) == "x" * 200
    assert summarize("x" * 201) == "x" * 200 + "…"
    assert summarize(True) is True and summarize(7) == 7 and summarize(None) is None
    assert summarize({"password": "p", "n": 1, "gone": None}) == {"password": "[redacted]", "n": 1}
    assert summarize(date(2026, 1, 2)) == "2026-01-02"
    assert summarize(datetime(2026, 1, 2, tzinfo=UTC)).startswith("2026-01-02T00:00:00")
    assert summarize(UUID(int=1)) == str(UUID(int=1))
