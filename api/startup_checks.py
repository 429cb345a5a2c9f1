"""What a process refuses to start without.

Any process, with the engine on (`LOYALTY_ENGINE=fast`, the default): the private names of
strawberry and graphql-core the engine relies on (engine/private_names.py), and a schema the
engine can answer for (engine/schema_check.py). A library upgrade that moved one of them
would otherwise fail at the first request, or answer differently; the message names what
moved and the switch that runs without the engine. With `LOYALTY_ENGINE=stock` neither is
checked: requests run through strawberry's own `Schema.execute`, and the engine's executor,
plans and resolvers are never used.

A production process, besides: in development, a missing database or Redis URL starts
embedded servers and a missing secret key is generated into the data folder. In production
either would be wrong in a way that shows only later: embedded servers on an application
host, or a key that differs between replicas (every API key hash and operator session would
fail to check, as 500s on every keyed request). So a production process refuses to start,
before it serves anything.

Any process, lastly, refuses LOYALTY_CLUSTERS or LOYALTY_CLUSTER_LISTEN_URLS it cannot read
(a listen URL for a cluster LOYALTY_CLUSTERS does not name, say): a one-line message rather
than a traceback from the middle of start-up.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from api.settings import Settings
from engine.private_names import PrivateNamesMoved, check_private_names, check_stock_path

# The secret key keys the API-key hashes and signs operator sessions (HMAC-SHA-256): at
# least as many bytes as the hash's output.
MIN_SECRET_KEY_BYTES = 32


class StartupRefused(RuntimeError):
    """The settings are not fit to run in production; the message is one line."""


def production_refusals(settings: Settings) -> list[str]:
    """What is wrong with `settings` for production; empty when nothing is (or when the
    environment is development)."""
    if not settings.production:
        return []
    wrong = []
    if not settings.secret_key:
        wrong.append("LOYALTY_SECRET_KEY is not set")
    elif len(settings.secret_key.encode()) < MIN_SECRET_KEY_BYTES:
        wrong.append(f"LOYALTY_SECRET_KEY is shorter than {MIN_SECRET_KEY_BYTES} bytes")
    if not settings.database_url:
        wrong.append("LOYALTY_DATABASE_URL is not set (embedded PostgreSQL is for development)")
    if not settings.redis_url:
        wrong.append("LOYALTY_REDIS_URL is not set (embedded Redis is for development)")
    if settings.database_pooler == "pgbouncer-transaction" and not settings.listen_database_url:
        wrong.append(
            "LOYALTY_LISTEN_DATABASE_URL is not set (LISTEN needs a direct session connection;"
            " through a transaction-mode pooler no announcement would be heard)"
        )
    if settings.database_pooler == "pgbouncer-transaction" and not cluster_refusals(settings):
        unheard = sorted(set(settings.cluster_dsns()) - set(settings.cluster_listen_dsns()))
        if unheard:
            wrong.append(
                f"LOYALTY_CLUSTER_LISTEN_URLS names no session URL for {', '.join(unheard)}"
                " (LOYALTY_DATABASE_POOLER applies to every cluster: through a"
                " transaction-mode pooler no announcement of their tenants would be heard)"
            )
    return wrong


def cluster_refusals(settings: Settings) -> list[str]:
    """What is wrong with LOYALTY_CLUSTERS and LOYALTY_CLUSTER_LISTEN_URLS, in any
    environment."""
    try:
        settings.cluster_listen_dsns()
    except ValueError as wrong:
        return [str(wrong)]
    return []


def refuse_unsafe_start(settings: Settings) -> None:
    unclear = cluster_refusals(settings)
    if unclear:
        raise StartupRefused("refusing to start: " + "; ".join(unclear))
    wrong = production_refusals(settings)
    if wrong:
        raise StartupRefused("refusing to start in production: " + "; ".join(wrong))
    refuse_unfit_engine(settings)


# LOYALTY_ENGINE=stock never imports the engine's executor: only the document cache's few
# names (engine/private_names.py, STOCK_PATH) are needed on that path.
_WAY_OUT = (
    "install the versions requirements.lock holds, or run with LOYALTY_ENGINE=stock"
    " (engine/README.md)"
)


_LOCKED_VERSIONS = "install the versions requirements.lock holds"


def refuse_unfit_engine(settings: Settings) -> None:
    """Refuses to start when a private name the chosen path relies on moved: every name the
    engine uses with it on, the document cache's with LOYALTY_ENGINE=stock."""
    try:
        if settings.engine == "fast":
            check_private_names()
        else:
            check_stock_path()
    except PrivateNamesMoved as moved:
        way_out = (
            _WAY_OUT
            if settings.engine == "fast"
            else "install the versions requirements.lock holds"
        )
        raise StartupRefused(f"refusing to start: {moved}; {way_out}") from None


def refuse_unfenced_schema(settings: Settings, schema: Any) -> None:
    """With the engine on, refuses a schema it would not answer for as strawberry does."""
    if settings.engine != "fast":
        return
    # Imported here: engine.schema_check imports the engine's executor, whose imports of
    # private names fail outright if one is gone; refuse_unfit_engine names those first.
    from engine.schema_check import SchemaNotFenced, check_schema

    try:
        check_schema(schema)
    except SchemaNotFenced as unfit:
        raise StartupRefused(f"refusing to start: {unfit}") from None


def invalid_settings(error: ValidationError) -> str:
    """A settings error as one line naming each variable: `LOYALTY_X: why; LOYALTY_Y: why`."""
    return "invalid settings: " + "; ".join(
        f"LOYALTY_{'_'.join(str(part) for part in e['loc']).upper()}: {e['msg']}"
        for e in error.errors()
    )
