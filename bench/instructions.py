"""`python -m bench.instructions`: instructions per request, counted by valgrind.

Time on this kind of machine moves with its neighbours: the same build measured twice by
bench.cpu can differ by a fifth. The number of instructions the process executes per
request does not. For each scenario this runs bench.cpu under callgrind twice, with
`--small` and `--large` measured requests (the same warm-up and seeding in both), and
divides the difference of the two counts by the difference of requests: what one request
costs the server process, to within a fraction of a percent from run to run. Each
scenario is printed with its floor's count and the floor's share of the scenario's count
(an instruction ratio: not the throughput ratio bench/run measures, since instructions are
not all equally slow, and Postgres and Redis are not counted).

The two runs of a scenario go side by side (a minute or two each under valgrind).

    .venv/bin/python -m bench.instructions [--only pages.members_points …] [--members 60]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import sys
import tempfile
from pathlib import Path

from bench.engine_choice import add_engine_option
from bench.scenarios import FLOOR_OF

_COLLECTED = re.compile(rb"Collected : (\d+)")
# Under valgrind the app runs some fifty times slower. Its time-based settings are
# stretched to match, so that it does per request what it does at full speed: Redis's
# short timeout would otherwise trip the breaker and send balance reads to PostgreSQL, and
# what a process remembers for a few seconds would be read again every few dozen requests.
_SLOWED_DOWN = {
    "LOYALTY_REDIS_TIMEOUT": "30",
    "LOYALTY_EXTERNAL_ID_CACHE_SECONDS": "3600",
    "LOYALTY_PROGRAM_CACHE_SECONDS": "3600",
}


async def _count(scenario: str, requests: int, members: int, engine: str, out: Path) -> int:
    """Instructions executed by a whole bench.cpu run of one scenario."""
    process = await asyncio.create_subprocess_exec(
        "valgrind",
        "--tool=callgrind",
        f"--callgrind-out-file={out / f'{scenario}.{requests}.callgrind'}",
        sys.executable,
        "-m",
        "bench.cpu",
        "--requests",
        str(requests),
        "--rounds",
        "1",
        "--members",
        str(members),
        "--only",
        scenario,
        "--engine",
        engine,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        env={**os.environ, **_SLOWED_DOWN},
    )
    output, _ = await process.communicate()
    found = _COLLECTED.search(output)
    if process.returncode != 0 or found is None or b"redis unavailable" in output:
        raise RuntimeError(f"{scenario}: bench.cpu under valgrind failed:\n{output.decode()}")
    return int(found.group(1))


async def per_request(scenario: str, small: int, large: int, members: int, engine: str) -> float:
    with tempfile.TemporaryDirectory() as out:
        counts = await asyncio.gather(
            _count(scenario, small, members, engine, Path(out)),
            _count(scenario, large, members, engine, Path(out)),
        )
    return (counts[1] - counts[0]) / (large - small)


async def run(args: argparse.Namespace) -> int:
    wanted = list(args.only or ["pages.members_points"])
    for name in list(wanted):
        floor = FLOOR_OF.get(name)
        if floor is not None and floor not in wanted:
            wanted.append(floor)
    counts: dict[str, float] = {}
    print(f"engine {args.engine}", flush=True)
    print(f"{'scenario':<22} {'instructions/req':>17} {'floor share':>12}", flush=True)
    for name in wanted:
        counts[name] = await per_request(name, args.small, args.large, args.members, args.engine)
        print(f"{name:<22} {counts[name]:>17,.0f}", flush=True)
    for name, floor in FLOOR_OF.items():
        if name in counts and floor in counts:
            print(f"{name:<22} {'':>17} {counts[floor] / counts[name]:>12.2f}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", nargs="*", default=[])
    parser.add_argument("--members", type=int, default=60)
    # bench.cpu warms up with min(200, requests): both counts must include the same warm-up
    parser.add_argument("--small", type=int, default=200)
    parser.add_argument("--large", type=int, default=500)
    add_engine_option(parser)
    args = parser.parse_args(argv)
    if shutil.which("valgrind") is None:
        print("valgrind is not installed", file=sys.stderr)
        return 2
    if args.small < 200 or args.large <= args.small:
        parser.error("--small must be at least 200 (the warm-up) and --large above it")
    return asyncio.run(run(args))


if __name__ == "__main__":
    sys.exit(main())
