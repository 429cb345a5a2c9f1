"""The survey documents in graphql/operations/ (agency, mobile, storefront) work end to end."""

from __future__ import annotations

from pathlib import Path

from tests.support.earning import enroll
from tests.support.rewards import member_token

OPERATIONS = Path(__file__).resolve().parents[2] / "graphql" / "operations"


def document(path: str) -> str:
    return (OPERATIONS / path).read_text()


async def test_a_survey_runs_from_staff_to_app_to_store_to_results_on_its_documents(gql, tenant):
    # Given staff create an NPS survey paying 10 points, with a follow-up for detractors
    created = await gql(
        document("agency/CreateSurvey.graphql"),
        {"input": {"kind": "NPS", "question": "Would you recommend us?", "points": 10,
                   "followUps": [{"group": "DETRACTOR", "question": "What went wrong?"}],
                   "thankYou": "Thanks!"}},
        token=tenant.operator_token,
        tenant=tenant.slug,
    )  # fmt: skip
    survey_id = created["createSurvey"]["survey"]["id"]
    app_member = await enroll(gql, tenant)
    await enroll(gql, tenant, externalId="shopper-7")
    token = await member_token(gql, tenant, app_member)

    # When the app lists it and answers 4, and the store answers 10 for another member
    listed = await gql(document("mobile/OpenSurveys.graphql"), {"score": 4}, token=token)
    in_app = await gql(
        document("mobile/SubmitSurveyResponse.graphql"),
        {"surveyId": survey_id, "score": 4, "answer": "Late", "idempotencyKey": "tap-1"},
        token=token,
    )
    by_store = await gql(
        document("storefront/SubmitSurveyResponse.graphql"),
        {"surveyId": survey_id, "externalId": "shopper-7", "score": 10,
         "idempotencyKey": "order-7"},
        token=tenant.secret_key,
    )  # fmt: skip
    results = await gql(
        document("agency/SurveyResults.graphql"),
        {"id": survey_id, "from": "2000-01-01T00:00:00Z", "to": "2100-01-01T00:00:00Z"},
        token=tenant.operator_token,
        tenant=tenant.slug,
    )

    # Then the app saw the detractors' follow-up, both answers earned, and the results count
    # one promoter and one detractor: NPS 0
    assert listed["surveys"]["nodes"][0]["followUp"] == "What went wrong?"
    answered = in_app["submitSurveyResponse"]
    assert (answered["followUpQuestion"], answered["thankYou"]) == ("What went wrong?", "Thanks!")
    assert (answered["pointsAwarded"], answered["points"]) == (
        10,
        {"__typename": "Points", "available": 10},
    )
    assert by_store["submitSurveyResponse"]["pointsAwarded"] == 10
    survey = results["survey"]
    assert survey["results"] == {
        "__typename": "SurveyResults",
        "nps": {"__typename": "NpsSummary", "score": "0.00", "promoters": "1", "passives": "0",
                "detractors": "1", "responses": "2"},
        "csat": None,
    }  # fmt: skip
    assert [n["score"] for n in survey["responses"]["nodes"]] == [10, 4]
