"""Values for every scalar the schema defines, as JSON values: `plain` ones a client would
send, and `attacks` a hostile client sends (NUL bytes, lone surrogates, huge exponents, naive
and out-of-range datetimes, 2^63, wrong JSON types).

A scalar the schema gains without an entry here fails the fuzz suite with a message that
says to add one: a new scalar is never left unfuzzed by accident."""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone

from hypothesis import strategies as st

Strategy = st.SearchStrategy[object]

# Strings that broke, or could break, something below the API: the database (NUL, lone
# surrogates), LIKE patterns (% and _), templates, sizes, and direction/format controls.
HOSTILE_TEXT: tuple[str, ...] = (
    "",
    " ",
    "\x00",
    "a\x00b",
    "\ud800",
    "x\udfffy",
    "\ud83d",
    "\ufeff",
    "\u202e\u0644",
    "%",
    "_",
    "%_%",
    "\\",
    "\\%",
    "'; DROP TABLE members; --",
    "{code}{tenant}{",
    "\n\r\t\x0b\x1b",
    "a" * 10_000,
    "é" * 4_000,
    "\U0001f600" * 500,
    "null",
    "1e999999999",
)

# Kinds of node a global id can name, and raw ids around the limits of each id's column.
NODE_TYPES = ("Member", "Reward", "Tier", "Redemption", "Referral", "LedgerEntry", "ApiKey")
NODE_TYPES += ("Tenant", "Nope")
RAW_IDS = ("1", "0", "-1", "9" * 19, "9" * 400, "00000000-0000-0000-0000-000000000000")
RAW_IDS += ("\x00", "\ud800", "1 OR 1=1", "", ":")

BIG_INTS: tuple[object, ...] = (0, -1, 2**31 - 1, 2**31, -(2**31) - 1, 2**53 + 1)
BIG_INTS += (2**63 - 1, 2**63, -(2**63), -(2**63) - 1, 10**100)

DECIMAL_ATTACKS: tuple[object, ...] = (
    "1e-100000000",
    "1e100000000",
    "1E+999999999",
    "-1e-1000000",
    "0E-1000000",
    "1" + "0" * 5_000,
    "0." + "0" * 5_000 + "1",
    "NaN",
    "-NaN",
    "sNaN",
    "Infinity",
    "-Infinity",
    "-0",
    "1_000",
    " 1",
    "\u0661",  # ARABIC-INDIC DIGIT ONE, which int() and Decimal() accept
    "",
    "abc",
    "\x00",
    1e308,
    5e-324,
    2**63,
    10**30,
    True,
)

DATE_ATTACKS: tuple[object, ...] = (
    "0001-01-01",
    "9999-12-31",
    "0000-01-01",
    "10000-01-01",
    "-0001-01-01",
    "2026-02-30",
    "2026-13-01",
    "2026-1-1",
    "20260101",
    "2026-W01-1",
    "2026-01-01T00:00:00",
    "",
    "\x00",
    20260101,
)

DATETIME_ATTACKS: tuple[object, ...] = (
    "2026-01-01T00:00:00",
    "2026-01-01 00:00:00",
    "0001-01-01T00:00:00+14:00",
    "0001-01-01T00:00:00",
    "0001-01-01T00:00:00+00:01",
    "9999-12-31T23:59:59-14:00",
    "9999-12-31T23:59:59.999999-00:01",
    "9999-12-31T23:59:59",
    "2026-01-01T00:00:00Z",
    "2026-01-01T24:00:00Z",
    "2026-01-01T23:59:60Z",
    "2026-01-01T00:00:00+24:00",
    "2026-01-01T00:00:00+23:59",
    "2026-01-01",
    "+002026-01-01T00:00:00Z",
    "2026-01-01T00:00:00.1234567890123+00:00",
    "",
    "\x00",
    0,
    1.7e9,
)

WRONG_JSON_TYPES: tuple[object, ...] = (None, True, 1, 1.5, "1", [], {}, [1], {"a": 1})


def opaque(text: str) -> str:
    """A global id as the API makes them (unpadded URL-safe base64), of any text, even one
    that is not valid UTF-8."""
    raw = text.encode("utf-8", "surrogatepass")
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _often(attacks: Sequence[object]) -> list[Strategy]:
    """The named attacks as three branches of a one_of: drawn far more often than values a
    generic strategy happens upon."""
    return [st.sampled_from(attacks)] * 3


def _offsets() -> st.SearchStrategy[timezone]:
    return st.integers(-14 * 60, 14 * 60).map(lambda m: timezone(timedelta(minutes=m)))


def _aware_datetimes() -> st.SearchStrategy[str]:
    return st.datetimes(
        min_value=datetime(1970, 1, 2), max_value=datetime(2200, 1, 1), timezones=_offsets()
    ).map(datetime.isoformat)


@dataclass(frozen=True)
class ScalarValues:
    """`plain(seeds)` for values a client would send; `attacks` on top for hostile ones."""

    plain: Callable[[Seeds], Strategy]
    attacks: Callable[[Seeds], Strategy]


