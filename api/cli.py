"""The `loyalty` command: serve, demo, migrate, tenant create/list/export/import/move, apikey
create/list/revoke, operator create/invite/grant/list, import members, embedded stop, schema,
persisted-queries (the list and revoke commands are in api/cli_lists.py)."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
from collections.abc import Awaitable, Callable
from typing import Any

from api.cli_lists import add_commands
from api.settings import Settings


async def _with_services(fn: Callable[[Any], Awaitable[int]]) -> int:
    from api.services import Services
    from domain.errors import DomainError

    services = await Services.start(Settings())
    try:
        return await fn(services)
    except DomainError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 1
    finally:
        await services.close()


def _run(fn: Callable[[Any], Awaitable[int]]) -> int:
    return asyncio.run(_with_services(fn))


_CLUSTER_HELP = (
    "the PostgreSQL cluster for its schema: `default` or a name of LOYALTY_CLUSTERS"
    " (default: the one holding the fewest tenants)"
)


def cmd_serve(args: argparse.Namespace) -> int:
    from api.serving import serve, stopping_embedded
    from api.startup_checks import refuse_unsafe_start

    # Links the server prints and builds (GraphQL URL, referral URLs) follow --host/--port
    # unless a public URL is configured.
    os.environ.setdefault("LOYALTY_PUBLIC_URL", f"http://{args.host}:{args.port}")
    settings = Settings()
    refuse_unsafe_start(settings)  # before embedded servers, the demo or the port
    # After the check: the app imports the engine, which fails outright on a missing name.
    from api.http.app import create_app

    banner: list[str] = []

    async def prepare(services: Any) -> int:
        # Starts the embedded servers, migrates the control schema, makes the demo tenant.
        if args.demo:
            banner.append(await _demo_text(services, as_json=False))
        return 0

    with stopping_embedded(settings) as stopping:
        if _run(prepare) != 0:
            return 1
        app = create_app(settings, worker=not args.no_worker)
        serve(stopping, app, host=args.host, port=args.port, banner="".join(banner) or None)
    return 0


def cmd_worker(args: argparse.Namespace) -> int:
    from api.worker import run_forever, run_once

    async def go(services: Any) -> int:
        if args.once:
            print(await run_once(services))
        else:
            await run_forever(services, args.interval or services.settings.worker_interval)
        return 0

    return _run(go)


async def _demo_text(services: Any, *, as_json: bool) -> str:
    from api.demo import as_dict, create_demo, describe
    from api.worker import run_once

    creds = await create_demo(services)
    # The jobs a new tenant's data calls for (its members' segments) run now, so the
    # server's own first round has nothing to report after the credentials are shown.
    await run_once(services)
    return json.dumps(as_dict(creds)) if as_json else describe(creds)


def cmd_demo(args: argparse.Namespace) -> int:
    async def go(services: Any) -> int:
        print(await _demo_text(services, as_json=args.json), flush=True)
        return 0

    return _run(go)


def cmd_migrate(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from persistence import migrator
    from tenants.migrate_all import migrate_all
    from tenants.registry import TenantRegistry

    async def go(services: Any) -> int:
        total = len(await TenantRegistry(services.pool).schemas())
        # Drawn at every tenant (no time throttle): a run that is killed shows how far it got.
        with tqdm(total=total, unit="tenant", disable=args.quiet, mininterval=0) as bar:
            summary = await migrate_all(
                services.pool,
                migrator=migrator,
                concurrency=args.concurrency,
                on_progress=lambda _: bar.update(),
                clusters=services.clusters,
            )
        print("\n".join(summary.lines()))
        return 0 if summary.ok else 1

    return _run(go)


def cmd_tenant_create(args: argparse.Namespace) -> int:
    from persistence import migrator
    from tenants.provisioning import create_tenant

    async def go(services: Any) -> int:
        owner = await services.control.operator_by_email(args.owner) if args.owner else None
        if args.owner and owner is None:
            print(f"no operator {args.owner}", file=sys.stderr)
            return 1
        tenant = await create_tenant(
            services.pool,
            migrator=migrator,
            slug=args.slug,
            name=args.name,
            agency_id=owner.agency_id if owner else None,
            owner_id=owner.id if owner else None,
            placement=await services.clusters.for_new_tenant(args.cluster),
        )
        print(
            f"tenant {tenant.slug} ({tenant.id}) in schema {tenant.schema_name}"
            f" on cluster {tenant.placement}"
        )
        return 0

    return _run(go)


def cmd_tenant_export(args: argparse.Namespace) -> int:
    """The tenant's archive written to FILE (through a temporary file beside it, renamed
    when complete: a failed export leaves no partial archive)."""
    from pathlib import Path

    from tqdm import tqdm

    from persistence.tenant_archive.writer import estimated_rows, export_tenant

    target = Path(args.file)
    partial = target.with_name(target.name + ".partial")

    async def go(services: Any) -> int:
        tenant = await services.registry.by_slug(args.slug)
        if tenant is None:
            print(f"no tenant {args.slug}", file=sys.stderr)
            return 1
        total = await estimated_rows(services.clusters.of(tenant), tenant)
        size = 0
        with (
            tqdm(total=total, unit="row", disable=args.quiet) as bar,
            partial.open("wb") as out,
        ):
            async for chunk in export_tenant(
                services.clusters.of(tenant), tenant, on_rows=lambda _, n: bar.update(n)
            ):
                size += out.write(chunk)
        partial.replace(target)
        print(f"tenant {tenant.slug} exported to {target} ({size} bytes)")
        return 0

    try:
        return _run(go)
    finally:
        partial.unlink(missing_ok=True)


def cmd_tenant_import(args: argparse.Namespace) -> int:
    """A new tenant from an archive: checked against its manifest, then loaded at once."""
    from pathlib import Path

    from tqdm import tqdm

    from domain.tenant_archive import MANIFEST, parse_manifest
    from persistence.tenant_archive.importer import import_tenant
    from persistence.tenant_archive.reader import open_archive

    path = Path(args.file)

    async def go(services: Any) -> int:
        owner = await services.control.operator_by_email(args.owner) if args.owner else None
        if args.owner and owner is None:
            print(f"no operator {args.owner}", file=sys.stderr)
            return 1
        with open_archive(path) as archive:
            try:
                total = parse_manifest(archive.read(MANIFEST)).total_rows()
            except KeyError:
                total = 0  # refused with its reason by the import itself
        with (
            tqdm(total=total, unit="row", desc="verify", disable=args.quiet) as checked,
            tqdm(total=total, unit="row", desc="load", disable=args.quiet) as loaded,
        ):
            tenant = await import_tenant(
                services.pool,
                path,
                slug=args.slug,
                name=args.name,
                agency_id=owner.agency_id if owner else None,
                owner_id=owner.id if owner else None,
                on_verified=lambda _, n: checked.update(n),
                on_loaded=lambda _, n: loaded.update(n),
                placement=await services.clusters.for_new_tenant(args.cluster),
            )
        print(f"tenant {tenant.slug} ({tenant.id}) imported from {path}")
        return 0

    return _run(go)


def cmd_tenant_move(args: argparse.Namespace) -> int:
    """The tenant's schema copied to another cluster and its placement switched, its id and
    keys kept; suspended meanwhile (persistence/tenant_move.py); `moveTenant` in the agency's
    audit log."""
    from domain.audit import command_line
    from persistence.tenant_move import move_tenant

    async def go(services: Any) -> int:
        tenant = await services.registry.by_slug(args.slug)
        if tenant is None:
            print(f"no tenant {args.slug}", file=sys.stderr)
            return 1

        async def unrecorded(conn: Any, changed: Any) -> None:
            return None  # steps of the move: the agency's log records the move itself

        moved = await move_tenant(
            services.clusters,
            tenant,
            args.to,
            now=services.clock.now,
            record=unrecorded,
            by=command_line("tenant move"),
            settle_seconds=args.settle,
        )
        print(f"tenant {moved.slug} moved from {tenant.placement} to {moved.placement}")
        return 0

    return _run(go)


def cmd_apikey_create(args: argparse.Namespace) -> int:
    from api.auth.keys import display_prefix, hash_key, new_key

    async def go(services: Any) -> int:
        tenant = await services.registry.by_slug(args.tenant)
        if tenant is None:
            print(f"no tenant {args.tenant}", file=sys.stderr)
            return 1
        kind = args.kind.upper()
        key = new_key(kind)
        await services.control.add_api_key(
            tenant.id,
            kind,
            args.name,
            display_prefix(key),
            hash_key(key, services.settings.resolved_secret_key),
        )
        print(key)
        return 0

    return _run(go)


def cmd_tenant_rate_limit(args: argparse.Namespace) -> int:
    """Sets a tenant's own request budget, or with `default` returns it to the default."""
    if args.per_minute != "default" and not args.per_minute.isdecimal():
        print("error: give a whole number of units per minute, or 'default'", file=sys.stderr)
        return 1
    per_minute = None if args.per_minute == "default" else int(args.per_minute)

    async def go(services: Any) -> int:
        tenant = await services.registry.by_slug(args.slug)
        if tenant is None:
            print(f"no tenant {args.slug}", file=sys.stderr)
            return 1
        await services.abuse.tenant_limits.set(tenant.id, per_minute)
        shown = per_minute or f"default ({services.settings.rate_limit_per_minute})"
        print(f"tenant {tenant.slug}: {shown} units per minute per credential")
        return 0

    return _run(go)


