"""How hard the fuzzers try. Deterministic by default (derandomized, no example database),
so CI sees the same examples every run; raise LOYALTY_FUZZ_EXAMPLES to search longer."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, Phase, settings

_PHASES = (Phase.explicit, Phase.reuse, Phase.generate, Phase.target)


def fuzz_settings(default_examples: int) -> settings:
    examples = int(os.environ.get("LOYALTY_FUZZ_EXAMPLES", default_examples))
    return settings(
        max_examples=examples,
        derandomize=os.environ.get("LOYALTY_FUZZ_RANDOM", "") != "1",
        database=None,
        deadline=None,
        # Shrinking a failure against a server costs minutes; the failing request is printed
        # whole. LOYALTY_FUZZ_SHRINK=1 shrinks it to a minimal reproducer.
        phases=_PHASES if os.environ.get("LOYALTY_FUZZ_SHRINK", "") != "1" else tuple(Phase),
        # The `world` fixture is function-scoped only to replace a tenant a hung test
        # poisoned; between examples it is the same tenant, as intended.
        suppress_health_check=[
            HealthCheck.function_scoped_fixture,
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.large_base_example,
            HealthCheck.filter_too_much,
        ],
    )
