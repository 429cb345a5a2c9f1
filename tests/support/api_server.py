"""The API as a real server: a uvicorn process on a free port, configured only through
LOYALTY_* variables, as a deployment runs it. Tests that kill its database or Redis use it to
see what a client sees, and that the same process recovers without being restarted."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from tests.support.servers import free_port

ROOT = Path(__file__).resolve().parents[2]


class ApiServer:
    """`start()` runs `loyalty serve --no-worker` (the production entry point: its start-up
    checks, no server banner) with `env` (and no LOYALTY_* variable of the test's own
    environment) and waits for /healthz; `log()` is what it printed, for a failing test's
    message."""

    def __init__(self, env: dict[str, str]) -> None:
        self.port = free_port()
        self.env = env
        self.proc: subprocess.Popen[bytes] | None = None
        self._log = tempfile.NamedTemporaryFile(prefix="loyalty-api-", suffix=".log")  # noqa: SIM115

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc is not None else None

    def start(self, timeout: float = 60) -> None:
        inherited = {k: v for k, v in os.environ.items() if not k.startswith("LOYALTY_")}
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "api.cli",
                "serve",
                "--no-worker",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
            ],
            cwd=ROOT,
            env={**inherited, **self.env},
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout
        while not self._healthy():
            if self.proc.poll() is not None:
                raise RuntimeError(f"the API server exited at start:\n{self.log()}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"the API server did not start:\n{self.log()}")
            time.sleep(0.1)

    def _healthy(self) -> bool:
        try:
            return httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def log(self, tail: int = 4000) -> str:
        self._log.flush()
        text = Path(self._log.name).read_text(errors="replace")
        return text[-tail:]

    def kill(self) -> None:
        """Ends the process at once (a server that stopped answering)."""
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
            self.proc = None

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None
        self._log.close()