def cmd_operator_create(args: argparse.Namespace) -> int:
    """A new operator founding a new agency. The tenants named must belong to no agency yet
    (made with `tenant create` and no owner): they join the new one. To add someone to an
    existing agency, use `operator invite`."""
    from domain.emails import canonical_email
    from domain.password_strength import require_strong_password

    email = canonical_email(args.email)

    async def go(services: Any) -> int:
        require_strong_password(args.password, email)
        if await services.control.operator_by_email(email) is not None:
            print(f"error: an operator {email} exists", file=sys.stderr)
            return 1
        tenants = []
        for slug in args.tenant or []:
            tenant = await services.registry.by_slug(slug)
            if tenant is None:
                print(f"no tenant {slug}", file=sys.stderr)
                return 1
            if tenant.agency_id is not None:
                print(
                    f"error: tenant {slug} belongs to another agency: an operator of it"
                    " invites you (`loyalty operator invite`)",
                    file=sys.stderr,
                )
                return 1
            tenants.append(tenant)
        agency_id = await services.control.create_agency(args.agency or email)
        password_hash = await services.abuse.passwords.hash(args.password)
        operator = await services.control.create_operator(
            email, password_hash, args.name, agency_id, args.role.upper()
        )
        for tenant in tenants:
            if not await services.control.adopt_tenant(tenant.id, agency_id):
                print(f"error: tenant {tenant.slug} joined another agency", file=sys.stderr)
                return 1
            services.registry.forget(tenant.id)
            await services.control.grant(operator.id, tenant.id)
        print(f"operator {operator.email} ({operator.id})")
        return 0

    return _run(go)


