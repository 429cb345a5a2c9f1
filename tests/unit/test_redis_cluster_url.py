"""Which client a Redis URL gives: a cluster's for `redis+cluster://`, seeded with every host
it names and the credentials it carries; a single node's otherwise."""

from __future__ import annotations

import pytest
import redis.asyncio as aioredis
from redis.asyncio.cluster import RedisCluster

from persistence.balance_cache import redis_client
from persistence.redis_cluster import cluster_client


def test_a_cluster_url_names_every_startup_node_and_its_credentials():
    # given a cluster URL with two hosts and an escaped user name
    url = "redis+cluster://ops%40shop:secret@10.0.0.1:7001,10.0.0.2:7002/"

    # when a client is made for it
    client = redis_client(url, timeout=0.3)

    # then it is a cluster client seeded with both hosts and the credentials
    assert isinstance(client, RedisCluster)
    assert list(client.nodes_manager.startup_nodes) == ["10.0.0.1:7001", "10.0.0.2:7002"]
    kwargs = client.nodes_manager.connection_kwargs
    assert (kwargs["username"], kwargs["password"]) == ("ops@shop", "secret")
    assert kwargs["socket_timeout"] == 0.3


def test_a_plain_url_keeps_the_single_node_client():
    # given a single Redis's URL
    # when a client is made for it
    client = redis_client("redis://127.0.0.1:6379/0")

    # then it is the single-node client
    assert isinstance(client, aioredis.Redis)


def test_a_cluster_url_without_hosts_is_refused():
    # given a cluster URL naming no host
    # when a client is made for it
    # then it is refused, naming what is missing
    with pytest.raises(ValueError, match="host:port"):
        cluster_client("redis+cluster://", timeout=0.3)
