"""A request leaves no reference cycle behind: what it allocated is freed as it ends, not
kept for the garbage collector's full collections, which stop every request in flight while
they walk it and free it (docs/performance.md, "The spread reads' tail")."""

from __future__ import annotations

import gc
import types
import uuid

from tests.support.earning import ADJUST

STATUS_BY_EXTERNAL_ID = """
query Status($externalId: String!) { member(externalId: $externalId) { points { available } } }
"""
STATUS_BY_ID = "query Status($id: ID!) { member(id: $id) { points { available pending } } }"
STATUS_THROUGH_FRAGMENT = """
query Status($id: ID!) { member(id: $id) { ...Points } }
fragment Points on Member { points { available } }
"""
MEMBERS_WITH_POINTS = """
query Page { members(first: 5) { nodes { id points { available } tier { current { name } } } } }
"""
HISTORY = """
query History($id: ID!) { member(id: $id) { history(first: 5) { nodes { points } } } }
"""
# The packages whose objects a request makes: none of them may be left in a cycle.
APP_PACKAGES = {
    "api",
    "domain",
    "engine",
    "persistence",
    "tenants",
    "starlette",
    "strawberry",
    "graphql",
}


def _made_by_the_app(o: object) -> bool:
    module = o.__module__ if isinstance(o, types.FunctionType) else type(o).__module__
    return (module or "").split(".")[0] in APP_PACKAGES


async def test_status_reads_pages_and_adjustments_leave_no_reference_cycles(gql, tenant, enroll):
    # given a member with points, and each request sent once already (caches warm)
    external_id = uuid.uuid4().hex
    member_id = await enroll(tenant, external_id=external_id, points=10)
    requests = [
        (STATUS_BY_EXTERNAL_ID, {"externalId": external_id}),
        (STATUS_BY_ID, {"id": member_id}),
        (STATUS_THROUGH_FRAGMENT, {"id": member_id}),
        (HISTORY, {"id": member_id}),
        (MEMBERS_WITH_POINTS, None),
        (ADJUST, {"input": {"memberId": member_id, "points": 1}}),
    ]
    for query, variables in requests:
        await gql(query, variables, token=tenant.secret_key)

    # when they are sent again, the collector keeping whatever it finds in a cycle
    gc.collect()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        for query, variables in requests:
            await gql(query, variables, token=tenant.secret_key)
        gc.collect()
        left = sorted({type(o).__qualname__ for o in gc.garbage if _made_by_the_app(o)})
    finally:
        gc.set_debug(0)
        gc.garbage.clear()

    # then nothing the app made was left in one
    assert left == []
