"""A member known by its id alone (api/schema/members/member_by_id.py) answers as the
GraphQL type Member, and holds nothing a field could read by mistake."""

from __future__ import annotations

import uuid

import pytest

from api.schema.common.ids import to_global_id
from api.schema.members.member_by_id import MemberById
from api.schema.members.member_type import Member


def test_a_member_known_by_id_answers_as_a_member() -> None:
    # Given a member known by its id alone
    member_id = uuid.uuid4()
    known = MemberById(member_id)

    # When the Member type is asked whether it takes it
    taken = Member.is_type_of(known, None)

    # Then it does, with the member's global id and no batch of a page
    assert taken is True
    assert known.id == to_global_id("Member", member_id)
    assert known.member_id == member_id
    assert known.batch is None
    assert known.listed is False


def test_a_member_known_by_id_has_no_row_to_read() -> None:
    # Given a member known by its id alone
    known = MemberById(uuid.uuid4())

    # When a field of the row is read from it
    # Then it fails instead of answering with made-up data
    with pytest.raises(AttributeError):
        _ = known.email  # type: ignore[attr-defined]


def test_other_objects_are_not_members() -> None:
    # Given an object that is neither a Member nor a member known by id
    stranger = object()

    # When the Member type is asked whether it takes it
    taken = Member.is_type_of(stranger, None)

    # Then it does not
    assert taken is False
