"""Redis Cluster: the client used when `LOYALTY_REDIS_URL` names a cluster, and the errors
that mean Redis is unreachable on either kind of client.

`redis+cluster://[user:password@]host:port[,host:port…]` (or `rediss+cluster://` for TLS)
names a few of the cluster's nodes; the client finds the rest and which node holds which
slot. Every key the platform writes is hash-tagged so that the keys one script or one
pipeline touches together live in one slot (docs/scaling.md, "Redis Cluster").
"""

from __future__ import annotations

from typing import TypeAlias
from urllib.parse import unquote

import redis.asyncio as aioredis
from redis.asyncio.cluster import ClusterNode, RedisCluster
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisClusterException, RedisError

RedisClient: TypeAlias = aioredis.Redis | RedisCluster

# A cluster client raises RedisClusterException (not a RedisError) when no node it knows
# answers or a slot has no node: that too is Redis being unavailable.
REDIS_FAILURES = (RedisError, RedisClusterException, OSError, TimeoutError)

_SCHEMES = {"redis+cluster": False, "rediss+cluster": True}


def is_cluster_url(url: str) -> bool:
    return url.partition("://")[0] in _SCHEMES


def cluster_client(url: str, *, timeout: float) -> RedisCluster:
    """A cluster client as quick to give up as the single-node one: one short timeout per
    command, no retries (the breakers take over), a topology refresh after a failure."""
    scheme, _, rest = url.partition("://")
    if scheme not in _SCHEMES:
        raise ValueError(f"not a Redis Cluster URL: {url}")
    credentials, _, hosts = rest.rpartition("@")
    username, _, password = credentials.partition(":")
    nodes = [_node(address) for address in hosts.split("/")[0].split(",") if address]
    if not nodes:
        raise ValueError("a Redis Cluster URL names at least one host:port")
    return RedisCluster(
        startup_nodes=nodes,
        username=unquote(username) or None,
        password=unquote(password) or None,
        ssl=_SCHEMES[scheme],
        socket_timeout=timeout,
        socket_connect_timeout=timeout,
        retry=Retry(NoBackoff(), 0),
        # The servers decide whether a cluster with a failed shard serves the others'
        # slots (`cluster-require-full-coverage`); the client does not refuse it first.
        require_full_coverage=False,
        health_check_interval=30,
    )


def _node(address: str) -> ClusterNode:
    host, _, port = address.rpartition(":")
    return ClusterNode(host or "127.0.0.1", int(port or 6379))
