"""NPS and CSAT surveys end to end: definitions by staff, answers from the app (member
token) or the store (secret key), follow-ups by score group, points once per period through
the action limits (also under concurrent answers), idempotent retries, and the scores of a
period computed by hand."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from tests.support.earning import enroll, fetch, points_of
from tests.support.gql import GraphQLClient, TenantKit
from tests.support.ledger_checks import assert_ledger_matches_balances
from tests.support.rewards import member_token

CREATE_SURVEY = """
mutation CreateSurvey($input: CreateSurveyInput!) {
  createSurvey(input: $input) {
    survey {
      id kind question thankYou active archived points pointsPeriod
      followUps { group question }
    }
    errors { code field message }
  }
}
"""

UPDATE_SURVEY = """
mutation UpdateSurvey($input: UpdateSurveyInput!) {
  updateSurvey(input: $input) {
    survey { id question thankYou active points pointsPeriod followUps { group question } }
    errors { code field message }
  }
}
"""

ARCHIVE_SURVEY = """
mutation ArchiveSurvey($input: ArchiveSurveyInput!) {
  archiveSurvey(input: $input) { survey { id active archived } errors { code field message } }
}
"""

SURVEYS = """
query Surveys($includeArchived: Boolean!) {
  surveys(includeArchived: $includeArchived) { nodes { id question } }
}
"""

SURVEY = """
query Survey($id: ID!) { survey(id: $id) { id question followUp(score: 2) } }
"""

SUBMIT = """
mutation Submit($input: SubmitSurveyResponseInput!) {
  submitSurveyResponse(input: $input) {
    response { id surveyId memberId score group answer pointsAwarded }
    followUpQuestion
    thankYou
    pointsAwarded
    noPointsReason
    points { available }
    replayed
    errors { code field message }
  }
}
"""

RESULTS = """
query Results($id: ID!, $from: DateTime!, $to: DateTime!, $first: Int, $after: String) {
  survey(id: $id) {
    results(from: $from, to: $to) {
      nps { score promoters passives detractors responses }
      csat { score responses }
    }
    responses(first: $first, after: $after) {
      nodes { score answer }
      pageInfo { hasNextPage endCursor }
    }
  }
}
"""

MEMBER_RESPONSES = """
query MemberResponses($id: ID!) {
  member(id: $id) { surveyResponses { nodes { surveyId score pointsAwarded } } }
}
"""

NPS = {
    "kind": "NPS",
    "question": "How likely are you to recommend us to a friend?",
    "followUps": [
        {"group": "PROMOTER", "question": "What do you love most?"},
        {"group": "DETRACTOR", "question": "What should we fix first?"},
    ],
    "thankYou": "Thank you for telling us!",
}


async def create(gql: GraphQLClient, kit: TenantKit, **fields: Any) -> dict:
    data = await gql(CREATE_SURVEY, {"input": {**NPS, **fields}}, token=kit.secret_key)
    payload: dict = data["createSurvey"]
    assert payload["errors"] == [], payload
    survey: dict = payload["survey"]
    return survey


async def submit(gql: GraphQLClient, token: str, survey_id: str, score: int, **fields: Any) -> dict:
    data = await gql(SUBMIT, {"input": {"surveyId": survey_id, "score": score, **fields}},
                     token=token)  # fmt: skip
    payload: dict = data["submitSurveyResponse"]
    return payload


def codes(payload: dict) -> list[str]:
    return [e["code"] for e in payload["errors"]]


async def test_staff_define_change_and_archive_a_survey(gql, tenant):
    # Given an operator creates an NPS survey with follow-ups and 20 points a month
    created = await gql(
        CREATE_SURVEY,
        {"input": {**NPS, "points": 20, "pointsPeriod": "MONTH"}},
        token=tenant.operator_token,
        tenant=tenant.slug,
    )
    survey = created["createSurvey"]["survey"]
    assert created["createSurvey"]["errors"] == []
    assert (survey["kind"], survey["active"], survey["archived"]) == ("NPS", True, False)
    assert (survey["points"], survey["pointsPeriod"]) == (20, "MONTH")
    assert {f["group"] for f in survey["followUps"]} == {"PROMOTER", "DETRACTOR"}

    # When the secret key changes the thank-you only, then clears the period
    changed = await gql(
        UPDATE_SURVEY,
        {"input": {"id": survey["id"], "thankYou": "Thanks!", "clear": ["pointsPeriod"]}},
        token=tenant.secret_key,
    )

    # Then every field left out keeps its value
    after = changed["updateSurvey"]["survey"]
    assert changed["updateSurvey"]["errors"] == []
    assert (after["thankYou"], after["question"], after["points"]) == (
        "Thanks!", NPS["question"], 20)  # fmt: skip
    assert after["pointsPeriod"] is None
    assert after["followUps"] == survey["followUps"]

    # And when it is archived, it leaves the list, stays for staff who ask, and is gone for
    # a member's app
    archived = await gql(ARCHIVE_SURVEY, {"input": {"id": survey["id"]}}, token=tenant.secret_key)
    assert archived["archiveSurvey"]["survey"]["archived"] is True
    listed = await gql(SURVEYS, {"includeArchived": False}, token=tenant.secret_key)
    kept = await gql(SURVEYS, {"includeArchived": True}, token=tenant.secret_key)
    assert listed["surveys"]["nodes"] == []
    assert [s["id"] for s in kept["surveys"]["nodes"]] == [survey["id"]]
    token = await member_token(gql, tenant, await enroll(gql, tenant))
    assert (await gql(SURVEY, {"id": survey["id"]}, token=token))["survey"] is None


async def test_a_follow_up_of_another_scale_is_refused(gql, tenant):
    # When a CSAT survey is created with a follow-up for NPS promoters
    data = await gql(
        CREATE_SURVEY,
        {"input": {"kind": "CSAT", "question": "How was delivery?",
                   "followUps": [{"group": "PROMOTER", "question": "Why?"}]}},
        token=tenant.secret_key,
    )  # fmt: skip

    # Then it is refused on followUps
    assert codes(data["createSurvey"]) == ["INVALID"]
    assert data["createSurvey"]["errors"][0]["field"] == ["input", "followUps"]


async def test_the_app_answers_for_its_member_and_gets_the_follow_up_of_the_score_group(
    gql, tenant
):
    # Given an NPS survey paying 15 points, and a member's app
    survey = await create(gql, tenant, points=15)
    member_id = await enroll(gql, tenant)
    token = await member_token(gql, tenant, member_id)
    assert (await gql(SURVEY, {"id": survey["id"]}, token=token))["survey"]["followUp"] == (
        "What should we fix first?"
    )

    # When the member answers 3 with a comment, naming no member
    answered = await submit(gql, token, survey["id"], 3, answer=" Slow delivery. ")

    # Then the answer is the member's, a detractor's, and it gets the detractors' follow-up,
    # the thank-you and the points
    assert answered["errors"] == []
    response = answered["response"]
    assert (response["memberId"], response["score"], response["group"]) == (
        member_id, 3, "DETRACTOR")  # fmt: skip
    assert response["answer"] == "Slow delivery."
    assert answered["followUpQuestion"] == "What should we fix first?"
    assert answered["thankYou"] == "Thank you for telling us!"
    assert (answered["pointsAwarded"], answered["noPointsReason"]) == (15, None)
    assert answered["points"] == {"available": 15}


async def test_the_store_answers_on_the_members_behalf_and_a_passive_gets_no_follow_up(gql, tenant):
    # Given an NPS survey with no follow-up for passives, and a member known by externalId
    survey = await create(gql, tenant)
    member_id = await enroll(gql, tenant, externalId="shopper-42")

    # When the store answers 8 for the member after an order
    answered = await submit(gql, tenant.secret_key, survey["id"], 8, externalId="shopper-42")

    # Then it is recorded for that member, a passive, with no follow-up and no points
    assert answered["errors"] == []
    assert (answered["response"]["memberId"], answered["response"]["group"]) == (
        member_id, "PASSIVE")  # fmt: skip
    assert answered["followUpQuestion"] is None
    assert (answered["pointsAwarded"], answered["noPointsReason"]) == (0, None)


async def test_a_publishable_key_and_another_members_token_may_not_answer(gql, services, tenant):
    # Given a survey, two members, and the first one's app
    survey = await create(gql, tenant)
    mine, theirs = await enroll(gql, tenant), await enroll(gql, tenant)
    token = await member_token(gql, tenant, mine)

    # When the storefront's browser answers, and the app answers for the other member
    variables = {"input": {"surveyId": survey["id"], "score": 10, "memberId": theirs}}
    public = await gql.errors(SUBMIT, variables, token=tenant.publishable_key)
    other = await submit(gql, token, survey["id"], 10, memberId=theirs)

    # Then the key is forbidden, the token refused, and nothing is recorded
    assert {e["extensions"]["code"] for e in public} == {"FORBIDDEN"}
    assert codes(other) == ["INVALID"]
    assert other["response"] is None
    rows = await fetch(services, tenant, "SELECT count(*)::int AS n FROM survey_responses")
    assert rows == [{"n": 0}]


async def test_an_answer_off_the_scale_or_to_a_closed_survey_is_refused(gql, tenant):
    # Given a CSAT survey and a paused NPS survey
    csat = await create(gql, tenant, kind="CSAT", question="Happy with us?", followUps=[])
    paused = await create(gql, tenant, active=False)
    member_id = await enroll(gql, tenant)

    # When a 0 is given on the 1-5 scale, and an answer to the paused survey
    off = await submit(gql, tenant.secret_key, csat["id"], 0, memberId=member_id)
    closed = await submit(gql, tenant.secret_key, paused["id"], 9, memberId=member_id)

    # Then both are refused
    assert (codes(off), off["errors"][0]["field"]) == (["INVALID"], ["input", "score"])
    assert codes(closed) == ["SURVEY_CLOSED"]


async def test_points_are_paid_once_per_period_and_a_repeat_answer_is_kept_without(clocked, tenant):
    # Given an NPS survey paying 20 points once a month, and the clock on 2 March
    gql, services = clocked.gql, clocked.services
    kit = tenant
    survey = await create(gql, kit, points=20, pointsPeriod="MONTH")
    member_id = await enroll(gql, kit)

    # When the member answers twice this month
    first = await submit(gql, kit.secret_key, survey["id"], 9, memberId=member_id)
    again = await submit(gql, kit.secret_key, survey["id"], 10, memberId=member_id)

    # Then the first earns, the second is recorded and says why it earned nothing
    assert (first["pointsAwarded"], again["pointsAwarded"]) == (20, 0)
    assert first["noPointsReason"] is None
    assert "already" in again["noPointsReason"] and "month" in again["noPointsReason"]
    assert again["response"]["pointsAwarded"] == 0

    # And in April an answer earns again
    clocked.clock.advance(timedelta(days=31))
    april = await submit(gql, kit.secret_key, survey["id"], 7, memberId=member_id)
    assert april["pointsAwarded"] == 20
    assert (await points_of(gql, kit, member_id))["available"] == 40
    listed = await gql(MEMBER_RESPONSES, {"id": member_id}, token=kit.secret_key)
    nodes = listed["member"]["surveyResponses"]["nodes"]
    assert [(n["score"], n["pointsAwarded"]) for n in nodes] == [(7, 20), (10, 0), (9, 20)]
    await assert_ledger_matches_balances(services, kit)


async def test_a_retry_with_its_key_records_one_answer_and_other_input_is_refused(
    gql, services, tenant
):
    # Given a survey paying 10 points once, and an answer sent with a key
    survey = await create(gql, tenant, points=10)
    member_id = await enroll(gql, tenant)
    sent = {"memberId": member_id, "answer": "Great", "idempotencyKey": "answer-1"}
    first = await submit(gql, tenant.secret_key, survey["id"], 9, **sent)

    # When the same answer is retried with the key, and another score is sent with it
    retry = await submit(gql, tenant.secret_key, survey["id"], 9, **sent)
    reused = await submit(gql, tenant.secret_key, survey["id"], 2, **sent)

    # Then the retry answers the first answer, the reuse is refused, and one answer earned
    assert retry["replayed"] is True and first["replayed"] is False
    assert retry["response"] == first["response"]
    assert retry["pointsAwarded"] == first["pointsAwarded"] == 10
    assert codes(reused) == ["IDEMPOTENCY_KEY_REUSED"]
    rows = await fetch(services, tenant, "SELECT count(*)::int AS n FROM survey_responses")
    assert rows == [{"n": 1}]
    assert (await points_of(gql, tenant, member_id))["available"] == 10


async def test_many_concurrent_answers_by_one_member_earn_the_points_exactly_once(clocked, tenant):
    # Given a survey paying 25 points once a day, and one member
    gql, services = clocked.gql, clocked.services
    kit = tenant
    survey = await create(gql, kit, points=25, pointsPeriod="DAY")
    member_id = await enroll(gql, kit)

    # When 16 answers by that member arrive at the same moment
    answers = await asyncio.gather(
        *(submit(gql, kit.secret_key, survey["id"], 10, memberId=member_id) for _ in range(16))
    )

    # Then all are recorded, exactly one earned, and the ledger holds 25 points
    assert all(a["errors"] == [] for a in answers)
    assert sorted(a["pointsAwarded"] for a in answers) == [0] * 15 + [25]
    assert (await points_of(gql, kit, member_id))["available"] == 25
    rows = await fetch(services, kit, "SELECT count(*)::int AS n FROM survey_responses")
    events = await fetch(services, kit, "SELECT count(*)::int AS n FROM action_events")
    assert (rows, events) == ([{"n": 16}], [{"n": 1}])
    await assert_ledger_matches_balances(services, kit)


async def test_results_of_a_period_match_the_hand_computed_scores(clocked, tenant):
    # Given an NPS and a CSAT survey; on 2 March, NPS answers 10, 9, 8, 6, 0 and CSAT 5, 4, 2
    gql = clocked.gql
    kit = tenant
    nps = await create(gql, kit)
    csat = await create(gql, kit, kind="CSAT", question="Happy with us?", followUps=[])
    members = [await enroll(gql, kit) for _ in range(5)]
    for member_id, score in zip(members, [10, 9, 8, 6, 0], strict=True):
        assert (await submit(gql, kit.secret_key, nps["id"], score, memberId=member_id))[
            "errors"] == []  # fmt: skip
    for member_id, score in zip(members, [5, 4, 2], strict=False):
        await submit(gql, kit.secret_key, csat["id"], score, memberId=member_id)
    # and a day later one more NPS promoter, outside the period asked below
    clocked.clock.advance(timedelta(days=1))
    await submit(gql, kit.secret_key, nps["id"], 10, memberId=members[0])

    # When the results of 2 March are read, with the first two answers
    period = {"from": "2026-03-02T00:00:00Z", "to": "2026-03-03T00:00:00Z", "first": 2}
    found = await gql(RESULTS, {"id": nps["id"], **period}, token=kit.secret_key)
    rated = await gql(RESULTS, {"id": csat["id"], **period}, token=kit.secret_key)

    # Then NPS = 2/5 promoters - 2/5 detractors = 0, and CSAT = 2 of 3 satisfied = 66.67
    results = found["survey"]["results"]
    assert results["csat"] is None
    assert results["nps"] == {"score": "0.00", "promoters": "2", "passives": "1",
                              "detractors": "2", "responses": "5"}  # fmt: skip
    assert rated["survey"]["results"] == {"nps": None,
                                          "csat": {"score": "66.67", "responses": "3"}}  # fmt: skip
    # And answers are listed newest first, page by page
    page = found["survey"]["responses"]
    assert [n["score"] for n in page["nodes"]] == [10, 0]
    assert page["pageInfo"]["hasNextPage"] is True
    rest = await gql(
        RESULTS, {"id": nps["id"], **period, "first": 10, "after": page["pageInfo"]["endCursor"]},
        token=kit.secret_key,
    )  # fmt: skip
    assert [n["score"] for n in rest["survey"]["responses"]["nodes"]] == [6, 8, 9, 10]


OPEN_SURVEYS = """
query OpenSurveys { surveys { nodes { id question } } }
"""

RESPONSES = """
query Responses($id: ID!) { survey(id: $id) { responses { nodes { score answer } } } }
"""


async def test_the_storefront_lists_open_surveys_and_only_staff_read_the_answers(gql, tenant):
    # Given an open survey with one answer, and a paused survey
    survey = await create(gql, tenant)
    await create(gql, tenant, question="Paused", active=False)
    member_id = await enroll(gql, tenant)
    await submit(gql, tenant.secret_key, survey["id"], 2, memberId=member_id, answer="Too slow")
    token = await member_token(gql, tenant, member_id)

    # When the storefront's browser lists the surveys, and the app and the store read answers
    listed = await gql(OPEN_SURVEYS, token=tenant.publishable_key)
    refused = await gql.errors(RESPONSES, {"id": survey["id"]}, token=token)
    read = await gql(RESPONSES, {"id": survey["id"]}, token=tenant.secret_key)

    # Then the browser sees the open survey only, the app may not read answers, the store may
    assert [s["id"] for s in listed["surveys"]["nodes"]] == [survey["id"]]
    assert {e["extensions"]["code"] for e in refused} == {"FORBIDDEN"}
    assert read["survey"]["responses"]["nodes"] == [{"score": 2, "answer": "Too slow"}]
