"""`loyalty serve` on embedded servers stops them on every stop signal, and `loyalty
embedded stop` stops what another process left running. Run as a user would: a process of
its own on a folder of its own, real PostgreSQL and Redis started from the packages."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psutil
import pytest

from persistence.embedded import postgres_pid, redis_pid
from persistence.local_servers import free_port


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    # One folder for the module: PostgreSQL's initdb runs once, later starts reuse it.
    folder = tmp_path_factory.mktemp("embedded") / ".loyalty"
    yield folder
    subprocess.run([sys.executable, "-m", "api.cli", "embedded", "stop"], env=_env(folder))


def _env(data_dir: Path) -> dict[str, str]:
    unset = ("LOYALTY_DATABASE_URL", "LOYALTY_REDIS_URL", "LOYALTY_ENVIRONMENT")
    env = {k: v for k, v in os.environ.items() if k not in unset}
    return {**env, "LOYALTY_DATA_DIR": str(data_dir)}


def _processes_of(data_dir: Path, pids: set[int]) -> list[str]:
    """Processes still running that belong to the folder: the pids seen while it served,
    and anything whose command line names the folder."""
    left = []
    for proc in psutil.process_iter(["pid", "cmdline", "status"]):
        if proc.info["status"] == psutil.STATUS_ZOMBIE:
            continue
        cmdline = " ".join(proc.info["cmdline"] or ())
        if proc.info["pid"] in pids or str(data_dir) in cmdline:
            left.append(f"{proc.info['pid']} {cmdline}")
    return left


def _serve(data_dir: Path, log: Path) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    with log.open("wb") as output:
        proc = subprocess.Popen(
            [sys.executable, "-m", "api.cli", "serve", "--demo", "--port", str(port)],
            env=_env(data_dir),
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    return proc, port


def _wait_until_served(proc: subprocess.Popen[bytes], port: int, log: Path) -> None:
    deadline = time.monotonic() + 120
    while True:
        assert proc.poll() is None, f"the server exited:\n{log.read_text()[-3000:]}"
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline, log.read_text()[-3000:]
        time.sleep(0.2)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT, signal.SIGHUP])
def test_a_stop_signal_stops_the_embedded_servers(data_dir: Path, tmp_path: Path, signum: int):
    # given the demo served on embedded PostgreSQL and Redis
    log = tmp_path / "serve.log"
    proc, port = _serve(data_dir, log)
    try:
        _wait_until_served(proc, port, log)
        servers = {postgres_pid(data_dir), redis_pid(data_dir)}
        assert None not in servers, log.read_text()

        # when it is told to stop
        proc.send_signal(signum)
        code = proc.wait(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()

    # then it ended by that signal, and neither server of its folder is left running
    assert code == -signum, log.read_text()[-3000:]
    assert _processes_of(data_dir, {pid for pid in servers if pid}) == []
    # and the banner was the last thing it printed before stopping
    before_stop = log.read_text().split("INFO:     Shutting down")[0].rstrip()
    assert before_stop.splitlines()[-1].startswith("  operator:"), before_stop[-2000:]


def test_the_stop_command_stops_servers_another_process_left(data_dir: Path):
    # given a one-off command that leaves the embedded PostgreSQL running for the next one
    demo = subprocess.run(
        [sys.executable, "-m", "api.cli", "demo", "--json"],
        env=_env(data_dir),
        capture_output=True,
        timeout=120,
    )
    assert demo.returncode == 0, demo.stderr.decode()[-3000:]
    left = postgres_pid(data_dir)
    assert left is not None

    # when the documented stop command runs
    stop = subprocess.run(
        [sys.executable, "-m", "api.cli", "embedded", "stop"],
        env=_env(data_dir),
        capture_output=True,
        timeout=120,
    )

    # then it says so and nothing of the folder runs any more
    assert stop.returncode == 0, stop.stderr.decode()
    assert "postgres" in stop.stdout.decode()
    assert _processes_of(data_dir, {left}) == []
    assert postgres_pid(data_dir) is None and redis_pid(data_dir) is None