@dataclass(frozen=True)
class Seeds:
    """Ids and strings that name real rows of the fuzzed tenant, so values reach them."""

    ids: Sequence[str] = ()
    strings: Sequence[str] = ()
    # Values that name real things, by the name of the field or argument that takes them.
    by_name: Mapping[str, Sequence[object]] = field(default_factory=dict)
    # A valid value of an input type, by the type's name: the domain accepts it.
    examples: Mapping[str, Mapping[str, object]] = field(default_factory=dict)


def _or_known(values: Sequence[str], other: Strategy) -> Strategy:
    return st.one_of(st.sampled_from(values), other) if values else other


PLAIN_ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_ .@é"


def _plain_text(seeds: Seeds) -> Strategy:
    return _or_known(seeds.strings, st.text(PLAIN_ALPHABET, min_size=1, max_size=20))


def _hostile_text(seeds: Seeds) -> Strategy:
    splice = st.sampled_from(("\x00", "\ud800", "\udc00", "%", "_"))
    return st.one_of(
        st.sampled_from(HOSTILE_TEXT),
        st.tuples(_plain_text(seeds), splice, st.text(max_size=5)).map("".join),
        st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=0x10FFFF), max_size=20),
    )


def _plain_ids(seeds: Seeds) -> Strategy:
    made = st.tuples(st.sampled_from(NODE_TYPES), st.uuids().map(str))
    return _or_known(seeds.ids, made.map(lambda t: opaque(f"{t[0]}:{t[1]}")))


def _hostile_ids(seeds: Seeds) -> Strategy:
    made = st.tuples(st.sampled_from(NODE_TYPES), st.sampled_from(RAW_IDS))
    return st.one_of(
        made.map(lambda t: opaque(f"{t[0]}:{t[1]}")),
        st.sampled_from(("====", "!!", "TWVtYmVy", opaque("Member"), opaque("\udc00"))),
        _hostile_text(seeds),
        st.integers(),
    )


SCALARS: dict[str, ScalarValues] = {
    "String": ScalarValues(_plain_text, _hostile_text),
    "ID": ScalarValues(_plain_ids, _hostile_ids),
    "Int": ScalarValues(
        lambda _: st.integers(0, 10_000),
        lambda _: st.one_of(
            st.integers(-(2**31), 2**31 - 1),
            st.sampled_from(BIG_INTS),
            st.sampled_from((1.5, 1e308, "1", "0x10", True)),
        ),
    ),
    "Float": ScalarValues(
        lambda _: st.floats(-1e6, 1e6),
        lambda _: st.one_of(st.floats(allow_nan=False), st.sampled_from((2**63, "1.5", True))),
    ),
    "Boolean": ScalarValues(
        lambda _: st.booleans(), lambda _: st.sampled_from(("true", 0, 1, "", []))
    ),
    "BigInt": ScalarValues(
        lambda _: st.integers(0, 10**9).map(str),
        lambda _: st.one_of(
            st.integers(),
            st.integers().map(str),
            *_often(BIG_INTS),
            st.sampled_from(BIG_INTS).map(str),
            st.sampled_from(
                ("9" * 5_000, "1e5", " 7", "\u0663", "0x1F", "1.0", "", "-", 1.5, 1e300)
            ),
        ),
    ),
    "Decimal": ScalarValues(
        lambda _: st.decimals(0, 100, places=3).map(str),
        lambda _: st.one_of(
            st.decimals(allow_nan=False, allow_infinity=False).map(str),
            st.decimals().map(str),
            *_often(DECIMAL_ATTACKS),
        ),
    ),
    "Date": ScalarValues(
        lambda _: st.dates().map(lambda d: d.isoformat()),
        lambda _: st.sampled_from(DATE_ATTACKS),
    ),
    "DateTime": ScalarValues(
        lambda _: _aware_datetimes(),
        lambda _: st.one_of(
            *_often(DATETIME_ATTACKS),
            st.datetimes().map(datetime.isoformat),  # naive, any year
            st.datetimes(timezones=st.just(UTC)).map(datetime.isoformat),
            st.datetimes(timezones=_offsets()).map(datetime.isoformat),
        ),
    ),
    # Output only (the audit log's summaries, exportMember): no input takes one today; these
    # are here for the day one does.
    "JSON": ScalarValues(
        lambda _: st.recursive(
            st.none() | st.booleans() | st.integers() | st.text(max_size=20),
            lambda inner: (
                st.lists(inner, max_size=3)
                | st.dictionaries(st.text(max_size=5), inner, max_size=3)
            ),
            max_leaves=10,
        ),
        lambda _: st.sampled_from(
            ("x" * 100_000, [[[[[[[[[[[]]]]]]]]]]], {"": None}, "\u0000", 1e308, -(2**64))
        ),
    ),
}


class NoStrategy(LookupError):
    pass


def scalar_values(name: str) -> ScalarValues:
    try:
        return SCALARS[name]
    except KeyError:
        raise NoStrategy(
            f"the schema defines scalar {name!r} and the fuzzers have no values for it: "
            "add plain values and attacks for it to tests/fuzz/scalars.py"
        ) from None
