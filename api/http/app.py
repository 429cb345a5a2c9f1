"""The Starlette application: /graphql, /healthz, /readyz, the referral links /r/…, member
import uploads /imports/members, tenant archive uploads /imports/tenant, tenant archive
downloads /exports/tenant/…, the files of the GraphiQL page /graphiql/… and the agency console
/console (api/http/console/)."""

from __future__ import annotations

import asyncio
import contextlib
import gc
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route, WebSocketRoute
from starlette.types import ASGIApp, Receive, Scope, Send

from api.http.console.documents import ConsoleDocuments
from api.http.console.page import ConsoleAssets, ConsolePage
from api.http.console.session import end_session, open_session
from api.http.cors import Cors
from api.http.graphiql_page import GraphiQLAssets
from api.http.graphql_endpoint import GraphQLEndpoint
from api.http.last_resort import ContractStarlette, LastResort
from api.http.member_import_upload import upload_member_import
from api.http.readiness import readyz
from api.http.referral_links import referral_link
from api.http.security_headers import SecurityHeaders
from api.http.tenant_export import tenant_export
from api.http.tenant_import_upload import upload_tenant_import
from api.services import Services
from api.settings import Settings
from api.worker import run_forever
from api.worker_heartbeat import WorkerHeartbeat, stale_after


async def healthz(request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


class _GraphQLRoute:
    """An ASGI callable (not a function, so Starlette passes scope/receive/send through)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await scope["app"].state.graphql(scope, receive, send)


class _HardenedStarlette(ContractStarlette):
    """Failures answered as GraphQL JSON (api/http/last_resort.py), CORS (api/http/cors.py) and the
    security headers (api/http/security_headers.py)."""

    def build_middleware_stack(self) -> ASGIApp:
        # The headers outermost, so every answer carries them, the last resort's too; CORS
        # inside the last resort, so a failure of its own is answered in JSON.
        stack = Starlette.build_middleware_stack(self)
        return SecurityHeaders(LastResort(Cors(stack)))


def freeze_startup_objects() -> None:
    """Moves everything alive after start-up (modules, the two schemas, their types and
    resolvers: hundreds of thousands of objects) out of the garbage collector's sight. They
    live as long as the process, yet every full collection walked them all, and requests
    allocate enough to trigger one every few hundred requests."""
    gc.collect()
    gc.freeze()


def create_app(
    settings: Settings | None = None,
    services: Services | None = None,
    *,
    worker: bool = False,
) -> Starlette:
    """The app; given `services` (tests), it uses them and the caller closes them."""
    settings = settings or (services.settings if services else Settings())

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        owned = services is None
        running = services or await Services.start(settings)
        app.state.services = running
        app.state.graphql = GraphQLEndpoint(running)
        if settings.freeze_startup_objects:
            freeze_startup_objects()
        jobs = None
        if worker:
            heartbeat = WorkerHeartbeat(
                stale_after(settings.worker_interval, settings.worker_stale_seconds)
            )
            jobs = asyncio.create_task(run_forever(running, settings.worker_interval, heartbeat))
            heartbeat.task, app.state.worker_heartbeat = jobs, heartbeat
        try:
            yield
        finally:
            if jobs is not None:
                jobs.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await jobs
            if owned:
                await running.close()

    app = _HardenedStarlette(
        routes=[
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            Route("/graphql", _GraphQLRoute(), methods=["GET", "POST"]),
            # Subscriptions (graphql-transport-ws): api/http/socket_auth.py signs the socket in.
            WebSocketRoute("/graphql", _GraphQLRoute()),
            Route("/r/{tenant}/{code}", referral_link, methods=["GET"]),
            Route("/imports/members", upload_member_import, methods=["POST"]),
            Route("/imports/tenant", upload_tenant_import, methods=["POST"]),
            Route("/graphiql/{name}", GraphiQLAssets(), methods=["GET"]),
            # The agency console (api/http/console/): its page, files, documents and sign-in.
            Route("/console", ConsolePage(), methods=["GET"]),
            Route("/console/assets/{name}", ConsoleAssets(), methods=["GET"]),
            Route("/console/operations/{name}", ConsoleDocuments(), methods=["GET"]),
            Route("/console/session", open_session, methods=["POST"]),
            Route("/console/session/end", end_session, methods=["POST"]),
            # A tenant's archive, for the short-lived link exportTenant answers.
            Route("/exports/tenant/{token}", tenant_export, methods=["GET"]),
        ],
        lifespan=lifespan,
    )
    if services is not None:
        app.state.services = services
        app.state.graphql = GraphQLEndpoint(services)
    return app
