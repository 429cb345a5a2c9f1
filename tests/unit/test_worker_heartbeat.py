"""When the worker loop last made progress, as /readyz reads it: fine while recent, stale
after too long without progress, stopped once the loop has ended."""

from __future__ import annotations

import asyncio
import time

import pytest

from api.worker_heartbeat import WorkerHeartbeat, stale_after


def test_a_loop_is_stale_only_after_too_long_without_progress(monkeypatch: pytest.MonkeyPatch):
    # given a loop that has just made progress, stale after ten seconds
    now = time.monotonic()
    monkeypatch.setattr(time, "monotonic", lambda: now)
    heartbeat = WorkerHeartbeat(stale_after=10)
    heartbeat.beat()

    # when time passes without progress, then it is fine up to ten seconds, stale after
    monkeypatch.setattr(time, "monotonic", lambda: now + 10)
    assert heartbeat.state() == "ok"
    monkeypatch.setattr(time, "monotonic", lambda: now + 10.1)
    assert heartbeat.state() == "stale"

    # and progress makes it fine again
    heartbeat.beat()
    assert heartbeat.state() == "ok"


async def test_a_loop_that_has_ended_is_stopped():
    # given a loop whose task has ended
    heartbeat = WorkerHeartbeat(stale_after=60)
    heartbeat.task = asyncio.create_task(asyncio.sleep(0))
    await heartbeat.task

    # when its state is read, then it is stopped however recent its last progress
    assert heartbeat.state() == "stopped"


def test_unconfigured_staleness_allows_three_rounds_and_a_minute():
    assert stale_after(15.0, None) == 105.0
    assert stale_after(15.0, 2.0) == 2.0
