"""A private three-node Redis Cluster on free ports, for the tests that run the platform on
a cluster and fail one of its nodes.

Each node is a `redis-server` in cluster mode in a temporary directory of its own (its
`nodes.conf` there, so a node started again rejoins with its identity and its slots); the
slots are split by `redis-cli --cluster create` with no replicas. The shared Redis is never
touched.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from tests.support.servers import free_port, redis_server_binary

NODES = 3
# How long the others wait before they call a silent node failed: short, so a test sees the
# failure within a second or two.
NODE_TIMEOUT_MS = 1000


class OwnRedisCluster:
    def __init__(self) -> None:
        self.ports = [_cluster_port() for _ in range(NODES)]
        self.folder = Path(tempfile.mkdtemp(prefix="loyalty-test-redis-cluster-"))
        self.procs: dict[int, subprocess.Popen[bytes]] = {}

    @property
    def url(self) -> str:
        return "redis+cluster://" + ",".join(f"127.0.0.1:{port}" for port in self.ports)

    def start(self) -> None:
        for port in self.ports:
            self.start_node(port)
        subprocess.run(
            [
                _redis_cli(),
                "--cluster",
                "create",
                *(f"127.0.0.1:{port}" for port in self.ports),
                "--cluster-replicas",
                "0",
                "--cluster-yes",
            ],
            check=True,
            capture_output=True,
            timeout=30,
        )
        self.wait_until_ok()

    def start_node(self, port: int) -> None:
        folder = self.folder / str(port)
        folder.mkdir(exist_ok=True)
        self.procs[port] = subprocess.Popen(
            [
                redis_server_binary(),
                "--port",
                str(port),
                "--bind",
                "127.0.0.1",
                "--dir",
                str(folder),
                "--cluster-enabled",
                "yes",
                "--cluster-config-file",
                "nodes.conf",
                "--cluster-node-timeout",
                str(NODE_TIMEOUT_MS),
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self._wait(lambda: _answers(port), f"redis-server on {port} did not start")

    def kill_node(self, port: int) -> None:
        proc = self.procs.pop(port)
        proc.kill()
        proc.wait()

    def state(self, port: int) -> str:
        """`cluster_state` as the node on `port` sees it (`ok` or `fail`)."""
        info = _cli(port, "cluster", "info")
        for line in info.splitlines():
            if line.startswith("cluster_state:"):
                return line.split(":", 1)[1].strip()
        return "unknown"

    def wait_until_ok(self, seconds: float = 30) -> None:
        self._wait(
            lambda: all(self.state(port) == "ok" for port in self.procs),
            "the cluster did not reach cluster_state:ok",
            seconds,
        )

    def wait_until_failed(self, seconds: float = 30) -> None:
        """Until the live nodes have marked the killed one failed."""
        self._wait(
            lambda: all(self.state(port) == "fail" for port in self.procs),
            "the cluster did not notice the failed node",
            seconds,
        )

    def stop(self) -> None:
        for port in list(self.procs):
            self.kill_node(port)
        shutil.rmtree(self.folder, ignore_errors=True)

    @staticmethod
    def _wait(ready: Callable[[], bool], message: str, seconds: float = 10) -> None:
        deadline = time.monotonic() + seconds
        while not ready():
            if time.monotonic() > deadline:
                raise RuntimeError(message)
            time.sleep(0.05)


def _cluster_port() -> int:
    """A free port whose cluster bus port (10000 above it) is free too."""
    while True:
        port = free_port()
        if port + 10000 > 65535:
            continue
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port + 10000))
            except OSError:
                continue
        return port


def _redis_cli() -> str:
    found = shutil.which("redis-cli")
    if found is None:
        raise RuntimeError("redis-cli is needed to create the test's Redis Cluster")
    return found


def _cli(port: int, *args: str) -> str:
    done = subprocess.run(
        [_redis_cli(), "-h", "127.0.0.1", "-p", str(port), *args],
        capture_output=True,
        timeout=5,
        check=False,
    )
    return done.stdout.decode()


def _answers(port: int) -> bool:
    return _cli(port, "ping").strip() == "PONG"
