"""What a failed start had opened is closed, the last first, and the start's own error is the
one raised, even when closing something fails too."""

from __future__ import annotations

import logging

import pytest

from api.services import closed_on_failure


async def test_a_failure_to_close_does_not_hide_the_error_that_stopped_the_start(caplog):
    closed: list[str] = []

    async def cannot_close() -> None:
        raise OSError("connection reset while closing")

    # given a start that opened three things, the second of which cannot be closed
    # when a later step fails
    with (
        caplog.at_level(logging.ERROR, logger="loyalty.services"),
        pytest.raises(ValueError, match="a bad setting found late"),
    ):
        async with closed_on_failure() as opened:
            opened.callback(closed.append, "first")
            opened.push_async_callback(cannot_close)
            opened.callback(closed.append, "third")
            raise ValueError("a bad setting found late")

    # then everything was closed, the last first, and the failure to close was logged
    assert closed == ["third", "first"]
    assert "connection reset while closing" in caplog.text


async def test_a_start_that_succeeds_leaves_its_resources_open_for_the_caller():
    closed: list[str] = []

    # given a start that opened one thing and succeeded
    async with closed_on_failure() as opened:
        opened.callback(closed.append, "pool")

    # then nothing is closed until the caller closes it
    assert closed == []
    await opened.aclose()
    assert closed == ["pool"]
