"""Who a change is recorded as having been made by."""

from __future__ import annotations

from uuid import uuid4

from api.auth.principal import Kind, Principal


def test_an_operator_is_recorded_by_id_and_a_key_by_its_kind():
    operator_id = uuid4()

    assert Principal(Kind.OPERATOR, operator_id=operator_id).actor == f"operator:{operator_id}"
    assert Principal(Kind.SECRET_KEY).actor == "secret_key"
    assert Principal(Kind.MEMBER, member_id=uuid4()).actor == "member"
