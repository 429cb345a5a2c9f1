"""How bench/run sets its slowest requests against the server's full collections: a request
counts when it was in flight during one, a pause outside the measured window does not."""

from __future__ import annotations

import gc

from bench.gc_pauses import FullCollections, tail_in_pauses


def test_slow_requests_are_counted_when_in_flight_during_a_full_collection():
    # given a window of ten seconds, two pauses in it and one before it, and three slow
    # requests: one across the first pause in it, one after every pause, one that began in the
    # second pause
    result = {
        "window": [100.0, 110.0],
        "slowest": [[101.0, 101.2], [105.0, 105.1], [108.05, 108.2]],
    }
    pauses = [[99.0, 0.5], [101.1, 0.05], [108.0, 0.1]]

    # when they are compared
    summary = tail_in_pauses(result, pauses)

    # then the two pauses in the window count, the longest is the second, two of the three
    # requests were in flight during one, and 0.05 s + 0.05 s of their 0.45 s were in one
    assert summary == {
        "full_collections": 2,
        "longest_full_collection_ms": 100.0,
        "p99_requests": 3,
        "p99_requests_in_full_collection": 2,
        "p99_time_in_full_collection": 0.222,
    }


def test_a_result_without_its_window_is_not_compared():
    # given a result of the wrk client, which reports no wall-clock window
    # then there is nothing to say about its tail
    assert tail_in_pauses({"p99_ms": 3.0}, [[1.0, 0.1]]) == {}


def test_the_recorder_keeps_full_collections_only():
    # given a recorder listening to the collector
    recorder = FullCollections()
    gc.callbacks.append(recorder)
    try:
        # when a young collection and a full one run
        gc.collect(0)
        gc.collect(2)
    finally:
        gc.callbacks.remove(recorder)

    # then only the full one is kept, with its start and length
    assert len(recorder.pauses) == 1
    started, seconds = recorder.pauses[0]
    assert started > 0 and seconds >= 0
