"""Seeding steps of the seeded world (tests/differential/world.py) for the engagement
features: a custom segment, a win-back campaign, surveys and their answers, and the
analytics settings. Each goes through the API as a client would, and asserts it was
accepted."""

from __future__ import annotations

from typing import Any

from tests.support.gql import GraphQLClient, TenantKit

CREATE_SEGMENT = """
mutation CreateSegment($input: CreateSegmentInput!) {
  createSegment(input: $input) { segment { key } errors { code field message } }
}
"""
GRANT_TO_SEGMENT = """
mutation Grant($input: GrantToSegmentInput!) {
  grantToSegment(input: $input) { campaign { status } errors { code field message } }
}
"""
CREATE_SURVEY = """
mutation CreateSurvey($input: CreateSurveyInput!) {
  createSurvey(input: $input) { survey { id } errors { code field message } }
}
"""
CONFIGURE_ANALYTICS = """
mutation ConfigureAnalytics($input: ConfigureAnalyticsInput!) {
  configureAnalytics(input: $input) { settings { grossMargin } errors { code field message } }
}
"""
SUBMIT_SURVEY_RESPONSE = """
mutation Answer($input: SubmitSurveyResponseInput!) {
  submitSurveyResponse(input: $input) { response { id } errors { code field message } }
}
"""


async def create_segment(
    gql: GraphQLClient, kit: TenantKit, key: str, name: str, rule: dict[str, Any]
) -> None:
    made = await gql(
        CREATE_SEGMENT,
        {"input": {"key": key, "name": name, "rule": rule}},
        token=kit.operator_token,
        tenant=kit.slug,
    )
    assert made["createSegment"]["errors"] == [], made


async def grant_to_segment(gql: GraphQLClient, kit: TenantKit, **fields: Any) -> None:
    granted = await gql(GRANT_TO_SEGMENT, {"input": fields}, token=kit.secret_key)
    assert granted["grantToSegment"]["errors"] == [], granted
    # A campaign of a few members finishes within the request.
    assert granted["grantToSegment"]["campaign"]["status"] == "DONE", granted


async def create_survey(gql: GraphQLClient, kit: TenantKit, **fields: Any) -> str:
    made = await gql(CREATE_SURVEY, {"input": fields}, token=kit.operator_token, tenant=kit.slug)
    assert made["createSurvey"]["errors"] == [], made
    survey_id: str = made["createSurvey"]["survey"]["id"]
    return survey_id


async def answer_survey(gql: GraphQLClient, token: str, **fields: Any) -> None:
    """An answer sent with `token`: a member's own, or a secret key naming the member."""
    answered = await gql(SUBMIT_SURVEY_RESPONSE, {"input": fields}, token=token)
    assert answered["submitSurveyResponse"]["errors"] == [], answered


async def configure_analytics(gql: GraphQLClient, kit: TenantKit, **fields: Any) -> None:
    done = await gql(
        CONFIGURE_ANALYTICS, {"input": fields}, token=kit.operator_token, tenant=kit.slug
    )
    assert done["configureAnalytics"]["errors"] == [], done
