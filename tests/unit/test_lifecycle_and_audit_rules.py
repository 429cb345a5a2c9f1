"""The tenant lifecycle's moves and powers (domain/tenant_lifecycle.py) and what the audit log
keeps of an input (domain/audit.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from enum import StrEnum

import pytest

from domain.audit import PERSONAL, REDACTED, is_audited, summarize, summary_of, target_of
from domain.errors import DomainError, ErrorCode, Forbidden, TenantSuspended
from domain.tenant_lifecycle import (
    LifecycleAction,
    clean_reason,
    may_change_while_inactive,
    next_status,
    refuse_inactive,
    require_deletable,
    require_may,
)

NOW = datetime(2026, 3, 2, tzinfo=UTC)
GRACE = timedelta(days=30)


@pytest.mark.parametrize(
    ("action", "current", "expected"),
    [
        (LifecycleAction.SUSPEND, "ACTIVE", "SUSPENDED"),
        (LifecycleAction.REACTIVATE, "SUSPENDED", "ACTIVE"),
        (LifecycleAction.REACTIVATE, "ARCHIVED", "ACTIVE"),
        (LifecycleAction.ARCHIVE, "ACTIVE", "ARCHIVED"),
        (LifecycleAction.ARCHIVE, "SUSPENDED", "ARCHIVED"),
    ],
)
def test_the_moves_the_lifecycle_allows(action, current, expected):
    assert next_status(action, current) == expected


@pytest.mark.parametrize(
    ("action", "current"),
    [
        (LifecycleAction.SUSPEND, "SUSPENDED"),
        (LifecycleAction.SUSPEND, "ARCHIVED"),
        (LifecycleAction.REACTIVATE, "ACTIVE"),
        (LifecycleAction.ARCHIVE, "ARCHIVED"),
    ],
)
def test_a_move_from_the_wrong_status_is_a_conflict(action, current):
    with pytest.raises(DomainError) as refused:
        next_status(action, current)
    assert refused.value.code is ErrorCode.CONFLICT


def test_owners_and_admins_suspend_and_only_owners_delete():
    for action in (LifecycleAction.SUSPEND, LifecycleAction.REACTIVATE, LifecycleAction.ARCHIVE):
        require_may(action, "OWNER")
        require_may(action, "ADMIN")
        with pytest.raises(Forbidden):
            require_may(action, "VIEWER")
    require_may(LifecycleAction.DELETE, "OWNER")
    for role in ("ADMIN", "VIEWER", None):
        with pytest.raises(Forbidden):
            require_may(LifecycleAction.DELETE, role)


def test_deletion_needs_the_archive_and_the_whole_grace_period():
    with pytest.raises(DomainError) as active:
        require_deletable("ACTIVE", None, GRACE, NOW)
    with pytest.raises(DomainError) as early:
        require_deletable("ARCHIVED", NOW - GRACE + timedelta(microseconds=1), GRACE, NOW)
    require_deletable("ARCHIVED", NOW - GRACE, GRACE, NOW)
    assert active.value.code is ErrorCode.TENANT_NOT_ARCHIVED
    assert early.value.code is ErrorCode.GRACE_PERIOD


def test_an_inactive_tenant_refuses_its_credentials_and_most_changes():
    refuse_inactive("ACTIVE")
    for status in ("SUSPENDED", "ARCHIVED"):
        with pytest.raises(TenantSuspended):
            refuse_inactive(status)
    assert may_change_while_inactive("eraseMember")
    assert may_change_while_inactive("reactivateTenant")
    assert not may_change_while_inactive("adjustPoints")


def test_a_reason_is_trimmed_and_bounded():
    assert clean_reason("  unpaid  ") == "unpaid"
    assert clean_reason("   ") is None
    with pytest.raises(DomainError):
        clean_reason("x" * 501)


class Kind(StrEnum):
    SECRET = "SECRET"


def test_the_summary_keeps_the_input_without_secrets_and_bounded():
    summary = summarize(
        {
            "memberId": "TWVtYmVyOjE=",
            "password": "hunter2hunter2",
            "signingSecret": "s",
            "codes": ["A", "B"],
            "kind": Kind.SECRET,
            "note": "x" * 300,
            "tags": list(range(60)),
            "when": NOW,
            "skipped": None,
        }
    )
    assert summary["password"] == summary["signingSecret"] == summary["codes"] == REDACTED
    assert summary["kind"] == "SECRET"
    assert len(summary["note"]) == 201
    assert summary["tags"][:2] == [0, 1] and summary["tags"][-1] == "… 10 more"
    assert summary["when"] == NOW.isoformat()
    assert "skipped" not in summary
    assert target_of(summary) == "TWVtYmVyOjE="


def test_only_changes_by_hand_of_operators_and_secret_keys_are_audited():
    assert is_audited("adjustPoints", "OPERATOR")
    assert is_audited("configureProgram", "SECRET_KEY")
    assert not is_audited("adjustPoints", "PUBLISHABLE_KEY")
    assert not is_audited("recordOrder", "SECRET_KEY")


def test_a_members_personal_data_is_never_copied_into_the_log():
    given = {"id": "TWVtYmVyOjE=", "email": "ada@example.com", "name": "Ada", "birthday": "1990"}
    summary = summary_of("updateMember", given)
    assert summary == {
        "id": "TWVtYmVyOjE=",
        "email": PERSONAL,
        "name": PERSONAL,
        "birthday": PERSONAL,
    }
    assert summary_of("createReward", {"name": "Five off"}) == {"name": "Five off"}
