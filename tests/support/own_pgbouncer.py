"""A private PgBouncer on its own port, in transaction pooling mode, in front of a PostgreSQL
(the shared one on localhost by default), for tests that run the platform behind a pooler.

Only this PgBouncer is ever stopped, never the server behind it. `scripts/install-pgbouncer`
installs Debian's package when PgBouncer is missing. As root, PgBouncer runs as the same
unprivileged user as the private PostgreSQL (tests/support/own_postgres.py): it refuses to run
as root.
"""

from __future__ import annotations

import os
import pwd
import re
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

from persistence.local_servers import free_port, port_open
from tests.support.api_server import ROOT
from tests.support.own_postgres import make_traversable, run_as

INSTALL = ROOT / "scripts" / "install-pgbouncer"
# The first version that keeps prepared statements across transactions (max_prepared_statements).
PREPARED_STATEMENTS_SINCE = (1, 21)


def pgbouncer_binary() -> str:
    """The pgbouncer command, installed first if it is missing."""
    found = _which()
    if found is None:
        done = subprocess.run([str(INSTALL)], capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"PgBouncer is missing and could not be installed:\n{done.stderr}")
        found = _which()
    if found is None:
        raise RuntimeError(f"{INSTALL} succeeded but no pgbouncer command is to be found")
    return found


def _which() -> str | None:
    return shutil.which("pgbouncer") or shutil.which("pgbouncer", path="/usr/sbin:/sbin")


def pgbouncer_version(binary: str) -> tuple[int, int]:
    shown = subprocess.run([binary, "--version"], capture_output=True, text=True).stdout
    found = re.search(r"PgBouncer (\d+)\.(\d+)", shown)
    if found is None:
        raise RuntimeError(f"cannot read PgBouncer's version from {shown!r}")
    return int(found.group(1)), int(found.group(2))


class OwnPgBouncer:
    """`start()` serves every database of the server at `upstream_url` on a free port, in
    transaction pooling mode, with up to `pool_size` server connections per database and user;
    `url(database)` is the address clients use; `stop()` ends PgBouncer and removes its files."""

    def __init__(self, upstream_url: str, pool_size: int = 10) -> None:
        self.binary = pgbouncer_binary()
        self.version = pgbouncer_version(self.binary)
        self.port = free_port()
        upstream = urlsplit(upstream_url)
        self.user = upstream.username or "postgres"
        self._upstream_host = upstream.hostname or "127.0.0.1"
        self._upstream_port = upstream.port or 5432
        self._pool_size = pool_size
        self._run_as = run_as()
        self.folder = Path(tempfile.mkdtemp(prefix="loyalty-own-pgbouncer-"))
        self.proc: subprocess.Popen[bytes] | None = None
        self._write_config()

    @property
    def keeps_prepared_statements(self) -> bool:
        return self.version >= PREPARED_STATEMENTS_SINCE

    def url(self, database: str) -> str:
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{database}"

    @property
    def log(self) -> str:
        path = self.folder / "pgbouncer.log"
        return path.read_text(errors="replace")[-4000:] if path.exists() else ""

    def _write_config(self) -> None:
        lines = [
            "[databases]",
            # Any database name is forwarded to the server under the same name.
            f"* = host={self._upstream_host} port={self._upstream_port}",
            "",
            "[pgbouncer]",
            "listen_addr = 127.0.0.1",
            f"listen_port = {self.port}",
            f"unix_socket_dir = {self.folder}",
            f"logfile = {self.folder / 'pgbouncer.log'}",
            f"pidfile = {self.folder / 'pgbouncer.pid'}",
            "auth_type = trust",
            f"auth_file = {self.folder / 'userlist.txt'}",
            "pool_mode = transaction",
            f"default_pool_size = {self._pool_size}",
            "max_client_conn = 500",
            # asyncpg sends these at connect; PgBouncer would refuse an unknown one.
            "ignore_startup_parameters = extra_float_digits",
        ]
        if self.keeps_prepared_statements:
            lines.append("max_prepared_statements = 200")
        (self.folder / "pgbouncer.ini").write_text("\n".join(lines) + "\n")
        (self.folder / "userlist.txt").write_text(f'"{self.user}" ""\n')
        if self._run_as is not None:
            entry = pwd.getpwnam(self._run_as)
            for path in [self.folder, *self.folder.iterdir()]:
                os.chown(path, entry.pw_uid, entry.pw_gid)
            make_traversable(self.folder)

    def start(self, timeout: float = 15) -> None:
        self.proc = subprocess.Popen(
            [self.binary, str(self.folder / "pgbouncer.ini")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            user=self._run_as,
        )
        deadline = time.monotonic() + timeout
        while not port_open(self.port):
            if self.proc.poll() is not None:
                raise RuntimeError(f"PgBouncer exited at start:\n{self.log}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"PgBouncer did not start:\n{self.log}")
            time.sleep(0.05)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            # SIGINT: a safe shutdown that waits for the transactions in flight.
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None
        shutil.rmtree(self.folder, ignore_errors=True)