def cmd_embedded_stop(args: argparse.Namespace) -> int:
    from persistence.embedded import stop_embedded

    data_dir = Settings().data_dir.resolve()
    stopped = stop_embedded(data_dir)
    if stopped:
        print(f"stopped the embedded {' and '.join(stopped)} of {data_dir}")
    else:
        print(f"no embedded server of {data_dir} was running")
    return 0


async def _operator(services: Any, email: str) -> Any:
    from domain.emails import canonical_email
    from domain.errors import NotFound

    operator = await services.control.operator_by_email(canonical_email(email))
    if operator is None or operator.agency_id is None:
        raise NotFound(f"no operator {email} in an agency")
    return operator


async def _agency_tenant(services: Any, agency_id: Any, slug: str) -> Any:
    """The tenant `slug` if it is of the agency; the same refusal whether it is another
    agency's or none at all."""
    from domain.errors import NotFound

    tenant = await services.registry.by_slug(slug)
    if tenant is None or tenant.agency_id != agency_id:
        raise NotFound(f"no tenant {slug} in that agency")
    return tenant


def cmd_operator_invite(args: argparse.Namespace) -> int:
    """An invitation into the agency of the operator `--by`, with that operator's powers:
    prints the token, which the person invited gives to acceptInvitation."""
    from api.auth.invitations import invite
    from domain.roles import Role

    async def go(services: Any) -> int:
        inviter = await _operator(services, args.by)
        tenants = [await _agency_tenant(services, inviter.agency_id, s) for s in args.tenant or []]
        record, token = await invite(
            services,
            agency_id=inviter.agency_id,
            inviter_id=inviter.id,
            inviter_role=Role(inviter.role),
            email=args.email,
            role=Role(args.role.upper()),
            tenant_ids=[t.id for t in tenants],
        )
        print(f"invitation for {record.email} as {record.role}, until {record.expires_at:%c}")
        print(token)
        return 0

    return _run(go)


