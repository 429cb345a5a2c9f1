"""Settings from the environment (LOYALTY_*), with embedded defaults for a fresh machine."""

from __future__ import annotations

import re
import secrets
from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LOYALTY_", extra="ignore")

    environment: Literal["development", "production"] = "development"
    # How a valid request is executed: "fast", the engine (engine/README.md), or "stock",
    # strawberry and graphql-core as they come, the engine turned off.
    engine: Literal["fast", "stock"] = "fast"
    database_url: str | None = None
    redis_url: str | None = None
    data_dir: Path = Path(".loyalty")
    # Keys API-key hashes and signs operator sessions. Without one, a random key is kept in
    # data_dir; production must set it so every replica agrees.
    secret_key: str | None = None
    public_url: str = "http://127.0.0.1:8000"

    db_pool_min: int = 2
    db_pool_max: int = 20
    # What stands between the processes and PostgreSQL (docs/scaling.md, "Behind PgBouncer").
    # "pgbouncer-transaction": a pooler in transaction mode that cannot keep named prepared
    # statements (PgBouncer before 1.21, or later without max_prepared_statements), so
    # asyncpg's statement cache is turned off. "none": a direct connection, or a pooler that
    # keeps prepared statements.
    database_pooler: Literal["none", "pgbouncer-transaction"] = "none"
    # A direct (session) connection to the same database for the one connection per process
    # that LISTENs for announcements: LISTEN needs a session, which a transaction-mode pooler
    # does not give. Unset, the listener uses a connection of the pool.
    listen_database_url: str | None = None
    # More PostgreSQL clusters for tenant schemas (docs/scaling.md, "Several clusters through
    # placement"): `name=URL` pairs, separated by spaces or commas. The control schema and the
    # tenants placed on `default` stay on LOYALTY_DATABASE_URL.
    clusters: str | None = None
    # A direct (session) URL per other cluster, for its listening connection, when its
    # LOYALTY_CLUSTERS URL goes through a transaction-mode pooler: `name=URL` pairs as in
    # LOYALTY_CLUSTERS, each name one of its names (the default cluster's is
    # LOYALTY_LISTEN_DATABASE_URL). A cluster left out listens on a connection of its pool.
    cluster_listen_urls: str | None = None
    redis_timeout: float = 0.25
    redis_breaker_seconds: float = 5.0
    balance_cache_ttl: int = 600
    # How long a process trusts what it remembered of an externalId when it may have missed
    # the announcement of its change (persistence/member_ids.py).
    external_id_cache_seconds: float = 5.0
    # The same for a tenant's program configuration and its having no tiers
    # (persistence/program_memory.py).
    program_cache_seconds: float = 5.0

    # Browser hygiene (api/http/cors.py, api/http/security_headers.py): how long a process trusts
    # the tenants' allowed origins it read when it may have missed the announcement of a
    # change, and how long a browser may keep a preflight's answer.
    allowed_origins_cache_seconds: float = 5.0
    cors_max_age: int = 600

    worker_interval: float = 15.0

    # Webhooks (docs/webhooks.md). The worker looks for due deliveries every
    # `webhook_poll_seconds`; each POST gives up after `webhook_timeout_seconds`, at most
    # `webhook_concurrency` at once per tenant. A failed attempt is retried after
    # base·2^(n-1) seconds (capped, jittered) until `webhook_retry_window_seconds` after the
    # delivery was made; an endpoint every attempt of which failed for
    # `webhook_disable_after_seconds` is disabled. Private and loopback URLs are refused in
    # production unless `webhook_allow_private_urls`.
    webhook_poll_seconds: float = Field(default=1.0, gt=0)
    # A tenant with no enabled endpoint is looked at again only this often.
    webhook_idle_recheck_seconds: float = Field(default=30.0, gt=0)
    webhook_timeout_seconds: float = Field(default=10.0, gt=0)
    webhook_concurrency: int = Field(default=8, ge=1)
    webhook_backoff_base_seconds: float = Field(default=30.0, gt=0)
    webhook_backoff_cap_seconds: float = Field(default=6 * 3600.0, gt=0)
    webhook_retry_window_seconds: float = Field(default=3 * 86400.0, gt=0)
    webhook_disable_after_seconds: float = Field(default=5 * 86400.0, gt=0)
    webhook_allow_private_urls: bool = False
    # points.expiring: points expiring within this many days are announced (0: never), unless
    # the tenant's program sets its own (configureProgram's expiringNoticeDays); the worker
    # looks every `webhook_expiring_check_seconds`.
    webhook_expiring_days: int = Field(default=7, ge=0, le=365)
    webhook_expiring_check_seconds: float = Field(default=300.0, gt=0)
    # Events (and their finished deliveries) are kept this long, then removed by the worker
    # on the same schedule as the points.expiring check.
    webhook_retention_days: int = Field(default=30, ge=1)

    # Startup and recovery (api/startup_checks.py, persistence/announcements.py,
    # api/http/readiness.py). How long a live API key is remembered by a process that hears
    # revocations announced (persistence/control_store.py).
    api_key_cache_seconds: float = 5.0
    # While the listening connection that carries the announcements of changes is down,
    # cached API keys, externalIds and programs are trusted this long only.
    unheard_cache_seconds: float = Field(default=1.0, ge=0)
    # Reopening a lost listening connection: the first wait, doubling up to the cap, jittered.
    listen_retry_first_seconds: float = Field(default=0.1, gt=0)
    listen_retry_max_seconds: float = Field(default=5.0, gt=0)
    # A quiet listening connection is asked this often whether it still answers.
    listen_check_seconds: float = Field(default=5.0, gt=0)
    listen_check_timeout: float = Field(default=2.0, gt=0)
    # Each check of /readyz gives up after this long.
    readiness_timeout: float = Field(default=2.0, gt=0)
    # /readyz calls the worker loop of this process stuck when it has made no progress (a
    # round begun, a tenant done) for this long; unset, three intervals plus a minute.
    worker_stale_seconds: float | None = Field(default=None, gt=0)

    # Objects alive after start-up are kept out of the garbage collector's sight (api/http/app.py).
    freeze_startup_objects: bool = True

    operator_session_hours: int = 12

    max_query_depth: int = 10
    max_aliases: int = 15
    max_tokens: int = 2000
    max_query_cost: int = 25_000
    max_page_size: int = 100
    # In production, refuse documents other than those in graphql/operations/, except from
    # operator sessions (api/http/persisted_queries.py).
    require_persisted_queries: bool = False
    # Where the persisted documents are; unset, the repository's graphql/operations/.
    operations_dir: Path | None = None
    # Automatic persisted queries (registered by sending text and hash, only while persisted
    # queries are not required): at most this many per tenant in Redis, the oldest dropped,
    # kept this long after the last registration (persistence/automatic_persisted_queries.py).
    apq_max_documents: int = 1_000
    apq_ttl_seconds: int = 86_400
    # How long a process trusts what it read of the trusted documents (registered manifests)
    # when it may have missed an announcement of their change.
    trusted_documents_cache_seconds: float = 5.0

    # The HTTP edge (docs/security/http-edge.md): a body (or a GET's query string) over
    # max_body_bytes is refused with 413 before it is parsed, a document over
    # max_query_length characters before it is parsed; parsed documents are cached per
    # schema within these byte budgets, callers without a secret key or operator session
    # in the smaller pool of their own; an answer failed by an unreachable database tells
    # the client to retry after unavailable_retry_seconds.
    max_body_bytes: int = 1_048_576
    # A member import's file sent to POST /imports/members (docs/agencies.md), read before
    # anything is written, refused with 413 past this size.
    max_import_bytes: int = 64 * 1_048_576
    # A tenant archive sent to POST /imports/tenant, written to a temporary file as it
    # arrives (never held in memory), refused with 413 past this size.
    max_tenant_archive_bytes: int = 1024 * 1_048_576
    max_query_length: int = 100_000
    document_cache_bytes: int = 32 * 1_048_576
    untrusted_document_cache_bytes: int = 8 * 1_048_576
    unavailable_retry_seconds: int = 5

    # Abuse throttling (docs/security/throttling.md). Password hashing runs on a small
    # thread pool so argon2 never blocks the event loop; beyond `password_hash_max_pending`
    # hashes in flight a login is refused with RATE_LIMITED rather than queued.
    password_hash_workers: int = 2
    password_hash_max_pending: int = 32
    # Failed logins, counted per account, per client address and per (account, address)
    # pair within `login_failure_window`; past each free budget a failure locks it for
    # `login_lockout` seconds, doubled by each further failure, capped at `login_max_lockout`.
    login_failure_window: int = 3600
    login_account_free: int = 10
    login_address_free: int = 50
    login_pair_free: int = 5
    login_lockout: int = 30
    login_max_lockout: int = 900
    # Request budgets in units per minute (a request spends 1 + its estimated cost //
    # `rate_limit_cost_unit`): per credential (anonymous callers: per client address),
    # and per tenant `rate_limit_tenant_factor` times that. A tenant may have its own
    # per-credential budget (control.tenants.rate_limit_per_minute).
    rate_limits_enabled: bool = True
    rate_limit_per_minute: int = 1200
    rate_limit_tenant_factor: int = 5
    rate_limit_cost_unit: int = 100
    # Tenants an agency may hold; only its owners and admins create them.
    max_tenants_per_agency: int = 50
    # How long an archived tenant waits before it may be deleted (docs/tenant-lifecycle.md).
    tenant_delete_grace_days: int = Field(default=30, ge=0)

    @property
    def production(self) -> bool:
        return self.environment == "production"

    @property
    def webhook_private_urls_allowed(self) -> bool:
        return self.webhook_allow_private_urls or not self.production

    @cached_property
    def resolved_secret_key(self) -> bytes:
        if self.secret_key:
            return self.secret_key.encode()
        if self.production:
            raise RuntimeError("LOYALTY_SECRET_KEY must be set in production")
        path = self.data_dir / "secret_key"
        if not path.exists():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_urlsafe(48))
            path.chmod(0o600)
        return path.read_text().strip().encode()

    def database_dsn(self) -> str:
        if self.database_url:
            return self.database_url
        from persistence.embedded import embedded_postgres

        return embedded_postgres(self.data_dir.resolve())

    def cluster_dsns(self) -> dict[str, str]:
        """LOYALTY_CLUSTERS as {name: URL}, the default cluster left out."""
        return _name_url_pairs(
            "LOYALTY_CLUSTERS", self.clusters, "the default cluster is LOYALTY_DATABASE_URL"
        )

    def cluster_listen_dsns(self) -> dict[str, str]:
        """LOYALTY_CLUSTER_LISTEN_URLS as {name: URL}: each name one of LOYALTY_CLUSTERS."""
        found = _name_url_pairs(
            "LOYALTY_CLUSTER_LISTEN_URLS",
            self.cluster_listen_urls,
            "the default cluster's is LOYALTY_LISTEN_DATABASE_URL",
        )
        unknown = sorted(set(found) - set(self.cluster_dsns()))
        if unknown:
            raise ValueError(
                f"LOYALTY_CLUSTER_LISTEN_URLS: no cluster named {', '.join(unknown)} in"
                " LOYALTY_CLUSTERS"
            )
        return found

    def redis_dsn(self) -> str:
        if self.redis_url:
            return self.redis_url
        from persistence.embedded import embedded_redis

        return embedded_redis(self.data_dir.resolve())


def _name_url_pairs(variable: str, value: str | None, default_note: str) -> dict[str, str]:
    """`name=URL` pairs separated by spaces or commas, as {name: URL}; `default` refused."""
    from domain.errors import DomainError
    from tenants.clusters import DEFAULT_CLUSTER, validate_cluster_name

    found: dict[str, str] = {}
    # A comma starts a new pair only before `name=`: a multi-host URL keeps its commas.
    for pair in re.split(r"[,\s]+(?=[a-z][a-z0-9_]*=)", (value or "").strip()):
        if not pair:
            continue
        name, sep, url = pair.partition("=")
        try:
            name = validate_cluster_name(name)
        except DomainError as wrong:
            raise ValueError(f"{variable}: {pair!r}: {wrong.message}") from None
        url = url.strip().rstrip(",")
        if not sep or not url or name == DEFAULT_CLUSTER or name in found:
            raise ValueError(f"{variable}: {pair!r} is not a new name=URL pair ({default_note})")
        found[name] = url
    return found
