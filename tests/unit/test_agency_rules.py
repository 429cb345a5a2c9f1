"""Who in an agency may create tenants, how many it may hold (domain/agency.py), and what
its operators may set a tenant's request budget to (domain/rate_budget.py)."""

from __future__ import annotations

import pytest

from domain.agency import require_may_create_tenant, require_room_for_tenant
from domain.errors import DomainError, ErrorCode, Forbidden
from domain.rate_budget import require_operator_budget


@pytest.mark.parametrize("roles", [["OWNER"], ["ADMIN"], ["VIEWER", "ADMIN"]])
def test_owners_and_admins_may_create_tenants(roles):
    require_may_create_tenant(roles, agency_tenants=3)


@pytest.mark.parametrize("roles", [["VIEWER"], []])
def test_viewers_and_strangers_may_not(roles):
    with pytest.raises(Forbidden):
        require_may_create_tenant(roles, agency_tenants=3)


def test_the_founder_of_an_empty_agency_may_create_its_first_tenant():
    require_may_create_tenant([], agency_tenants=0)


def test_an_agency_at_its_limit_gets_no_more_tenants():
    require_room_for_tenant(49, limit=50)
    with pytest.raises(DomainError) as refused:
        require_room_for_tenant(50, limit=50)
    assert refused.value.code is ErrorCode.LIMIT_REACHED


@pytest.mark.parametrize("per_minute", [None, 1, 1200])
def test_an_operator_may_lower_a_budget_or_reset_it(per_minute):
    require_operator_budget(per_minute, platform_default=1200)


@pytest.mark.parametrize("per_minute", [0, -5, 1201])
def test_an_operator_may_not_raise_a_budget_past_the_default(per_minute):
    with pytest.raises(DomainError) as refused:
        require_operator_budget(per_minute, platform_default=1200)
    assert refused.value.field == ("perMinute",)