def cmd_operator_grant(args: argparse.Namespace) -> int:
    """Access to a tenant of the operator's own agency, with its role there."""

    async def go(services: Any) -> int:
        operator = await _operator(services, args.email)
        for slug in args.tenant:
            tenant = await _agency_tenant(services, operator.agency_id, slug)
            await services.control.grant(operator.id, tenant.id)
            print(f"{operator.email}: {operator.role} on {tenant.slug}")
        return 0

    return _run(go)


def cmd_import_members(args: argparse.Namespace) -> int:
    """Members with opening balances from a CSV or JSON Lines file (docs/agencies.md,
    "Importing members"). Running the same file again resumes it, never doubling a row."""
    from pathlib import Path

    from tqdm import tqdm

    from api.member_import_runner import reported_rows, run_file
    from domain.member_import import ImportFormat
    from domain.member_import_files import ImportFile

    path = Path(args.file)
    if args.batch_rows < 1:
        print("error: --batch-rows must be 1 or more", file=sys.stderr)
        return 1
    if not path.is_file():
        print(f"error: no file {path}", file=sys.stderr)
        return 1
    file = ImportFile.of(path.read_bytes(), ImportFormat(args.format) if args.format else None)

    async def go(services: Any) -> int:
        tenant = await services.registry.by_slug(args.tenant)
        if tenant is None:
            print(f"no tenant {args.tenant}", file=sys.stderr)
            return 1
        with tqdm(unit="row", disable=args.quiet) as bar:
            job = await run_file(
                services.clusters.of(tenant),
                tenant.schema_name,
                services.clock,
                file,
                actor=f"cli:{path.name}",
                on_start=lambda total: bar.reset(total=total),
                on_progress=bar.update,
                batch_rows=args.batch_rows,
            )
        print(_import_report(job))
        for error in await reported_rows(services.clusters.of(tenant), tenant.schema_name, job.id):
            column = f" {error.field}:" if error.field else ""
            print(f"line {error.line}:{column} {error.message} ({error.code})", file=sys.stderr)
        return 0 if job.status.value == "FINISHED" and job.tally.failed == 0 else 2

    return _run(go)


def _import_report(job: Any) -> str:
    from domain.member_import import ImportStatus

    if job.status is ImportStatus.FAILED:
        return f"import {job.id} failed: {job.failure}"
    t = job.tally
    lines = [
        f"import {job.id}: {t.rows} rows, {t.imported} imported, {t.already_imported} imported"
        f" before, {t.failed} reported, {t.points} points opened",
    ]
    if job.ignored_columns:
        lines.append(f"columns ignored: {', '.join(job.ignored_columns)}")
    return "\n".join(lines)


def cmd_schema(args: argparse.Namespace) -> int:
    from api.schema.field_index import README
    from api.schema_export import SCHEMA_FILE, current_index_readme, current_sdl

    sdl, readme = current_sdl(), current_index_readme()
    if args.check:
        same = SCHEMA_FILE.exists() and SCHEMA_FILE.read_text() == sdl
        print("schema.graphql is current" if same else "schema.graphql is out of date")
        indexed = README.read_text() == readme
        print(
            "the field index is current"
            if indexed
            else f"the field index in {README} is out of date"
        )
        return 0 if same and indexed else 1
    SCHEMA_FILE.write_text(sdl)
    README.write_text(readme)
    print(f"wrote {SCHEMA_FILE} and the field index in {README}")
    return 0


