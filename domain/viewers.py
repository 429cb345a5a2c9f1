"""The caller, as the domain's visibility rules see it, and those rules: which referrals,
rewards and member records each kind of caller may see, and which member a member token
acts for."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from uuid import UUID

from domain.errors import DomainError
from domain.records.referrals import Referral
from domain.rewards import Reward


class Audience(StrEnum):
    PUBLIC = "PUBLIC"  # a publishable key, or no credential: the storefront's page
    MEMBER = "MEMBER"  # a member token: one shopper's own app
    STAFF = "STAFF"  # a secret key or an operator: the store's backend and its staff


@dataclass(frozen=True, slots=True)
class Viewer:
    """What kind of caller this is, and a member token's own member."""

    audience: Audience
    member_id: UUID | None = None

    @property
    def is_member(self) -> bool:
        return self.audience is Audience.MEMBER

    @property
    def sees_member_records(self) -> bool:
        """Whether other members appear as records; a member token sees them only by a
        short name (`short_name`), so a shopper never reads another shopper's details."""
        return not self.is_member

    @property
    def sees_unlisted_rewards(self) -> bool:
        """Archived rewards, and rewards not live now, are for staff: the public and the
        shoppers see the catalog as it can be redeemed."""
        return self.audience is Audience.STAFF

    @property
    def sees_internal_entries(self) -> bool:
        """Whether ledger entries show who made them and why: staff notes are not the
        shopper's to read."""
        return not self.is_member


def may_see_referral(viewer: Viewer, referral: Referral) -> bool:
    """A member token sees only referrals its member is on, either side."""
    if not viewer.is_member:
        return True
    return viewer.member_id in (referral.referrer_id, referral.referee_id)


def may_see_records_of(viewer: Viewer, member_id: UUID) -> bool:
    """A member token sees only its own member's ledger entries and redemptions: another
    member's do not exist for it."""
    return not viewer.is_member or member_id == viewer.member_id


def may_see_reward(viewer: Viewer, reward: Reward, now: datetime) -> bool:
    return viewer.sees_unlisted_rewards or reward.live(now)


def acting_member(viewer: Viewer, named: UUID | None) -> UUID | None:
    """The member a call acts for: a member token's own, whichever member it names (naming
    another is refused); for other callers, the one they named."""
    if not viewer.is_member:
        return named
    if named is not None and named != viewer.member_id:
        raise DomainError("A member token acts for its own member only.", field=("memberId",))
    return viewer.member_id


def short_name(name: str | None) -> str | None:
    """'Ada L.' for 'Ada Lovelace': enough for the referrer to recognise a friend."""
    if not name:
        return None
    first, *rest = name.split()
    return f"{first} {rest[-1][0]}." if rest else first
