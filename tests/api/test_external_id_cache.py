"""Given processes (replicas) that remember which member an externalId names, when the
externalId changes or the member is erased, then the process that made the change answers
for the old externalId no more at once, and every other listening process as soon as the
announcement arrives, long before its cache time. `member(externalId:)` asked only for what
the member's id answers reads no member row once the name is remembered."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest

from api.settings import Settings
from tests.support.gql import GraphQLClient, TenantKit
from tests.support.processes import second_process, while_table_is_locked

MEMBER_POINTS = """
query MemberPoints($externalId: String!) {
  member(externalId: $externalId) { id points { available } }
}
"""
MEMBER_NAME = """
query MemberName($externalId: String!) { member(externalId: $externalId) { id externalId } }
"""
UPDATE = """
mutation Update($input: UpdateMemberInput!) {
  updateMember(input: $input) { member { id externalId } errors { code field message } }
}
"""
ERASE = """
mutation Erase($input: EraseMemberInput!) {
  eraseMember(input: $input) { member { id status } errors { code field message } }
}
"""
RECORD_ACTION_BY_EXTERNAL_ID = """
mutation RecordAction($input: RecordActionInput!) {
  recordAction(input: $input) { points { available } errors { code field message } }
}
"""


@pytest.fixture
async def other(settings: Settings) -> AsyncIterator[GraphQLClient]:
    """A second process on the same database that trusts what it remembers for a minute:
    only an announcement can make it forget within a test."""
    async with second_process(settings, external_id_cache_seconds=60) as client:
        yield client


async def _member_of(gql: GraphQLClient, kit: TenantKit, external_id: str) -> Any:
    data = await gql(MEMBER_POINTS, {"externalId": external_id}, token=kit.secret_key)
    return data["member"]


async def _soon(gql: GraphQLClient, kit: TenantKit, external_id: str, wait: float) -> Any:
    """Asks until the answer is no member or `wait` seconds pass (the announcement crosses
    the database server: it is not there the instant the change commits)."""
    deadline = asyncio.get_running_loop().time() + wait
    while True:
        found = await _member_of(gql, kit, external_id)
        if found is None or asyncio.get_running_loop().time() > deadline:
            return found
        await asyncio.sleep(0.02)


async def test_a_remembered_external_id_answers_points_without_the_member_row(
    gql, tenant, enroll, services
):
    # given a member, once looked up by externalId
    external_id = "seen-" + uuid.uuid4().hex
    member_id = await enroll(tenant, external_id=external_id, points=7)
    assert await _member_of(gql, tenant, external_id) == {
        "id": member_id,
        "points": {"available": 7},
    }

    # when its points are asked by externalId again while the members table is locked
    data, waited = await while_table_is_locked(
        services,
        tenant,
        "members",
        lambda: gql(MEMBER_POINTS, {"externalId": external_id}, token=tenant.secret_key),
    )

    # then the answer comes without waiting for the table
    assert not waited
    assert data == {"member": {"id": member_id, "points": {"available": 7}}}


async def test_the_renaming_process_answers_for_the_old_external_id_no_more_at_once(
    gql, tenant, enroll
):
    # given a member looked up (and so remembered) by its externalId
    old = "old-" + uuid.uuid4().hex
    new = "new-" + uuid.uuid4().hex
    member_id = await enroll(tenant, external_id=old, points=2)
    assert (await _member_of(gql, tenant, old))["id"] == member_id

    # when the same process changes the externalId
    data = await gql(
        UPDATE, {"input": {"id": member_id, "externalId": new}}, token=tenant.secret_key
    )
    assert data["updateMember"]["errors"] == []

    # then its next answers know the new name only
    assert await _member_of(gql, tenant, old) is None
    assert (await _member_of(gql, tenant, new))["id"] == member_id


async def test_another_process_forgets_a_changed_external_id_when_the_change_is_announced(
    gql, other, tenant, enroll
):
    # given a member that another process has looked up by externalId
    old = "old-" + uuid.uuid4().hex
    new = "new-" + uuid.uuid4().hex
    member_id = await enroll(tenant, external_id=old, points=4)
    assert (await _member_of(other, tenant, old))["id"] == member_id

    # when this process changes the externalId, and another member takes the old one
    data = await gql(
        UPDATE, {"input": {"id": member_id, "externalId": new}}, token=tenant.secret_key
    )
    assert data["updateMember"]["errors"] == []

    # then the other process answers no member for the old name as soon as the announcement
    # arrives (it would remember it for a minute otherwise), and the new name's member
    assert await _soon(other, tenant, old, wait=10) is None
    assert (await _member_of(other, tenant, new))["id"] == member_id
    successor = await enroll(tenant, external_id=old, points=1)
    assert (await _member_of(other, tenant, old))["id"] == successor


async def test_another_process_forgets_an_erased_members_external_id(gql, other, tenant, enroll):
    # given a member that another process has looked up by externalId
    external_id = "gone-" + uuid.uuid4().hex
    member_id = await enroll(tenant, external_id=external_id, points=4)
    assert (await _member_of(other, tenant, external_id))["id"] == member_id

    # when this process erases the member
    data = await gql(ERASE, {"input": {"id": member_id}}, token=tenant.secret_key)
    assert data["eraseMember"]["errors"] == []

    # then neither process answers with the member for its old externalId
    assert await _member_of(gql, tenant, external_id) is None
    assert await _soon(other, tenant, external_id, wait=10) is None


async def test_a_mutation_naming_a_renamed_member_by_its_old_external_id_is_refused(
    gql, tenant, enroll
):
    # given a member whose externalId was remembered by a mutation, then changed
    old = "old-" + uuid.uuid4().hex
    member_id = await enroll(tenant, external_id=old, points=1)
    assert (await _member_of(gql, tenant, old))["id"] == member_id
    data = await gql(
        UPDATE, {"input": {"id": member_id, "externalId": "n-" + old}}, token=tenant.secret_key
    )
    assert data["updateMember"]["errors"] == []

    # when a mutation names the member by the old externalId
    data = await gql(
        RECORD_ACTION_BY_EXTERNAL_ID,
        {"input": {"externalId": old, "action": "anything"}},
        token=tenant.secret_key,
    )

    # then no member is found
    assert data["recordAction"]["errors"] == [
        {"code": "NOT_FOUND", "field": ["input", "memberId"], "message": "No such member."}
    ]


async def test_an_unknown_external_id_is_found_once_it_is_enrolled(gql, other, tenant, enroll):
    # given a process that has looked up an externalId before any member had it
    external_id = "late-" + uuid.uuid4().hex
    assert await _member_of(other, tenant, external_id) is None

    # when a member is enrolled with it (through another process)
    member_id = await enroll(tenant, external_id=external_id)

    # then the process finds it on its next lookup
    assert (await _member_of(other, tenant, external_id))["id"] == member_id
    data = await other(MEMBER_NAME, {"externalId": external_id}, token=tenant.secret_key)
    assert data["member"] == {"id": member_id, "externalId": external_id}