def cmd_persisted_queries(args: argparse.Namespace) -> int:
    from api.http.persisted_queries import PersistedQueries

    # Only the files are read: client builds run this without a database.
    persisted = PersistedQueries.from_settings(Settings())
    if args.format == "apollo":
        manifest: object = persisted.apollo_manifest(args.client)
    elif args.format == "relay":
        manifest = persisted.relay_manifest(args.client)
    else:
        manifest = persisted.manifest()
    print(json.dumps(manifest, indent=2))
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="loyalty", description="Multi-tenant loyalty platform")
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser("serve", help="serve GraphQL (embedded Postgres/Redis unless configured)")
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=int, default=8000)
    s.add_argument("--demo", action="store_true", help="create the demo tenant first")
    s.add_argument(
        "--no-worker", action="store_true", help="do not run the time-driven jobs in this process"
    )
    s.set_defaults(fn=cmd_serve)

    w = sub.add_parser("worker", help="run the time-driven jobs (maturing, expiry, birthdays)")
    w.add_argument("--once", action="store_true", help="one round over every tenant, then exit")
    w.add_argument("--interval", type=float, help="seconds between rounds")
    w.set_defaults(fn=cmd_worker)

    d = sub.add_parser("demo", help="create a demo tenant and print its credentials")
    d.add_argument("--json", action="store_true")
    d.set_defaults(fn=cmd_demo)

    m = sub.add_parser("migrate", help="migrate the control schema, then every tenant schema")
    m.add_argument("--concurrency", type=int, default=4)
    m.add_argument("--quiet", action="store_true", help="no progress bar")
    m.set_defaults(fn=cmd_migrate)

    t = sub.add_parser("tenant", help="create, list, export and import tenants").add_subparsers(
        dest="action", required=True
    )
    tc = t.add_parser("create")
    tc.add_argument("--slug", required=True)
    tc.add_argument("--name", required=True)
    tc.add_argument("--owner", help="email of an operator to make owner")
    tc.add_argument("--cluster", help=_CLUSTER_HELP)
    tc.set_defaults(fn=cmd_tenant_create)
    te = t.add_parser("export", help="write a tenant's archive (zip of JSON Lines)")
    te.add_argument("slug")
    te.add_argument("file", help="the archive to write, e.g. shop.zip")
    te.add_argument("--quiet", action="store_true", help="no progress bar")
    te.set_defaults(fn=cmd_tenant_export)
    ti = t.add_parser("import", help="a new tenant from an archive")
    ti.add_argument("file", help="an archive written by `tenant export`")
    ti.add_argument("--slug", required=True, help="the new tenant's slug")
    ti.add_argument("--name", help="the new tenant's name (default: the archived one's)")
    ti.add_argument("--owner", help="email of an operator: the tenant joins its agency")
    ti.add_argument("--cluster", help=_CLUSTER_HELP)
    ti.add_argument("--quiet", action="store_true", help="no progress bars")
    ti.set_defaults(fn=cmd_tenant_import)
    tm = t.add_parser("move", help="move a tenant's schema to another cluster")
    tm.add_argument("slug")
    tm.add_argument("--to", required=True, help="`default` or a name of LOYALTY_CLUSTERS")
    tm.add_argument(
        "--settle",
        type=float,
        default=5.0,
        help="seconds to wait once suspended, for requests already admitted (default 5)",
    )
    tm.set_defaults(fn=cmd_tenant_move)
    tr = t.add_parser("rate-limit", help="a tenant's request budget per credential")
    tr.add_argument("--slug", required=True)
    tr.add_argument("per_minute", help="units per minute, or 'default'")
    tr.set_defaults(fn=cmd_tenant_rate_limit)

    k = sub.add_parser("apikey", help="create, list and revoke API keys").add_subparsers(
        dest="action", required=True
    )
    kc = k.add_parser("create")
    kc.add_argument("--tenant", required=True, help="tenant slug")
    kc.add_argument("--kind", choices=["secret", "publishable"], default="secret")
    kc.add_argument("--name", default="")
    kc.set_defaults(fn=cmd_apikey_create)

    roles = ["owner", "admin", "viewer"]
    o = sub.add_parser("operator", help="operators and their agencies").add_subparsers(
        dest="action", required=True
    )
    oc = o.add_parser("create", help="a new operator founding a new agency")
    oc.add_argument("--email", required=True)
    oc.add_argument("--password", required=True, help="at least 12 characters, not a common one")
    oc.add_argument("--name")
    oc.add_argument("--agency", help="agency name (default: the email)")
    oc.add_argument(
        "--tenant", action="append", help="a tenant of no agency yet, to join (repeatable)"
    )
    oc.add_argument("--role", choices=roles, default="owner")
    oc.set_defaults(fn=cmd_operator_create)
    oi = o.add_parser("invite", help="invite someone into an operator's agency")
    oi.add_argument("--by", required=True, help="email of an owner or admin of the agency")
    oi.add_argument("--email", required=True, help="whom to invite")
    oi.add_argument("--role", choices=roles, default="viewer")
    oi.add_argument("--tenant", action="append", help="a tenant of the agency (repeatable)")
    oi.set_defaults(fn=cmd_operator_invite)
    og = o.add_parser("grant", help="give an operator a tenant of its own agency")
    og.add_argument("--email", required=True)
    og.add_argument("--tenant", action="append", required=True, help="tenant slug (repeatable)")
    og.set_defaults(fn=cmd_operator_grant)
    add_commands(t, k, o, _run)

    im = sub.add_parser("import", help="bulk imports").add_subparsers(dest="action", required=True)
    imm = im.add_parser(
        "members", help="members with opening balances from a CSV or JSON Lines file"
    )
    imm.add_argument("--tenant", required=True, help="tenant slug")
    imm.add_argument("--format", choices=["CSV", "JSONL"], help="default: from the content")
    imm.add_argument("--quiet", action="store_true", help="no progress bar")
    imm.add_argument("--batch-rows", type=int, default=5000, help="rows per transaction")
    imm.add_argument("file")
    imm.set_defaults(fn=cmd_import_members)

    e = sub.add_parser("embedded", help="the embedded PostgreSQL and Redis").add_subparsers(
        dest="action", required=True
    )
    es = e.add_parser("stop", help="stop the embedded servers of LOYALTY_DATA_DIR (data stays)")
    es.set_defaults(fn=cmd_embedded_stop)

    sc = sub.add_parser("schema", help="write graphql/schema.graphql from the code")
    sc.add_argument("--check", action="store_true", help="only check that it is current")
    sc.set_defaults(fn=cmd_schema)

    pq = sub.add_parser(
        "persisted-queries",
        help="print the persisted documents as JSON: {sha256: {name, client, path}}",
    )
    pq.add_argument(
        "--format",
        choices=("index", "apollo", "relay"),
        default="index",
        help="index (the default), or a client manifest: Apollo's persisted-query manifest"
        " or Relay's {id: text}",
    )
    pq.add_argument(
        "--client", help="only the documents of this client (storefront, mobile, agency)"
    )
    pq.set_defaults(fn=cmd_persisted_queries)
    return p


# sysexits.h EX_CONFIG: a supervisor can tell a configuration error from a crash.
EXIT_CONFIG = 78


def main(argv: list[str] | None = None) -> int:
    from pydantic import ValidationError

    from api.startup_checks import StartupRefused, invalid_settings

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    args = parser().parse_args(argv)
    try:
        code: int = args.fn(args)
    except StartupRefused as refused:
        print(f"loyalty: {refused}", file=sys.stderr)
        return EXIT_CONFIG
    except ValidationError as invalid:
        print(f"loyalty: {invalid_settings(invalid)}", file=sys.stderr)
        return EXIT_CONFIG
    return code


if __name__ == "__main__":
    sys.exit(main())
