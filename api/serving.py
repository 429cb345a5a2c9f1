"""How `loyalty serve` runs: uvicorn, a banner once the port listens, and the embedded
PostgreSQL and Redis stopped however the process is asked to stop.

uvicorn handles SIGINT and SIGTERM while it serves, shuts down gracefully, then raises the
same signal again with the handlers it found: without handlers of ours the process died
there, before any clean-up, leaving the embedded servers running. SIGHUP (a closed
terminal) killed it outright. Here every one of the three stops the server gracefully when
it serves, or at once before, and the embedded servers stop on the way out; then the signal
is raised again with its default action, so a supervisor sees the process end by it.
"""

from __future__ import annotations

import os
import signal
import socket
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType

import uvicorn
from starlette.types import ASGIApp

from api.settings import Settings

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class _StoppedBeforeServing(Exception):
    pass


class _Server(uvicorn.Server):
    """Prints the banner after uvicorn's own start-up lines, so it is the last thing shown."""

    def __init__(self, config: uvicorn.Config, banner: str | None) -> None:
        super().__init__(config)
        self.banner = banner

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.banner and self.started and not self.should_exit:
            print(self.banner, flush=True)


class _Stopping:
    def __init__(self) -> None:
        self.signum: int | None = None
        self.server: uvicorn.Server | None = None

    def handle(self, signum: int, frame: FrameType | None) -> None:
        first = self.signum is None
        if first:
            self.signum = signum
        if self.server is not None:
            self.server.handle_exit(signum, frame)
        elif first:
            raise _StoppedBeforeServing


def embedded_in_use(settings: Settings) -> tuple[bool, bool]:
    """Which embedded servers (PostgreSQL, Redis) this configuration runs."""
    return not settings.database_url, not settings.redis_url


@contextmanager
def stopping_embedded(settings: Settings) -> Iterator[_Stopping]:
    """Stops the embedded servers of `settings` when the block ends, however it ends; a stop
    signal before serving ends the block at once."""
    postgres, redis = embedded_in_use(settings)
    stopping = _Stopping()
    previous = {signum: signal.signal(signum, stopping.handle) for signum in STOP_SIGNALS}
    try:
        yield stopping
    except _StoppedBeforeServing:
        pass
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        if postgres or redis:
            _stop(Path(settings.data_dir), postgres=postgres, redis=redis)
    if stopping.signum is not None:
        sys.stdout.flush()
        signal.signal(stopping.signum, signal.SIG_DFL)
        os.kill(os.getpid(), stopping.signum)


def _stop(data_dir: Path, *, postgres: bool, redis: bool) -> None:
    from persistence.embedded import stop_embedded

    stopped = stop_embedded(data_dir, postgres=postgres, redis=redis)
    if stopped:
        print(f"stopped the embedded {' and '.join(stopped)}", file=sys.stderr, flush=True)


def serve(stopping: _Stopping, app: ASGIApp, *, host: str, port: int, banner: str | None) -> None:
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level="info",
        access_log=False,
        proxy_headers=True,
        server_header=False,  # no banner naming the server software
    )
    stopping.server = server = _Server(config, banner)
    server.run()
