"""The comparison the differential suite relies on reports what differs, and forgives only
graphql-core's own freedom (error order, which failing list item reports, request ids)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.differential.answers import Answer, assert_same, differences
from tests.differential.twins import normalise

ERROR = {
    "message": "No such member.",
    "locations": [{"line": 1, "column": 3}],
    "path": ["member"],
    "extensions": {"code": "NOT_FOUND", "field": ["id"]},
}
BODY: dict[str, Any] = {"data": {"member": None, "program": {"name": "Shop"}}, "errors": [ERROR]}


def _with(**changes: Any) -> dict[str, Any]:
    return {**BODY, **changes}


def _error(**changes: Any) -> dict[str, Any]:
    return {**ERROR, **changes}


def test_the_same_answer_has_no_differences():
    # Given two equal answers
    first, second = Answer(200, BODY), Answer(200, _with())

    # When they are compared
    found = differences(first, second)

    # Then nothing is reported
    assert found == []


@pytest.mark.parametrize(
    ("second", "reported"),
    [
        (Answer(400, BODY), "status"),
        (Answer(200, _with(data={"member": None, "program": {"name": "Shop!"}})), "data"),
        (Answer(200, _with(data={"member": None, "program": None})), "data"),
        (Answer(200, _with(errors=[_error(path=["program"])])), "errors"),
        (Answer(200, _with(errors=[_error(message="Not found.")])), "errors"),
        (Answer(200, _with(errors=[_error(extensions={"code": "FORBIDDEN"})])), "errors"),
        (Answer(200, _with(errors=[_error(locations=[{"line": 2, "column": 3}])])), "errors"),
        (Answer(200, _with(errors=[ERROR, ERROR])), "errors"),
        (Answer(200, _with(errors=[])), "errors"),
        (Answer(200, {"errors": [ERROR]}), "body keys"),
        (Answer(200, _with(data={"program": {"name": "Shop"}, "member": None})), "data key order"),
    ],
    ids=[
        "status",
        "a value",
        "a null",
        "an error's path",
        "an error's message",
        "an error's code",
        "an error's location",
        "an error more",
        "no error",
        "no data key",
        "the order of keys",
    ],
)
def test_a_difference_is_reported(second: Answer, reported: str):
    # Given an answer and one that differs in one respect
    first = Answer(200, BODY)

    # When they are compared
    found = differences(first, second)

    # Then the difference is reported, and asserting sameness fails
    assert any(line.startswith(reported) for line in found), found
    with pytest.raises(AssertionError, match=reported):
        assert_same(first, second, ("fast", "stock"), {"query": "{ member { id } }"})


def test_the_status_of_a_direct_execution_is_not_compared():
    # Given an app's answer and the reference's, which has no HTTP status
    first, second = Answer(200, BODY), Answer(None, BODY)

    # When they are compared
    # Then they are the same
    assert differences(first, second) == []


def test_error_order_and_request_ids_are_forgiven():
    # Given two errors in one order with one request id, and in the other with another
    other = _error(path=["program"], extensions={"code": "INTERNAL", "requestId": "a"})
    first = Answer(200, _with(errors=[ERROR, other]))
    moved = _error(path=["program"], extensions={"code": "INTERNAL", "requestId": "b"})
    second = Answer(200, _with(errors=[moved, ERROR]))

    # When they are compared
    # Then they are the same
    assert differences(first, second) == []


def test_a_request_id_present_on_one_side_only_is_reported():
    # Given an error with a request id and the same error without one
    first = Answer(200, _with(errors=[_error(extensions={"code": "INTERNAL", "requestId": "a"})]))
    second = Answer(200, _with(errors=[_error(extensions={"code": "INTERNAL"})]))

    # When they are compared
    # Then the difference is reported
    assert differences(first, second)


def test_which_failing_list_item_reports_is_forgiven_but_not_the_error():
    # Given a list whose failure nulls its parent, reported by item 0 on one side and by
    # items 1 and 2 on the other (graphql-core's scheduling)
    data = {"members": None}

    def failing(index: int, message: str = "Boom.") -> dict[str, Any]:
        return _error(message=message, path=["members", index, "points"])

    first = Answer(200, {"data": data, "errors": [failing(0)]})
    second = Answer(200, {"data": data, "errors": [failing(1), failing(2)]})
    third = Answer(200, {"data": data, "errors": [failing(0, "Other.")]})

    # When they are compared
    # Then the items reporting are forgiven, another error from the same item is not
    assert differences(first, second) == []
    assert differences(first, third)


def test_a_sibling_cut_short_by_a_failing_non_null_field_is_forgiven():
    # Given a root nulled by a non-null field's error, reported on both sides, and a
    # sibling's error that only one side reports (the other cancelled it in time)
    nulled = _error(path=["previewTierChange"], message="Give exactly one.")
    sibling = _error(path=["reward"], message="Expected a Reward id.")
    first = Answer(200, {"data": None, "errors": [sibling, nulled]})
    second = Answer(200, {"data": None, "errors": [nulled]})

    # When they are compared
    # Then they are the same
    assert differences(first, second) == []


def test_either_of_two_failing_non_null_siblings_may_report():
    # Given a parent nulled by one failing non-null child on one side, by its failing
    # sibling on the other (whichever failed first)
    data = {"me": None}
    referrals = _error(path=["me", "referrals"], message="Malformed cursor.")
    history = _error(path=["me", "tierHistory"], message="Malformed cursor.")
    first = Answer(200, {"data": data, "errors": [referrals]})
    second = Answer(200, {"data": data, "errors": [history]})

    # When they are compared
    # Then they are the same
    assert differences(first, second) == []


def test_two_errors_at_the_same_path_must_be_the_same_error():
    # Given a nulled parent, and the error that nulled it told differently by each side
    data = {"me": None}
    first = Answer(200, {"data": data, "errors": [_error(path=["me", "referrals"])]})
    second = Answer(
        200, {"data": data, "errors": [_error(path=["me", "referrals"], message="No.")]}
    )

    # When they are compared
    # Then the difference is reported
    assert differences(first, second)


@pytest.mark.parametrize(
    ("data", "shared"),
    [
        ({"reward": None, "program": {"name": "Shop"}}, [_error(path=["program", "x"])]),
        (None, []),
    ],
    ids=["the parent is not null", "no error both report nulled it"],
)
def test_an_error_on_one_side_only_is_reported_otherwise(data: Any, shared: list[Any]):
    # Given an error one side reports and the other does not, where no shared error nulled
    # an ancestor of its path
    extra = _error(path=["reward"], message="Expected a Reward id.")
    first = Answer(200, {"data": data, "errors": [extra, *shared]})
    second = Answer(200, {"data": data, "errors": shared})

    # When they are compared
    # Then the difference is reported
    assert differences(first, second)


def test_twins_are_compared_without_what_legitimately_differs():
    # Given the same step answered by two twins: their own ids, new ids, times and codes
    def answer(member: str, new: str, code: str, at: str) -> dict[str, Any]:
        return {
            "data": {
                "redeem": {
                    "member": {"id": member},
                    "redemption": {"id": new, "code": code, "createdAt": at},
                    "again": {"id": new},
                    "errors": [{"code": "NOT_FOUND", "field": None, "message": "x"}],
                }
            },
            "errors": [{"message": "No.", "extensions": {"code": "FORBIDDEN", "field": []}}],
        }

    mine = normalise(
        answer("TWVtYmVyOjE", "UmVkZW1wdGlvbjox", "ABC", "2026-01-01T00:00:00+00:00"),
        {"TWVtYmVyOjE": "<alice>"},
    )
    theirs = normalise(
        answer("TWVtYmVyOjI", "UmVkZW1wdGlvbjoy", "XYZ", "2026-01-01T00:00:01+00:00"),
        {"TWVtYmVyOjI": "<alice>"},
    )

    # When they are compared
    found = differences(Answer(200, mine), Answer(200, theirs))

    # Then they are the same, a new id is the same stand-in wherever it appears, and the
    # codes of a user error and of an error are kept as they are
    assert found == []
    redeemed = mine["data"]["redeem"]
    assert redeemed["again"]["id"] == redeemed["redemption"]["id"] == "<Redemption #1>"
    assert redeemed["errors"][0]["code"] == "NOT_FOUND"
    assert mine["errors"][0]["extensions"]["code"] == "FORBIDDEN"


def test_twins_differing_in_a_value_that_matters_are_reported():
    # Given twins whose answers differ in points
    mine = normalise({"data": {"points": {"available": 100}}}, {})
    theirs = normalise({"data": {"points": {"available": 90}}}, {})

    # When they are compared
    # Then the difference is reported
    assert differences(Answer(200, mine), Answer(200, theirs))


def test_twins_differing_in_a_segment_key_are_reported_and_in_an_api_key_are_not():
    # Given twins that named different segments, and that made API keys of their own
    def answer(segment: str, secret: str) -> dict:
        return {
            "data": {
                "segment": {"key": segment, "name": "Savers"},
                "createApiKey": {"key": secret, "apiKey": {"kind": "SECRET"}},
            }
        }

    # When their answers are normalised and compared
    mine = normalise(answer("savers", "sk_one"), {})
    theirs = normalise(answer("vip", "sk_two"), {})
    found = differences(Answer(200, mine), Answer(200, theirs))

    # Then they differ, by the segment's key kept as it is, not by the secrets
    assert found != []
    assert (mine["data"]["segment"]["key"], theirs["data"]["segment"]["key"]) == ("savers", "vip")
    assert mine["data"]["createApiKey"] == theirs["data"]["createApiKey"]
