"""Given queries generated from graphql/schema.graphql and reshaped as clients write them
(tests/differential/shapes.py), when a secret key and a member token send each of them to
the production app, to the same app with the engine off and to the plain reference schema,
then all three answer the same (tests/differential/answers.py).

The examples are drawn first, deterministically (derandomized, no example database), and
then sent: the apps run on the session's event loop, which a synchronous hypothesis test
cannot await. A failure prints the whole request; LOYALTY_DIFFERENTIAL_EXAMPLES draws more.
"""

from __future__ import annotations

import asyncio
import os

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from tests.differential.reference import Reference
from tests.differential.shapes import Generated, generated_queries
from tests.differential.sides import AppSide, same_everywhere
from tests.differential.world import World

# Each is sent by both callers: 200 comparisons. Drawing them costs more than sending them
# (hypothesis-graphql walks a large schema), so they are drawn once for both.
EXAMPLES = int(os.environ.get("LOYALTY_DIFFERENTIAL_EXAMPLES", 100))


def drawn(strategy: st.SearchStrategy[Generated], count: int) -> list[Generated]:
    """`count` examples of `strategy`, the same ones on every run."""
    found: list[Generated] = []

    @settings(
        max_examples=count,
        derandomize=True,
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


@pytest.fixture(scope="module")
def examples(world: World) -> list[Generated]:
    found = drawn(generated_queries(world), EXAMPLES)
    assert len(found) == EXAMPLES
    return found


@pytest.mark.parametrize("caller", ["secret", "member"])
async def test_generated_queries_answer_the_same_with_and_without_the_engine(
    caller: str,
    examples: list[Generated],
    fast: AppSide,
    stock: AppSide,
    reference: Reference,
    world: World,
):
    # Given generated queries aimed at the seeded tenant

    async def compare(example: Generated) -> None:
        await same_everywhere(
            (fast, stock, reference), example.query, example.variables, world.credential(caller)
        )

    # When the caller sends each to the three sides, a few queries at a time (they only read)
    # Then each side answers as the production app does
    for start in range(0, len(examples), 4):
        await asyncio.gather(*map(compare, examples[start : start + 4]))
