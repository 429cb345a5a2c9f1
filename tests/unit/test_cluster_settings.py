"""LOYALTY_CLUSTERS: `name=URL` pairs, read into {name: URL}; anything else refused at start,
and a cluster name is only ever a name (control migration 0012 holds the database to it)."""

from __future__ import annotations

import pytest

from api.settings import Settings
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
