"""Given queries generated from graphql/schema.graphql and reshaped as clients write them
(tests/differential/shapes.py), when a secret key and a member token send each of them to
the production app, to the same app with the engine off and to the plain reference schema,
then all three answer the same (tests/differential/answers.py).

The examples are drawn first, deterministically (derandomized, no example database), and
then sent: the apps run on the session's event loop, which a synchronous hypothesis test
cannot await. A failure prints the whole request; LOYALTY_DIFFERENTIAL_EXAMPLES draws more,
and LOYALTY_DIFFERENTIAL_RANDOM=1 draws new ones on each run.
"""

from __future__ import annotations

import asyncio
import os

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from tests.differential.reference import Reference
from tests.differential.shapes import Generated, generated_queries
from tests.differential.sides import AppSide, EngineCount, same_everywhere
from tests.differential.world import World

pytestmark = pytest.mark.differential

# Documents per caller: 200 in all, each answered by the three sides. More, or new ones on
# each run, to search rather than to check.
EXAMPLES = int(os.environ.get("LOYALTY_DIFFERENTIAL_EXAMPLES", 100))
RANDOM = os.environ.get("LOYALTY_DIFFERENTIAL_RANDOM", "") == "1"


def drawn(strategy: st.SearchStrategy[Generated], count: int) -> list[Generated]:
    """`count` examples of `strategy`, the same ones on every run (unless RANDOM)."""
    found: list[Generated] = []

    @settings(
        max_examples=count,
        derandomize=not RANDOM,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(strategy)
    def collect(example: Generated) -> None:
        found.append(example)

    collect()
    return found


# The root fields each caller may use; the others are refused, and compared as well in the
# documents of many root fields.
ROOTS = {
    "secret": [
        "member",
        "members",
        "program",
        "order",
        "previewOrder",
        "rewards",
        "reward",
        "validateCode",
        "node",
        "survey",
        "surveys",
        "segment",
        "segments",
        "winBackCampaign",
        "analytics",
    ],
    "member": ["me", "program", "rewards", "reward", "validateCode", "surveys", "survey"],
}


@pytest.mark.parametrize("caller", sorted(ROOTS))
async def test_generated_queries_answer_the_same_with_and_without_the_engine(
    caller: str,
    fast: AppSide,
    stock: AppSide,
    reference: Reference,
    world: World,
    engine_count: EngineCount,
):
    # Given generated queries aimed at the seeded tenant and at what the caller may read
    examples = drawn(generated_queries(world, ROOTS[caller]), EXAMPLES)
    assert len(examples) == EXAMPLES

    async def compare(example: Generated) -> None:
        await same_everywhere(
            (fast, stock, reference), example.query, example.variables, world.credential(caller)
        )

    # When the caller sends each to the three sides, a few queries at a time (they only read)
    # Then each side answers as the production app does
    for start in range(0, len(examples), 4):
        await asyncio.gather(*map(compare, examples[start : start + 4]))

    # And the engine answered most of them itself (the rest, over a limit, it refused by
    # handing them over), some through a plan
    assert engine_count.direct >= EXAMPLES * 3 // 4, engine_count.direct
    assert engine_count.planned >= EXAMPLES // 10, engine_count.planned
