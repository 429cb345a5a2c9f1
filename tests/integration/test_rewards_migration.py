"""0007_rewards upgrades a schema that already holds rewards and issued codes."""

from __future__ import annotations

from uuid import UUID

from persistence import migrator
from tenants.migrate_all import migrate_all
from tests.support.rewards import code_of, make_reward

VALIDATE = """
query Validate($code: String!, $subtotal: Int!) {
  validateCode(code: $code, subtotal: $subtotal) { valid discount }
}
"""
# What 0007 adds, taken away again: the schema as it was at the version before.
BEFORE_0007 = """
DROP INDEX reward_codes_code;
DROP INDEX redemptions_member_seq;
ALTER TABLE rewards DROP COLUMN code_alphabet;
ALTER TABLE redemptions DROP COLUMN kind, DROP COLUMN percentage,
    DROP COLUMN max_discount_minor, DROP COLUMN sku, DROP COLUMN min_order_minor;
"""


async def test_codes_issued_before_the_upgrade_keep_their_terms(gql, services, tenant, enroll):
    reward_id = await make_reward(
        gql, tenant, kind="PERCENTAGE", value=None, percentage="20", maxDiscount=700
    )
    member = await enroll(tenant, points=100)
    code = await code_of(gql, tenant, reward_id, member)
    schema = (await services.registry.get(UUID(tenant.id))).schema_name
    async with services.pool.acquire() as conn, conn.transaction():
        await conn.execute(f'SET LOCAL search_path TO "{schema}"')
        await conn.execute(BEFORE_0007)
        await conn.execute(
            "DELETE FROM control.schema_migrations WHERE schema_name = $1 AND version = 7", schema
        )

    summary = await migrate_all(services.pool, migrator=migrator, schemas=[schema])

    assert summary.ok and summary.upgraded == {schema: [7]}
    check = await gql(VALIDATE, {"code": code, "subtotal": 10000}, token=tenant.secret_key)
    assert check["validateCode"] == {"valid": True, "discount": 700}
