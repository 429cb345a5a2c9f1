"""The wait between attempts to reach a lost server: doubling, capped, jittered."""

from __future__ import annotations

from persistence.backoff import backoff_delay


def _lowest(low: float, high: float) -> float:
    return low


def _highest(low: float, high: float) -> float:
    return high


def test_the_wait_doubles_from_the_first_up_to_the_cap():
    # given the jitter at its highest
    # when the attempts go on
    waits = [backoff_delay(n, first=0.1, cap=1.0, uniform=_highest) for n in range(8)]

    # then each wait doubles the one before, until the cap holds it
    assert waits == [0.1, 0.2, 0.4, 0.8, 1.0, 1.0, 1.0, 1.0]


def test_the_jitter_keeps_at_least_half_of_the_wait():
    # given the jitter at its lowest
    # when a late attempt waits
    wait = backoff_delay(20, first=0.1, cap=5.0, uniform=_lowest)

    # then it still waits half the cap: a lost server is never knocked on in a tight loop
    assert wait == 2.5


def test_a_very_late_attempt_still_waits_the_cap():
    # given an attempt number far past any overflow of the doubling
    # when it waits (with real jitter)
    wait = backoff_delay(10_000, first=0.1, cap=5.0)

    # then the wait lies between half the cap and the cap
    assert 2.5 <= wait <= 5.0
