"""The database's comparable_email (indexed, used to find look-alike members) and the
domain's agree on every address."""

from __future__ import annotations

from uuid import UUID

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.referrals import comparable_email

_local = st.text(alphabet="abcXYZ.+-_019", min_size=1, max_size=12)
_domain = st.sampled_from(["gmail.com", "GoogleMail.com", "example.com", "a.b.example"])
EMAILS = st.builds(lambda local, domain: f"{local}@{domain}", _local, _domain)


async def test_sql_and_python_comparable_emails_agree(services, tenant):
    schema = (await services.registry.get(UUID(tenant.id))).schema_name
    samples: list[str] = []

    @settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(EMAILS)
    def collect(email: str) -> None:
        samples.append(email)

    collect()
    samples += ["Ada.Lovelace+x@GMAIL.com", "x+y+z@example.com", "+only@example.com"]
    async with services.pool.acquire() as conn:
        rows = await conn.fetch(
            f'SELECT e, "{schema}".comparable_email(e) AS c FROM unnest($1::text[]) AS e',
            samples,
        )
    assert {r["e"]: r["c"] for r in rows} == {e: comparable_email(e) for e in samples}
