"""The `loyalty` commands that read the control schema, and revoke a key: `tenant list`,
`operator list`, `apikey list` and `apikey revoke`. Each prints one line per row (tab
separated, for `cut` and `column -t`), or with `--json` one JSON array."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Awaitable, Callable, Sequence
from typing import Any
from uuid import UUID


def _cell(value: Any) -> str:
    if value is None:
        return ""
    return ",".join(value) if isinstance(value, list) else str(value)


def _print(args: argparse.Namespace, rows: Sequence[dict[str, Any]]) -> None:
    if args.json:
        print(json.dumps(list(rows)))
        return
    for row in rows:
        print("\t".join(_cell(v) for v in row.values()))


def _key_row(key: Any) -> dict[str, Any]:
    return {
        "id": str(key.id),
        "kind": key.kind,
        "prefix": key.prefix,
        "name": key.name,
        "createdAt": key.created_at.isoformat(),
        "revokedAt": key.revoked_at.isoformat() if key.revoked_at else None,
    }


def cmd_tenant_list(args: argparse.Namespace, run: Callable[..., int]) -> int:
    async def go(services: Any) -> int:
        tenants = await services.registry.all()
        _print(
            args,
            [
                {
                    "slug": t.slug,
                    "name": t.name,
                    "status": t.status,
                    "schema": t.schema_name,
                    "cluster": t.placement,
                    "id": str(t.id),
                    "createdAt": t.created_at.isoformat(),
                }
                for t in tenants
            ],
        )
        return 0

    return run(go)


def cmd_operator_list(args: argparse.Namespace, run: Callable[..., int]) -> int:
    async def go(services: Any) -> int:
        operators = await services.control.operators()
        _print(
            args,
            [
                {
                    "email": o.email,
                    "name": o.name,
                    "role": o.role,
                    "agency": o.agency,
                    "tenants": list(o.tenants),
                }
                for o in operators
            ],
        )
        return 0

    return run(go)


async def _tenant(services: Any, slug: str) -> Any:
    tenant = await services.registry.by_slug(slug)
    if tenant is None:
        print(f"no tenant {slug}", file=sys.stderr)
    return tenant


def cmd_apikey_list(args: argparse.Namespace, run: Callable[..., int]) -> int:
    async def go(services: Any) -> int:
        tenant = await _tenant(services, args.tenant)
        if tenant is None:
            return 1
        keys = await services.control.api_keys(tenant.id)
        shown = [k for k in keys if args.all or k.revoked_at is None]
        _print(args, [_key_row(k) for k in shown])
        return 0

    return run(go)


def cmd_apikey_revoke(args: argparse.Namespace, run: Callable[..., int]) -> int:
    """Revokes the tenant's key named by its id, or by its prefix when one key has it: every
    server refuses it at once (the revocation is announced as revokeApiKey's is)."""

    async def go(services: Any) -> int:
        tenant = await _tenant(services, args.tenant)
        if tenant is None:
            return 1
        key_id = await _key_id(services, tenant.id, args.key)
        if key_id is None:
            print(f"no key {args.key} of tenant {args.tenant}", file=sys.stderr)
            return 1
        revoked = await services.control.revoke_api_key(tenant.id, key_id)
        assert revoked is not None  # found on this tenant just above; keys are never deleted
        _print(args, [_key_row(revoked)])
        return 0

    return run(go)


async def _key_id(services: Any, tenant_id: UUID, given: str) -> UUID | None:
    keys = await services.control.api_keys(tenant_id)
    try:
        wanted = UUID(given)
    except ValueError:
        matching = [k.id for k in keys if k.prefix == given]
        return matching[0] if len(matching) == 1 else None
    return wanted if any(k.id == wanted for k in keys) else None


def add_commands(
    tenant: Any,
    apikey: Any,
    operator: Any,
    run: Callable[[Callable[[Any], Awaitable[int]]], int],
) -> None:
    """Adds the list and revoke commands to the `tenant`, `apikey` and `operator` groups."""

    def bound(
        fn: Callable[[argparse.Namespace, Callable[..., int]], int],
    ) -> Callable[[argparse.Namespace], int]:
        return lambda args: fn(args, run)

    tl = tenant.add_parser("list", help="every tenant: slug, name, status, schema, id")
    tl.add_argument("--json", action="store_true")
    tl.set_defaults(fn=bound(cmd_tenant_list))

    kl = apikey.add_parser("list", help="a tenant's keys (never the keys themselves)")
    kl.add_argument("--tenant", required=True, help="tenant slug")
    kl.add_argument("--all", action="store_true", help="revoked keys too")
    kl.add_argument("--json", action="store_true")
    kl.set_defaults(fn=bound(cmd_apikey_list))
    kr = apikey.add_parser("revoke", help="revoke a tenant's key at once, on every server")
    kr.add_argument("--tenant", required=True, help="tenant slug")
    kr.add_argument("key", help="the key's id, or its prefix as `apikey list` shows it")
    kr.add_argument("--json", action="store_true")
    kr.set_defaults(fn=bound(cmd_apikey_revoke))

    ol = operator.add_parser("list", help="every operator: email, name, role, agency, tenants")
    ol.add_argument("--json", action="store_true")
    ol.set_defaults(fn=bound(cmd_operator_list))
