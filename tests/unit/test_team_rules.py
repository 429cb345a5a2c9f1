"""The rule table of operator roles, who may manage whom, and password strength."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from graphql import build_schema

from api.schema_export import SCHEMA_FILE
from domain.errors import DomainError, ErrorCode, Forbidden
from domain.password_strength import require_strong_password
from domain.roles import MUTATION_POWERS, Power, Role, may, require_mutation_allowed
from domain.team import require_may_manage, require_open_invitation, require_owner_left


def test_every_mutation_of_the_schema_has_a_rule():
    mutations = set(build_schema(SCHEMA_FILE.read_text()).mutation_type.fields)
    assert mutations == set(MUTATION_POWERS)


def test_a_mutation_without_a_rule_is_refused_to_every_role():
    for role in Role:
        with pytest.raises(Forbidden):
            require_mutation_allowed(role, "someNewMutation")


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        (Role.OWNER, {Power.PUBLIC, Power.OWN_ACCOUNT, Power.MANAGE, Power.TEAM, Power.OWN_AGENCY}),
        (Role.ADMIN, {Power.PUBLIC, Power.OWN_ACCOUNT, Power.MANAGE, Power.TEAM}),
        (Role.VIEWER, {Power.PUBLIC, Power.OWN_ACCOUNT}),
    ],
)
def test_each_role_has_its_powers(role, allowed):
    assert {p for p in Power if may(role, p)} == allowed


@pytest.mark.parametrize(
    ("actor", "current", "new", "ok"),
    [
        (Role.OWNER, Role.OWNER, Role.ADMIN, True),
        (Role.OWNER, None, Role.OWNER, True),
        (Role.ADMIN, Role.VIEWER, Role.ADMIN, True),
        (Role.ADMIN, None, Role.VIEWER, True),
        (Role.ADMIN, None, Role.OWNER, False),
        (Role.ADMIN, Role.OWNER, Role.ADMIN, False),
        (Role.ADMIN, Role.OWNER, None, False),
        (Role.ADMIN, Role.ADMIN, Role.OWNER, False),
        (Role.VIEWER, Role.VIEWER, None, False),
        (Role.VIEWER, None, Role.VIEWER, False),
    ],
)
def test_who_manages_whom(actor, current, new, ok):
    if ok:
        require_may_manage(actor, current, new)
    else:
        with pytest.raises(Forbidden):
            require_may_manage(actor, current, new)


def test_the_last_owner_stays():
    require_owner_left(1)
    with pytest.raises(DomainError) as refused:
        require_owner_left(0)
    assert refused.value.code is ErrorCode.LAST_OWNER


def test_an_invitation_is_open_once_and_until_it_expires():
    now = datetime(2026, 1, 1, tzinfo=UTC)
    require_open_invitation(None, now + timedelta(seconds=1), now)
    for accepted, expires, code in [
        (now, now + timedelta(days=1), ErrorCode.INVITATION_USED),
        (None, now, ErrorCode.INVITATION_EXPIRED),
    ]:
        with pytest.raises(DomainError) as refused:
            require_open_invitation(accepted, expires, now)
        assert refused.value.code is code


@pytest.mark.parametrize(
    "password",
    [
        "short",
        "elevenchars",
        "password1234",
        "Password 1234",
        "aaaaaaaaaaaaaaaa",
        "abababababababab",
        "x" * 1025,
        "ada.lovelace99",
    ],
)
def test_weak_passwords_are_refused(password):
    with pytest.raises(DomainError) as refused:
        require_strong_password(password, "ada.lovelace@example.com")
    assert refused.value.code is ErrorCode.WEAK_PASSWORD
    assert refused.value.field == ("password",)


@pytest.mark.parametrize(
    "password", ["a long and uncommon passphrase", "Tr0ub4dor&3-horse", "ada.lovelace + the engine"]
)
def test_strong_enough_passwords_pass(password):
    require_strong_password(password, "ada.lovelace@example.com")
