"""What writing a change's webhook event costs the change: a points adjustment's transaction
with and without its outbox event.

    .venv/bin/python -m bench.outbox_cost [--runs 5] [--n 300]

A scratch database and one tenant with one member. The locked transaction of an adjustment
(+1: the balance lock, one entry, the balance saved) is timed from BEGIN to COMMIT three
ways, interleaved: without an event (the floor: the same transaction before webhooks), with
its points.changed event and no endpoint, and with the event and one endpoint subscribed
(the event's delivery row is written too). Prints the minimum over runs of each run's median
and its ratio to the floor. Target: with an endpoint, at most 1.5x the floor.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from uuid import UUID, uuid4

from api.services import Services
from bench.servers import scratch_tenant
from domain.enrolment import enroll
from domain.ledger import DEFAULT_WALLET, EntryKind
from domain.members import draft
from domain.wallet import LockedWallet
from persistence.uow import PgUnitOfWorkFactory

TARGET = 1.5
WAYS = ("no event (floor)", "event, no endpoint", "event + 1 endpoint")


async def _adjust(services: Services, uow: PgUnitOfWorkFactory, member: UUID, event: bool) -> float:
    now = services.clock.now()
    t0 = time.perf_counter()
    async with uow() as unit:
        events = unit.events if event else None
        wallet = await LockedWallet.open(unit.ledger, member, DEFAULT_WALLET, now, events)
        await wallet.credit(1, kind=EntryKind.ADJUST, available_at=now, expires_at=None)
        await wallet.save()
    return (time.perf_counter() - t0) * 1000


async def _endpoint(uow: PgUnitOfWorkFactory, services: Services, on: bool) -> None:
    async with uow() as unit:
        if on:
            await unit.webhooks.add_endpoint(
                uuid4(), "https://hooks.example/in", None, ["points.changed"], "whsec_x",
                services.clock.now(),
            )  # fmt: skip
        else:
            for endpoint in await unit.webhooks.endpoints():
                await unit.webhooks.delete_endpoint(endpoint.id)


async def measure(
    services: Services, uow: PgUnitOfWorkFactory, member: UUID, runs: int, n: int
) -> dict[str, float]:
    best: dict[str, float] = {}
    for _ in range(runs):
        timings: dict[str, list[float]] = {way: [] for way in WAYS}
        for way in WAYS:  # warm-up: prepared statements
            await _endpoint(uow, services, way == WAYS[2])
            for _ in range(20):
                await _adjust(services, uow, member, way != WAYS[0])
        for _ in range(n // 20):
            for way in WAYS:
                await _endpoint(uow, services, way == WAYS[2])
                for _ in range(20):
                    timings[way].append(await _adjust(services, uow, member, way != WAYS[0]))
        for way, values in timings.items():
            median = statistics.median(values)
            best[way] = min(best.get(way, median), median)
    return best


async def run(args: argparse.Namespace) -> int:
    async with scratch_tenant("loyalty_bench_outbox", "outbox-cost") as (services, tenant):
        uow = PgUnitOfWorkFactory(services.pool, tenant.schema_name)
        today = services.clock.now().date()
        member = await enroll(
            uow,
            services.clock,
            draft(external_id="m", email=None, name=None, birthday=None, today=today),
        )
        best = await measure(services, uow, member.id, args.runs, args.n)
    floor = best[WAYS[0]]
    print("\nadjust +1, locked transaction BEGIN to COMMIT: min over runs of the median (ms)")
    for way in WAYS:
        print(f"{way:<22}{best[way]:>8.3f}  ({best[way] / floor:>4.2f}x)")
    ok = best[WAYS[2]] / floor <= TARGET
    print(f"\ntarget: with an endpoint <= {TARGET}x the floor: {'PASS' if ok else 'BELOW'}")
    return 0 if ok else 1


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="bench.outbox_cost", description=__doc__.split("\n\n")[0])
    p.add_argument("--runs", type=int, default=5, help="runs; the minimum of their medians")
    p.add_argument("--n", type=int, default=300, help="timed transactions per way per run")
    args = p.parse_args(argv)
    return asyncio.run(run(args))


if __name__ == "__main__":
    sys.exit(main())
