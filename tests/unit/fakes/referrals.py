"""Referrals and the referral settings in memory, as
persistence/repositories/referrals.py keeps them."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from uuid import UUID

from domain.emails import comparable_email
from domain.records.referrals import Referral, ReferralStats, ReferralStatus
from domain.referral_settings import DEFAULT_SETTINGS, ReferralSettings, from_json, to_json
from tests.unit.fakes.programs import add_version, latest
from tests.unit.fakes.tables import Sequences, Tables, check, references, unique


class FakeReferralRepository:
    def __init__(self, tables: Tables, sequences: Sequences) -> None:
        self._tables = tables
        self._sequences = sequences

    async def settings(self) -> ReferralSettings:
        row = latest(self._tables.referral_settings)
        return from_json(row.version, row.config) if row else DEFAULT_SETTINGS

    async def save_settings(self, settings: ReferralSettings, at: datetime, by: str | None) -> None:
        add_version(
            self._tables.referral_settings,
            settings.version,
            to_json(settings),
            at,
            by,
            conflict="The referral settings were changed at the same time; read them again and "
            "retry.",
        )

    async def look_alikes(self, email: str, before_seq: int, except_ids: list[UUID]) -> int:
        wanted = comparable_email(email)
        return sum(
            m.email is not None
            and comparable_email(m.email) == wanted
            and m.seq < before_seq
            and m.id not in except_ids
            for m in self._tables.members.values()
        )

    async def add(self, referral: Referral) -> Referral:
        tables = self._tables
        seq = self._sequences.next("referrals")
        unique(referral.id in tables.referrals, "referrals_pkey")
        unique(
            any(r.referee_id == referral.referee_id for r in tables.referrals.values()),
            "referrals_referee_id_key",
        )
        references(referral.referrer_id in tables.members, "referrals_referrer_id_fkey")
        references(referral.referee_id in tables.members, "referrals_referee_id_fkey")
        check(referral.referrer_id != referral.referee_id, "referrals_check")
        # Only these columns are inserted; the others start at their defaults.
        stored = replace(
            referral,
            seq=seq,
            qualifying_order_id=None,
            referrer_points=0,
            referee_points=0,
            referrer_entry_id=None,
            referee_entry_id=None,
            referrer_redemption_id=None,
            referee_redemption_id=None,
            rewarded_at=None,
            reversed_at=None,
        )
        tables.referrals[stored.id] = stored
        return stored

    async def get(self, referral_id: UUID) -> Referral | None:
        return self._tables.referrals.get(referral_id)

    async def for_referee(self, referee_id: UUID, *, lock: bool = False) -> Referral | None:
        return next(
            (r for r in self._tables.referrals.values() if r.referee_id == referee_id), None
        )

    async def for_order(self, order_id: str) -> Referral | None:
        return next(
            (r for r in self._tables.referrals.values() if r.qualifying_order_id == order_id), None
        )

    async def update(self, referral: Referral) -> None:
        current = self._tables.referrals.get(referral.id)
        if current is None:  # an UPDATE of no row
            return
        check(
            (referral.status is ReferralStatus.REJECTED) == (referral.reject_reason is not None),
            "referrals_check1",
        )
        check(
            (referral.status in (ReferralStatus.REWARDED, ReferralStatus.REVERSED))
            == (referral.rewarded_at is not None),
            "referrals_check2",
        )
        # Who, the code and when it was made never change.
        self._tables.referrals[referral.id] = replace(
            referral,
            seq=current.seq,
            referrer_id=current.referrer_id,
            referee_id=current.referee_id,
            code=current.code,
            created_at=current.created_at,
        )

    async def rewarded_since(self, referrer_id: UUID, since: datetime | None) -> int:
        return sum(
            r.referrer_id == referrer_id
            and r.status is ReferralStatus.REWARDED
            and (since is None or (r.rewarded_at is not None and r.rewarded_at >= since))
            for r in self._tables.referrals.values()
        )

    async def for_referrer(
        self, referrer_id: UUID, before_seq: int | None, limit: int
    ) -> list[Referral]:
        found = [
            r
            for r in self._tables.referrals.values()
            if r.referrer_id == referrer_id and (before_seq is None or r.seq < before_seq)
        ]
        found.sort(key=lambda r: r.seq, reverse=True)
        return found[:limit]

    async def stats(self, referrer_id: UUID) -> ReferralStats:
        mine = [r for r in self._tables.referrals.values() if r.referrer_id == referrer_id]

        def counted(status: ReferralStatus) -> int:
            return sum(r.status is status for r in mine)

        return ReferralStats(
            invited=len(mine),
            pending=counted(ReferralStatus.PENDING),
            rewarded=counted(ReferralStatus.REWARDED),
            rejected=counted(ReferralStatus.REJECTED),
            reversed=counted(ReferralStatus.REVERSED),
            points_earned=sum(
                r.referrer_points for r in mine if r.status is ReferralStatus.REWARDED
            ),
            clicks=self._tables.referral_clicks.get(referrer_id, 0),
        )

    async def count_click(self, member_id: UUID, at: datetime) -> None:
        references(member_id in self._tables.members, "referral_clicks_member_id_fkey")
        self._tables.referral_clicks[member_id] = self._tables.referral_clicks.get(member_id, 0) + 1
