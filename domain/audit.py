"""The audit log: which mutations are recorded, by whom, and what of their input is kept.

Every change of configuration or of money by hand made by an operator or a secret key is
recorded with who made it, what, on which target, when, and a summary of its input with
secrets left out. Storefront traffic (orders, redemptions, enrolments) is not: the ledger
and the orders already say what happened.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import Enum
from functools import lru_cache
from typing import Any
from uuid import UUID

AUDITED_ACTIONS = frozenset(
    {
        # money by hand
        "adjustPoints",
        "grantToSegment",
        "startMemberImport",
        # the program's configuration
        "configureProgram",
        "configureReferrals",
        "configureTiers",
        "createTier",
        "updateTier",
        "createReward",
        "updateReward",
        "archiveReward",
        "importRewardCodes",
        "configureStampCard",
        "createSegment",
        "updateSegment",
        "deleteSegment",
        "createSurvey",
        "updateSurvey",
        "archiveSurvey",
        "configureAnalytics",
        "applyProgramTemplate",
        "copyProgram",
        "configureAllowedOrigins",
        "setTenantRateLimit",
        # credentials
        "createApiKey",
        "revokeApiKey",
        "revokeMemberRefreshTokens",
        # members' personal data
        "updateMember",
        "eraseMember",
        "exportMember",
        # the agency's tenants
        "createTenant",
        "suspendTenant",
        "reactivateTenant",
        "archiveTenant",
        "deleteTenant",
        "exportTenant",
        "saveProgramTemplate",
        "deleteProgramTemplate",
    }
)

# Recorded in the control schema's log (the agency's), not the tenant's own.
AGENCY_ACTIONS = frozenset(
    {
        "createTenant",
        "suspendTenant",
        "reactivateTenant",
        "archiveTenant",
        "deleteTenant",
        "exportTenant",
        "saveProgramTemplate",
        "deleteProgramTemplate",
    }
)

# Credentials whose changes are recorded: people and servers acting for the merchant.
AUDITED_ACTORS = frozenset({"OPERATOR", "SECRET_KEY"})

# The `loyalty` command line, for the changes of the agency's tenants it makes itself.
CLI = "CLI"
# A tenant moved to another PostgreSQL cluster (`loyalty tenant move`): in the agency's log,
# its summary naming the clusters it left (`from`) and reached (`to`).
MOVE_TENANT = "moveTenant"

# Input fields that name what a mutation acts on, in order of preference.
_TARGET_FIELDS = (
    "tenant",
    "slug",
    "member",
    "memberId",
    "id",
    "externalId",
    "key",
    "segmentKey",
    "segment",
)
# `content`: an import's file, members' personal data the log must not copy.
_SECRET_PARTS = ("password", "secret", "token", "codes", "content")
_MAX_TEXT = 200
_MAX_ITEMS = 50
REDACTED = "[redacted]"
# A member's personal data is never copied into the log: eraseMember could not reach it
# there. Of these mutations the log keeps which fields changed, not their values.
_PERSONAL_ACTIONS = frozenset({"updateMember", "enrollMember"})
_IDENTIFYING = frozenset({"id", "memberId", "member"})
PERSONAL = "[personal data]"


@dataclass(frozen=True, slots=True)
class Actor:
    kind: str  # OPERATOR or SECRET_KEY; CLI for the command line
    id: str | None  # the operator's or the key's id
    label: str | None  # the operator's email, or the key's prefix


def command_line(command: str) -> Actor:
    """The command line as an entry's actor: no operator or key; labelled `cli:<command>`,
    as a member import's ledger entries name the command line's file `cli:<file>`."""
    return Actor(CLI, None, f"cli:{command}")


@dataclass(slots=True)
class AuditIntent:
    """A mutation being recorded: written once, by the first transaction that changes data."""

    actor: Actor
    action: str
    target: str | None
    summary: dict[str, Any]
    written: bool = field(default=False)
    request_id: str | None = None  # the response's X-Request-Id


@dataclass(frozen=True, slots=True)
class AuditEntry:
    seq: int
    actor: Actor
    action: str
    target: str | None
    summary: dict[str, Any]
    at: datetime
    tenant_id: UUID | None = None
    request_id: str | None = None


@dataclass(frozen=True, slots=True)
class AuditFilter:
    actor: str | None = None  # an operator's email or id, or a key's id or prefix
    action: str | None = None
    from_: datetime | None = None
    to: datetime | None = None


def is_audited(action: str, actor_kind: str) -> bool:
    return action in AUDITED_ACTIONS and actor_kind in AUDITED_ACTORS


def summarize(value: Any) -> Any:
    """The input as plain JSON, secrets replaced, long texts and lists cut short."""
    # Most of an input is texts and numbers: told by their exact type, they skip the checks
    # for mappings (an ABC's isinstance), collections, enums and dates that `_summarized`
    # makes first, and come out as it gives them (tests/unit/test_audit_summary.py).
    kind = type(value)
    if kind is str:
        return value if len(value) <= _MAX_TEXT else value[:_MAX_TEXT] + "…"
    if kind is int or kind is bool or value is None:
        return value
    if kind is dict:
        return _mapping(value)
    return _summarized(value)


def _summarized(value: Any) -> Any:
    """`summarize` of any value."""
    if isinstance(value, Mapping):
        return _mapping(value)
    if isinstance(value, list | tuple | set | frozenset):
        items = [summarize(v) for v in list(value)[:_MAX_ITEMS]]
        return items + ([f"… {len(value) - _MAX_ITEMS} more"] if len(value) > _MAX_ITEMS else [])
    if isinstance(value, Enum):
        return summarize(value.value)
    if isinstance(value, bool | int | float) or value is None:
        return value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if hasattr(value, "__dict__") and not isinstance(value, str | bytes | UUID):
        return summarize({k: v for k, v in vars(value).items() if not k.startswith("_")})
    text = str(value)
    return text if len(text) <= _MAX_TEXT else text[:_MAX_TEXT] + "…"


def _mapping(value: Mapping[Any, Any]) -> dict[str, Any]:
    return {
        str(k): REDACTED if _secret(str(k)) else summarize(v)
        for k, v in value.items()
        if v is not None
    }


def summary_of(action: str, given: Any) -> dict[str, Any]:
    """What the log keeps of a mutation's input (`given`, plain dicts and lists)."""
    summary = summarize(given)
    if not isinstance(summary, dict):
        return {}
    if action in _PERSONAL_ACTIONS:
        return {k: v if k in _IDENTIFYING else PERSONAL for k, v in summary.items()}
    return summary


def target_of(summary: Mapping[str, Any]) -> str | None:
    for name in _TARGET_FIELDS:
        value = summary.get(name)
        if isinstance(value, str | int) and value != REDACTED:
            return str(value)
    return None


# Called for every key of every input: the names are the schema's (and a bounded few more).
@lru_cache(maxsize=1024)
def _secret(name: str) -> bool:
    lowered = name.lower()
    return any(part in lowered for part in _SECRET_PARTS)
