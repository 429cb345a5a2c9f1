"""Which PostgreSQL cluster holds a tenant's schema, and the pool that reaches it: the one
place tenant SQL is routed (docs/scaling.md, "Several clusters through placement").

The control schema (registry, operators, keys, the agency's log) lives on the default
cluster, LOYALTY_DATABASE_URL. Each tenant row names its cluster in `placement`, a name
only; the names map to addresses in the settings (LOYALTY_CLUSTERS), so no address or
password is ever stored in the database. The placement arrives with the tenant's registry
row, which every request reads (or remembers) anyway: routing costs no round trip.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

import asyncpg

from domain.errors import DomainError
from tenants.registry import Tenant

DEFAULT_CLUSTER = "default"
# As control migration 0012's CHECK: a name, never an address.
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


def validate_cluster_name(name: str) -> str:
    cleaned = name.strip().lower()
    if not _NAME.match(cleaned):
        raise DomainError(
            "a cluster name is 1 to 40 lowercase letters, digits and underscores, starting"
            " with a letter.",
            field=("cluster",),
        )
    return cleaned


class UnknownCluster(RuntimeError):
    """A tenant placed on a cluster this process has no address for: a configuration error,
    refused at start-up (Clusters.unplaced) and, should a tenant be moved meanwhile, per
    request."""


@dataclass(frozen=True, slots=True)
class Placement:
    """A cluster chosen for a new tenant: its name (stored) and its pool (used)."""

    name: str
    pool: asyncpg.Pool


class Clusters:
    def __init__(self, default: asyncpg.Pool, others: Mapping[str, asyncpg.Pool] | None = None):
        self.default = default
        self._pools: dict[str, asyncpg.Pool] = {DEFAULT_CLUSTER: default, **(others or {})}

    @property
    def names(self) -> list[str]:
        return sorted(self._pools)

    @property
    def others(self) -> dict[str, asyncpg.Pool]:
        return {n: p for n, p in self._pools.items() if n != DEFAULT_CLUSTER}

    def pool(self, name: str) -> asyncpg.Pool:
        try:
            return self._pools[name]
        except KeyError:
            raise UnknownCluster(f"no address for cluster {name!r} (LOYALTY_CLUSTERS)") from None

    def of(self, tenant: Tenant) -> asyncpg.Pool:
        """The pool of the tenant's cluster."""
        if tenant.placement == DEFAULT_CLUSTER:
            return self.default
        return self.pool(tenant.placement)

    def placement(self, name: str) -> Placement:
        name = validate_cluster_name(name)
        if name not in self._pools:
            raise DomainError(f"no cluster named {name!r} is configured.", field=("cluster",))
        return Placement(name, self._pools[name])

    async def for_new_tenant(self, requested: str | None = None) -> Placement:
        """The cluster asked for, or the one holding the fewest tenants (the default on a
        tie); with one cluster, the default without a query."""
        if requested is not None:
            return self.placement(requested)
        if len(self._pools) == 1:
            return Placement(DEFAULT_CLUSTER, self.default)
        held = await self.tenant_counts()
        name = min(self._pools, key=lambda n: (held.get(n, 0), n != DEFAULT_CLUSTER, n))
        return Placement(name, self._pools[name])

    async def tenant_counts(self) -> dict[str, int]:
        rows = await self.default.fetch(
            "SELECT placement, count(*) AS n FROM control.tenants GROUP BY placement"
        )
        return {r["placement"]: int(r["n"]) for r in rows}

    async def unplaced(self) -> list[str]:
        """Clusters that tenants are placed on and this process has no address for."""
        return sorted(set(await self.tenant_counts()) - set(self._pools))
