"""`loyalty serve`, run as a user would: its answers name no server software and carry the
security headers (the banner is added by the HTTP server, under the application)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _wait_for(
    url: str, proc: subprocess.Popen[bytes], log: Path, seconds: float = 60
) -> httpx.Response:
    deadline = time.monotonic() + seconds
    while True:
        assert proc.poll() is None, f"the server exited:\n{log.read_text()[-3000:]}"
        try:
            return httpx.get(url, timeout=2)
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def test_a_served_answer_names_no_server_software(database_url, redis_dsn, tmp_path: Path):
    # given the platform served by `loyalty serve` on a port of its own
    port = _free_port()
    env = {
        **os.environ,
        "LOYALTY_DATABASE_URL": database_url,
        "LOYALTY_REDIS_URL": redis_dsn,
        "LOYALTY_SECRET_KEY": "banner-test-secret",
        "LOYALTY_DATA_DIR": str(tmp_path / ".loyalty"),
        # Few connections: the database server is shared with the rest of the suite.
        "LOYALTY_DB_POOL_MIN": "1",
        "LOYALTY_DB_POOL_MAX": "2",
    }
    log = tmp_path / "serve.log"
    with log.open("wb") as output:
        proc = subprocess.Popen(
            [sys.executable, "-m", "api.cli", "serve", "--port", str(port), "--no-worker"],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        # when a client asks it anything
        health = _wait_for(f"http://127.0.0.1:{port}/healthz", proc, log)
        missing = httpx.get(f"http://127.0.0.1:{port}/no-such-route", timeout=5)

        # then no answer says which server software runs it, and each is hardened
        for response in (health, missing):
            assert "server" not in response.headers
            assert response.headers["x-content-type-options"] == "nosniff"
            assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
        assert health.status_code == 200
        assert missing.status_code == 404
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
