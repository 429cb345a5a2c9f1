"""`loyalty worker` as a real process, configured only through LOYALTY_* variables, as a
deployment runs it beside its API replicas."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

from tests.support.api_server import ROOT


class WorkerProcess:
    """`start()` runs the worker loop every `interval` seconds with `env` (and no LOYALTY_*
    variable of the test's own environment); `log()` is what it printed."""

    def __init__(self, env: dict[str, str], interval: float = 1.0) -> None:
        self.env = env
        self.interval = interval
        self.proc: subprocess.Popen[bytes] | None = None
        self._log = tempfile.NamedTemporaryFile(prefix="loyalty-worker-", suffix=".log")  # noqa: SIM115

    def start(self) -> None:
        inherited = {k: v for k, v in os.environ.items() if not k.startswith("LOYALTY_")}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "api.cli", "worker", "--interval", str(self.interval)],
            cwd=ROOT,
            env={**inherited, **self.env},
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def log(self, tail: int = 4000) -> str:
        self._log.flush()
        return Path(self._log.name).read_text(errors="replace")[-tail:]

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def close(self) -> None:
        self.stop()
        self._log.close()
