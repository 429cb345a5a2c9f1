"""The per-request context every resolver gets."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from functools import cached_property

from starlette.requests import Request
from starlette.responses import Response
from strawberry.types import Info as _Info

from api.auth.principal import Kind, Principal, Role
from api.auth.viewer import viewer_of
from api.member_loaders import MemberLoaders
from api.services import Services
from domain.errors import Forbidden, Unauthenticated
from domain.roles import Power, require_mutation_allowed, roles_with
from domain.viewers import Viewer
from persistence.balance_cache import TenantBalanceCache
from persistence.member_names import PgMemberNames
from persistence.uow import PgUnitOfWorkFactory
from tenants.registry import Tenant


@dataclass
class Context:
    request: Request
    response: Response
    services: Services
    principal: Principal
    request_id: str
    # A socket's: the graphql-transport-ws connection_init payload (api/http/socket_auth.py),
    # and the task that closes it when its member token expires.
    connection_params: dict[str, object] | None = None
    closing: asyncio.Task[None] | None = None

    @property
    def tenant(self) -> Tenant:
        tenant = self.principal.tenant
        if tenant is None:
            if self.principal.kind is Kind.OPERATOR:
                raise Forbidden("Name the tenant in the X-Tenant header.", field=("X-Tenant",))
            raise Unauthenticated("Authenticate with a key or token of a tenant.")
        return tenant

    @cached_property
    def viewer(self) -> Viewer:
        return viewer_of(self.principal)

    @cached_property
    def uow(self) -> PgUnitOfWorkFactory:
        return PgUnitOfWorkFactory(
            self.services.clusters.of(self.tenant),
            self.tenant.schema_name,
            self.services.programs,
            self.services.member_gates,
        )

    @cached_property
    def member_names(self) -> PgMemberNames:
        return PgMemberNames(self.services.clusters.of(self.tenant), self.tenant.schema_name)

    @cached_property
    def balance_cache(self) -> TenantBalanceCache:
        return self.services.balances.for_tenant(self.tenant.id)

    @cached_property
    def member_loaders(self) -> MemberLoaders:
        return MemberLoaders(self.uow, self.balance_cache, self.services.clock)

    def authorize_mutation(self, mutation: str) -> None:
        """An operator's role against the rule table (domain/roles.py), before the mutation
        runs; other credentials are checked by the mutation itself (`require`)."""
        if self.principal.kind is Kind.OPERATOR:
            require_mutation_allowed(self.principal.role, mutation)

    def require(self, *kinds: Kind, roles: tuple[Role, ...] = roles_with(Power.MANAGE)) -> None:
        """Refuses unless the caller is one of `kinds`; operators also need one of `roles`."""
        p = self.principal
        if p.kind is Kind.ANONYMOUS:
            raise Unauthenticated("Authenticate first.")
        if p.kind not in kinds:
            raise Forbidden("This credential may not do that.")
        if p.kind is Kind.OPERATOR and p.tenant is not None and p.role not in roles:
            raise Forbidden("Your role on this tenant may not do that.")
        self.tenant  # noqa: B018 - every tenant operation needs one: fail early otherwise

    reader_roles = (Role.OWNER, Role.ADMIN, Role.VIEWER)

    def require_reader(self) -> None:
        self.require(Kind.SECRET_KEY, Kind.OPERATOR, roles=self.reader_roles)

    def require_writer(self) -> None:
        self.require(Kind.SECRET_KEY, Kind.OPERATOR)


Info = _Info[Context, None]
