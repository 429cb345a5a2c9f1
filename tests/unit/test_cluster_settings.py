"""LOYALTY_CLUSTERS: `name=URL` pairs, read into {name: URL}; anything else refused at start,
and a cluster name is only ever a name (control migration 0012 holds the database to it).
LOYALTY_CLUSTER_LISTEN_URLS: the same pairs, each naming a cluster of LOYALTY_CLUSTERS; in
production behind a transaction-mode pooler, every cluster needs one."""

from __future__ import annotations

import pytest

from api.settings import Settings
from api.startup_checks import (
    StartupRefused,
    cluster_refusals,
    production_refusals,
    refuse_unsafe_start,
)
from domain.errors import DomainError
from tenants.clusters import validate_cluster_name


def test_pairs_are_read_by_name_and_a_multi_host_url_keeps_its_commas():
    settings = Settings(
        clusters="east=postgresql://app@pg-east/loyalty,"
        " west=postgresql://app@w1:5432,w2:5432/loyalty?target_session_attrs=read-write"
    )
    assert settings.cluster_dsns() == {
        "east": "postgresql://app@pg-east/loyalty",
        "west": "postgresql://app@w1:5432,w2:5432/loyalty?target_session_attrs=read-write",
    }


def test_no_setting_means_no_other_cluster():
    assert Settings(clusters=None).cluster_dsns() == {}
    assert Settings(clusters="  ").cluster_dsns() == {}


@pytest.mark.parametrize(
    "value",
    [
        "default=postgresql://elsewhere/db",  # the default is LOYALTY_DATABASE_URL
        "east=postgresql://a/db east=postgresql://b/db",  # twice
        "east=",  # no URL
    ],
)
def test_a_pair_that_is_not_a_new_name_with_a_url_is_refused(value: str):
    with pytest.raises(ValueError, match="LOYALTY_CLUSTERS"):
        Settings(clusters=value).cluster_dsns()


@pytest.mark.parametrize("name", ["East-1", "1east", "postgresql://h/db", "a" * 41, ""])
def test_a_cluster_name_is_a_short_lowercase_name(name: str):
    with pytest.raises(DomainError):
        validate_cluster_name(name)


TWO = "east=postgresql://app@pgbouncer-east/loyalty west=postgresql://app@pg-west/loyalty"


def test_listen_urls_are_read_by_name():
    settings = Settings(clusters=TWO, cluster_listen_urls="east=postgresql://app@pg-east/loyalty")
    assert settings.cluster_listen_dsns() == {"east": "postgresql://app@pg-east/loyalty"}
    assert Settings(clusters=TWO).cluster_listen_dsns() == {}
    assert cluster_refusals(settings) == []


@pytest.mark.parametrize(
    ("value", "named"),
    [
        ("north=postgresql://pg-north/db", "no cluster named north in LOYALTY_CLUSTERS"),
        ("default=postgresql://pg-main/db", "LOYALTY_LISTEN_DATABASE_URL"),  # its own setting
        ("east=", "not a new name=URL pair"),
        ("e-ast=postgresql://pg-east/db", "lowercase letters"),
    ],
)
def test_a_listen_url_for_no_known_cluster_is_refused_at_start(value: str, named: str):
    settings = Settings(clusters=TWO, cluster_listen_urls=value)
    with pytest.raises(ValueError, match="LOYALTY_CLUSTER_LISTEN_URLS"):
        settings.cluster_listen_dsns()
    [refusal] = cluster_refusals(settings)
    assert named in refusal
    with pytest.raises(StartupRefused, match="LOYALTY_CLUSTER_LISTEN_URLS"):
        refuse_unsafe_start(settings)


def test_production_behind_a_transaction_pooler_needs_a_listen_url_per_cluster():
    pooled = Settings(
        environment="production",
        secret_key="k" * 32,
        database_url="postgresql://app@pgbouncer/loyalty",
        redis_url="redis://redis:6379/0",
        database_pooler="pgbouncer-transaction",
        listen_database_url="postgresql://app@pg-main/loyalty",
        clusters=TWO,
        cluster_listen_urls="east=postgresql://app@pg-east/loyalty",
    )
    [refusal] = production_refusals(pooled)
    assert "LOYALTY_CLUSTER_LISTEN_URLS" in refusal and "west" in refusal
    assert "east" not in refusal.split("(")[0]
    both = pooled.model_copy(
        update={"cluster_listen_urls": pooled.cluster_listen_urls + " west=postgresql://pg-west/l"}
    )
    assert production_refusals(both) == []
    # Without the pooler, a cluster's listener uses a connection of its own pool.
    assert production_refusals(pooled.model_copy(update={"database_pooler": "none"})) == []
