"""A private PostgreSQL on its own port, for tests that stop, kill or restart the database.

The shared server is never touched: CI runs on the same machine. The binaries are pgserver's
(a dependency, so they exist wherever the project installs); as root, the server runs as an
unprivileged system user, since PostgreSQL refuses to run as root.
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

from persistence.local_servers import free_port, port_open

_USER = "pgserver"


def _bin(name: str) -> str:
    from pgserver._commands import POSTGRES_BIN_PATH

    return str(Path(POSTGRES_BIN_PATH) / name)


def run_as() -> str | None:
    if os.geteuid() != 0:
        return None
    from pgserver.utils import ensure_user_exists

    ensure_user_exists(_USER)
    return _USER


class OwnPostgres:
    """`start()` initialises a cluster in a temporary folder and serves it on a free port
    (trust auth, database `postgres`); `stop()` shuts it down cleanly, `kill()` crashes it
    (SIGKILL of the postmaster), `start()` again brings the same data back on the same port."""

    def __init__(self, settings: dict[str, str] | None = None) -> None:
        self.settings = dict(settings or {})
        self.port = free_port()
        self.user = run_as()
        self.folder = Path(tempfile.mkdtemp(prefix="loyalty-own-pg-"))
        self.data = self.folder / "data"
        self.proc: subprocess.Popen[bytes] | None = None
        if self.user is not None:
            entry = pwd.getpwnam(self.user)
            os.chown(self.folder, entry.pw_uid, entry.pw_gid)
            make_traversable(self.folder)
        self._initdb()

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _initdb(self) -> None:
        subprocess.run(
            [_bin("initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8"],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            user=self.user,
        )

    def start(self, timeout: float = 30) -> None:
        self.proc = subprocess.Popen(
            [
                _bin("postgres"),
                "-D",
                str(self.data),
                "-p",
                str(self.port),
                "-h",
                "127.0.0.1",
                "-k",
                str(self.folder),
                "-c",
                "fsync=off",
                "-c",
                "max_connections=100",
                *(arg for k, v in self.settings.items() for arg in ("-c", f"{k}={v}")),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            user=self.user,
        )
        deadline = time.monotonic() + timeout
        while not self._accepting():
            if self.proc.poll() is not None:
                raise RuntimeError("private PostgreSQL exited at start")
            if time.monotonic() > deadline:
                raise RuntimeError("private PostgreSQL did not start")
            time.sleep(0.1)

    def _accepting(self) -> bool:
        if not port_open(self.port):
            return False
        ready = subprocess.run(
            [_bin("pg_isready"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        return ready.returncode == 0

    def stop(self) -> None:
        """A fast shutdown: connections are closed, data kept."""
        self._signal(signal.SIGINT)

    def kill(self) -> None:
        """A crash: the postmaster is killed; its children notice and exit."""
        self._signal(signal.SIGKILL)
        # Orphaned backends hold the shared memory until they go: wait for the pid file's
        # owner to be gone so that a restart can start at once.
        deadline = time.monotonic() + 10
        while (self.data / "postmaster.pid").exists() and time.monotonic() < deadline:
            if not _any_backend(self.data):
                (self.data / "postmaster.pid").unlink(missing_ok=True)
                break
            time.sleep(0.1)

    def restart(self) -> None:
        self.stop()
        self.start()

    def _signal(self, sig: int) -> None:
        if self.proc is None:
            return
        self.proc.send_signal(sig)
        self.proc.wait(timeout=30)
        self.proc = None

    def close(self) -> None:
        if self.proc is not None:
            self._signal(signal.SIGKILL)
        shutil.rmtree(self.folder, ignore_errors=True)


def _any_backend(data: Path) -> bool:
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if b"postgres" in cmdline and str(data).encode() in cmdline:
            return True
    return False


def make_traversable(folder: Path) -> None:
    """Lets the server's user reach `folder` through its parents (a temp dir is 0700)."""
    for parent in [folder, *folder.parents]:
        mode = parent.stat().st_mode
        if not mode & 0o001:
            parent.chmod(mode | 0o001)
