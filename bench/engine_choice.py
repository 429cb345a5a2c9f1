"""The `--engine` option of the benchmarks that send GraphQL: the engine on ("fast") or off
("stock", strawberry and graphql-core as they come), as `LOYALTY_ENGINE` picks it for the
app (engine/README.md). Without the option, `LOYALTY_ENGINE` decides, else the engine is on.
"""

from __future__ import annotations

import argparse
import os

ENGINES = ("fast", "stock")  # the values of api.settings.Settings.engine


def add_engine_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--engine",
        choices=ENGINES,
        default=os.environ.get("LOYALTY_ENGINE", "fast"),
        help="execute GraphQL with the engine (fast) or without it (stock); "
        "default: LOYALTY_ENGINE, else fast",
    )
