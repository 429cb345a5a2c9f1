"""`loyalty demo`: an agency, an operator, a tenant with members and points, and its keys."""

from __future__ import annotations

import secrets
from dataclasses import asdict, dataclass
from decimal import Decimal

from api.auth.keys import display_prefix, hash_key, new_key
from api.services import Services
from domain.catalog import create_reward, draft_reward
from domain.enrolment import enroll
from domain.members import draft
from domain.points import AdjustPoints, adjust_points
from domain.rewards import RewardKind
from domain.tier_definitions import TierDraft, create_tier
from persistence import migrator
from persistence.uow import PgUnitOfWorkFactory
from tenants.provisioning import create_tenant

DEMO_SLUG = "demo"
DEMO_EMAIL = "owner@demo.example"
DEMO_MEMBERS = [
    ("cust-1001", "ada@demo.example", "Ada Lovelace", 1200),
    ("cust-1002", "grace@demo.example", "Grace Hopper", 450),
    ("cust-1003", "alan@demo.example", "Alan Turing", 80),
    ("cust-1004", "edsger@demo.example", "Edsger Dijkstra", 0),
]
DEMO_REWARDS: list[dict[str, object]] = [
    {"name": "$5 off", "kind": RewardKind.FIXED_AMOUNT, "value_minor": 500, "points_cost": 500},
    {"name": "Free shipping", "kind": RewardKind.FREE_SHIPPING, "points_cost": 300},
    {
        "name": "10% off (up to $20)",
        "kind": RewardKind.PERCENTAGE,
        "percentage": Decimal(10),
        "max_discount_minor": 2000,
        "points_cost": 800,
        "eligible_tiers": ("Gold",),
    },
]
DEMO_TIERS = [
    TierDraft("Silver", 500, perks=("Free shipping",)),
    TierDraft("Gold", 1000, Decimal("1.5"), ("Free shipping", "Early access to new blends")),
]


@dataclass
class DemoCredentials:
    graphql_url: str
    tenant: str
    secret_key: str
    publishable_key: str
    operator_email: str
    operator_password: str


async def create_demo(services: Services) -> DemoCredentials:
    """Idempotent: a second run keeps the data, resets the operator password, adds new keys."""
    control = services.control
    password = secrets.token_urlsafe(12)
    password_hash = await services.abuse.passwords.hash(password)
    operator = await control.operator_by_email(DEMO_EMAIL)
    if operator is None:
        agency_id = await control.create_agency("Demo Agency")
        operator = await control.create_operator(DEMO_EMAIL, password_hash, "Demo Owner", agency_id)
    else:
        await control.set_password_hash(operator.id, password_hash)

    tenant = await services.registry.by_slug(DEMO_SLUG)
    if tenant is None:
        tenant = await create_tenant(
            services.pool,
            migrator=migrator,
            slug=DEMO_SLUG,
            name="Demo Coffee Co.",
            agency_id=operator.agency_id,
            owner_id=operator.id,
            placement=await services.clusters.for_new_tenant(),
        )
        uow = PgUnitOfWorkFactory(services.clusters.of(tenant), tenant.schema_name)
        cache = services.balances.for_tenant(tenant.id)
        today = services.clock.now().date()
        for tier in DEMO_TIERS:
            await create_tier(uow, services.clock, tier)
        for reward in DEMO_REWARDS:
            await create_reward(uow, draft_reward(reward, services.clock))
        for external_id, email, name, points in DEMO_MEMBERS:
            member = await enroll(
                uow,
                services.clock,
                draft(external_id=external_id, email=email, name=name, birthday=None, today=today),
            )
            if points:
                await adjust_points(
                    uow,
                    cache,
                    services.clock,
                    AdjustPoints(member.id, points, "points", "Welcome bonus", "demo data", None),
                )
    await control.grant(operator.id, tenant.id, "OWNER")

    keys = {}
    for kind in ("SECRET", "PUBLISHABLE"):
        key = new_key(kind)
        await control.add_api_key(
            tenant.id,
            kind,
            "demo",
            display_prefix(key),
            hash_key(key, services.settings.resolved_secret_key),
        )
        keys[kind] = key
    return DemoCredentials(
        graphql_url=services.settings.public_url.rstrip("/") + "/graphql",
        tenant=tenant.slug,
        secret_key=keys["SECRET"],
        publishable_key=keys["PUBLISHABLE"],
        operator_email=DEMO_EMAIL,
        operator_password=password,
    )


def describe(creds: DemoCredentials) -> str:
    return "\n".join(
        [
            "Demo tenant ready.",
            f"  GraphQL:          {creds.graphql_url}",
            f"  tenant:           {creds.tenant}  (X-Tenant header for operators)",
            f"  secret key:       {creds.secret_key}",
            f"  publishable key:  {creds.publishable_key}",
            f"  operator:         {creds.operator_email} / {creds.operator_password}",
        ]
    )


def as_dict(creds: DemoCredentials) -> dict[str, str]:
    return asdict(creds)
