"""Opaque strings (global ids and cursors) are unpadded URL-safe base64 of their text, the
same as base64.urlsafe_b64encode gives, and read back to that text."""

from __future__ import annotations

import base64
import uuid

from hypothesis import given
from hypothesis import strategies as st

from api.schema.common.ids import from_global_id, to_global_id
from api.schema.common.opaque import opaque, unopaque
from api.schema.common.pagination import decode_cursor, encode_cursor


def reference_opaque(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


@given(st.text())
def test_any_text_is_encoded_as_unpadded_url_safe_base64(text):
    assert opaque(text) == reference_opaque(text)
    assert unopaque(opaque(text)) == text


@given(st.binary())
def test_the_url_safe_alphabet_is_used_wherever_plain_base64_would_give_plus_or_slash(raw):
    # latin-1 maps every byte to one character, so every 6-bit group occurs across examples
    text = raw.decode("latin-1")
    encoded = opaque(text)
    assert encoded == reference_opaque(text)
    assert "+" not in encoded and "/" not in encoded and "=" not in encoded


def test_every_padding_length_is_stripped():
    for text in ("", "a", "ab", "abc", "abcd", "\xff\xfe", "~~~?"):
        assert opaque(text) == reference_opaque(text)


@given(st.uuids())
def test_global_ids_of_uuids_are_unchanged(member_id):
    gid = to_global_id("Member", member_id)
    assert gid == reference_opaque(f"Member:{member_id}")
    assert from_global_id(gid) == ("Member", str(member_id))


@given(st.integers(min_value=0, max_value=10**18 - 1))
def test_cursors_are_unchanged_and_read_back(position):
    cursor = encode_cursor(position)
    assert cursor == reference_opaque(f"k:{position}")
    assert decode_cursor(cursor) == position


def test_a_known_global_id_keeps_its_exact_form():
    member_id = uuid.UUID("0b9c6f0e-3f5a-4c1e-9d2b-7a8e6f5d4c3b")
    assert to_global_id("Member", member_id) == (
        "TWVtYmVyOjBiOWM2ZjBlLTNmNWEtNGMxZS05ZDJiLTdhOGU2ZjVkNGMzYg"
    )
    assert encode_cursor(50) == "azo1MA"
