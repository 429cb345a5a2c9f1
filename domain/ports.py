"""What the domain needs from outside, as protocols; persistence/ implements them.

Ports speak in records (domain/records/ and the pure value modules) and import no use case,
so every use case can import them without a cycle."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from types import TracebackType
from typing import Any, Protocol, Self
from uuid import UUID

from domain.ledger import Balance, EntryKind, LedgerEntry, Lot, LotDraw, NewEntry
from domain.program import ProgramConfig
from domain.records.analytics import (
    AnalyticsSettings,
    Bucket,
    CustomerPeriod,
    DayTotals,
    Interval,
    ReferralTotals,
    TierCount,
)
from domain.records.idempotency import Claim, IdempotencyRecord
from domain.records.members import Member, MemberDraft, MemberStatus
from domain.records.orders import OrderFilter, OrderPosition, OrderRecord, RefundRecord
from domain.records.redemptions import Redemption
from domain.records.referrals import Referral, ReferralStats
from domain.records.refresh_tokens import NewRefreshToken, RefreshTokenRecord
from domain.records.segments import Campaign, GrantDone, RefreshInputs, RefreshState, WinBack
from domain.records.surveys import Survey, SurveyResponse
from domain.records.webhooks import NewEvent
from domain.referral_settings import ReferralSettings
from domain.rewards import RedemptionStatus, Reward, RewardKind
from domain.segments import Segment
from domain.surveys import CsatSummary, NpsSummary, SurveyKind
from domain.tiers import (
    MemberTier,
    PaidMembership,
    Tier,
    TierChangeReason,
    TierMetric,
    TierSettings,
)
from domain.webhook_ports import EventOutbox, WebhookRepository


@dataclass(frozen=True, slots=True)
class MemberFilter:
    status: MemberStatus | None = None
    email: str | None = None
    search: str | None = None
    enrolled_after: datetime | None = None
    enrolled_before: datetime | None = None
    segment: str | None = None


class MemberRepository(Protocol):
    async def get(self, member_id: UUID) -> Member | None: ...
    async def get_claiming(self, member_id: UUID, claim: Claim) -> tuple[Member | None, bool]:
        """The member, and whether `claim`'s key was reserved for this transaction in the
        same step (never for a member that does not exist). False for a member: the key was
        used before, and IdempotencyStore.claim tells what for.

        A concurrent claim of the same key waits for the first transaction to finish."""
        ...

    async def get_by_external_id(self, external_id: str) -> Member | None: ...
    async def get_by_external_id_claiming(
        self, external_id: str, claim: Claim
    ) -> tuple[Member | None, bool]:
        """`get_claiming` of the member with this externalId, in the same one step. The key
        is stored with `claim.fingerprint` bound to the member found
        (`domain.idempotency.for_member`): a digest of input that does not name the member."""
        ...

    async def get_by_email(self, email: str) -> Member | None: ...
    async def get_by_referral_code(self, code: str) -> Member | None: ...
    async def get_many(self, member_ids: list[UUID]) -> list[Member]: ...
    async def add(self, d: MemberDraft, referral_code: str, at: datetime) -> Member: ...
    async def update(self, member_id: UUID, d: MemberDraft) -> Member: ...
    async def erase(self, member_id: UUID) -> Member:
        """Clears the member's personal data and marks it ERASED."""
        ...

    async def page(
        self, after_seq: int | None, limit: int, where: MemberFilter
    ) -> list[Member]: ...
    async def birthdays_due(self, start: date, end: date, limit: int) -> list[tuple[UUID, date]]:
        """Active members whose birthday falls in [start, end] with no birthday award since
        that day, each with the day it fell on."""
        ...


class LedgerRepository(Protocol):
    async def lock_balance(self, member_id: UUID, wallet: str) -> Balance:
        """The member's balance row, locked for this transaction (created when missing)."""
        ...

    async def lock_balance_with_due_lots(
        self, member_id: UUID, wallet: str, now: datetime
    ) -> tuple[Balance, list[Lot]]:
        """`lock_balance`, and then `due_lots` as they are under the lock."""
        ...

    async def read_balance(self, member_id: UUID, wallet: str) -> Balance: ...
    async def read_balances(self, member_ids: Sequence[UUID], wallet: str) -> dict[UUID, Balance]:
        """`read_balance` of each member in one statement (Balance.empty without a row)."""
        ...

    async def save_balance(self, balance: Balance, activity_at: datetime | None = None) -> None:
        """Stores the row; `activity_at` (when given) restarts the inactivity clock."""
        ...

    async def append(self, entry: NewEntry, at: datetime) -> LedgerEntry: ...
    async def credit_at_once(
        self, entry: NewEntry, expires_at: datetime | None, at: datetime
    ) -> tuple[LedgerEntry, Balance] | None:
        """A fast way for a credit available at `at` (a lot of the whole credit, expiring at
        `expires_at`), taking the balance lock in the same step: it writes exactly what
        `LockedWallet.open`, `credit` and `save` would, and answers the entry and the new
        balance. It may decline (nothing due known, debt, overflow, a missing balance row,
        an entry it does not handle, or no fast way at all): then it writes nothing, holds
        no lock, and answers None, and the caller takes the plain way."""
        ...

    async def credit_at_once_refreshing(
        self,
        entry: NewEntry,
        expires_at: datetime | None,
        at: datetime,
        announce: Callable[[LedgerEntry, Balance], NewEvent],
    ) -> tuple[LedgerEntry, Balance, RefreshInputs] | None:
        """`credit_at_once`, and then, in the same round trip, the member's segment refresh
        inputs as `SegmentRepository.refresh_inputs(..., tiers=False)` would read them right
        after it: read once the lock is held, with what committed before it was granted.
        For a tenant known to have no tiers. The credit's event, `announce(entry, balance)`,
        is written with it, after the events already in the unit of work's outbox, which it
        writes too (so nothing is left to write before the COMMIT). Writing events takes
        their members' locks, which come after every balance lock (persistence/
        member_locks.py): call it after the transaction's last balance lock, with no other
        member's events pending. None as `credit_at_once` declines: nothing written, the
        outbox as it was."""
        ...

    async def add_lot(
        self,
        entry_id: int,
        member_id: UUID,
        wallet: str,
        points: int,
        remaining: int,
        available_at: datetime,
        expires_at: datetime | None,
        *,
        pending: bool = False,
        order_id: str | None = None,
    ) -> Lot: ...
    async def spendable_lots(
        self, member_id: UUID, wallet: str, now: datetime, covering: int | None = None
    ) -> list[Lot]:
        """Available, unexpired lots with points left, in spend order. With `covering`, only
        the first of them whose points add up to at least that much (all when they don't),
        so a spend never reads every lot of a member with a long history."""
        ...

    async def due_lots(self, member_id: UUID, wallet: str, now: datetime) -> list[Lot]:
        """Lots with points left that have matured or expired by `now`."""
        ...

    async def order_lots(self, order_id: str, member_id: UUID, wallet: str) -> list[Lot]:
        """The lots an order earned that still hold points, newest first."""
        ...

    async def mark_available(self, lot_ids: list[int]) -> None: ...
    async def undraw(self, entry_id: int) -> list[Lot]:
        """Puts back into their lots the points entry `entry_id` drew; returns those lots."""
        ...

    async def wallets_with_due_lots(self, now: datetime, limit: int) -> list[tuple[UUID, str]]:
        """Wallets holding a lot that has matured or expired by `now`."""
        ...

    async def inactive_wallets(self, cutoff: datetime, limit: int) -> list[tuple[UUID, str]]:
        """Wallets with available points and no activity since `cutoff`."""
        ...

    async def last_activity(self, member_id: UUID, wallet: str) -> datetime | None: ...
    async def draw(self, entry_id: int, draws: list[LotDraw]) -> None: ...
    async def expiring(
        self, member_id: UUID, wallet: str, now: datetime, until: datetime
    ) -> list[tuple[datetime, int]]: ...
    async def entry(self, entry_id: int) -> LedgerEntry | None: ...
    async def keyed_entry(self, member_id: UUID, wallet: str, key: str) -> LedgerEntry | None:
        """The member's entry in `wallet` written under idempotency key `key` (the latest,
        if several were); None: none."""
        ...

    async def balance_after(self, entry_id: int) -> Balance | None:
        """The balance of the entry's wallet right after it: the column-wise sum of that
        wallet's entries up to it (a wallet's entries are appended under its lock, so in
        the order they took effect). Its version is the number of those entries. None: no
        such entry."""
        ...

    async def history(
        self, member_id: UUID, wallet: str | None, before_id: int | None, limit: int
    ) -> list[LedgerEntry]: ...
    async def order_totals(self, order_id: str, member_id: UUID, wallet: str) -> tuple[int, int]:
        """What an order earned in a wallet, and what was taken back from it since."""
        ...

    async def count_entries(self, member_id: UUID, wallet: str, kind: EntryKind) -> int: ...

    async def count_entries_of(
        self, member_ids: Sequence[UUID], wallet: str, kind: EntryKind
    ) -> dict[UUID, int]:
        """count_entries of each member at once (0 for those with none)."""
        ...


class IdempotencyStore(Protocol):
    async def claim(
        self, key: str, operation: str, digest: str, at: datetime
    ) -> IdempotencyRecord | None:
        """Reserve `key` in this transaction, or return what an earlier use recorded.

        A concurrent claim of the same key waits for the first transaction to finish.
        """
        ...

    async def complete(self, key: str, result: dict[str, Any]) -> None: ...


class ProgramRepository(Protocol):
    async def current(self) -> ProgramConfig:
        """The configuration in force (the defaults until one is saved). It may come from
        the process's memory of it, which every saved version makes every process forget."""
        ...

    async def latest(self) -> ProgramConfig:
        """The latest configuration as this transaction reads it: what a change starts from."""
        ...

    async def version(self, version: int) -> ProgramConfig: ...
    async def save(self, config: ProgramConfig, at: datetime, by: str | None) -> None:
        """Stores a new version; a concurrent save of the same version is a conflict."""
        ...


class OrderRepository(Protocol):
    async def lock(self, order_id: str) -> OrderRecord | None:
        """The order, locked for this transaction (its id is locked even if it is new)."""
        ...

    async def get(self, order_id: str) -> OrderRecord | None: ...
    async def save(self, record: OrderRecord, *, insert: bool) -> None: ...
    async def refund(self, refund_id: str) -> RefundRecord | None: ...
    async def add_refund(self, refund: RefundRecord, at: datetime) -> None: ...
    async def page(
        self, where: OrderFilter, after: OrderPosition | None, limit: int
    ) -> list[OrderRecord]:
        """Up to `limit` orders that match, placed before `after`, newest placed first
        (ties: the later recorded first)."""
        ...

    async def pages_of_members(
        self, member_ids: Sequence[UUID], after: OrderPosition | None, limit: int
    ) -> dict[UUID, list[OrderRecord]]:
        """`page` of each member's orders, read in one statement; members without any are
        absent."""
        ...

    async def refunds_of(self, order_ids: Sequence[str]) -> dict[str, list[RefundRecord]]:
        """The refunds of these orders, each order's oldest first; orders without any are
        absent."""
        ...


class ActionRepository(Protocol):
    async def count_since(self, member_id: UUID, action: str, since: datetime | None) -> int: ...
    async def last_at(self, member_id: UUID, action: str) -> datetime | None: ...
    async def add(self, member_id: UUID, action: str, at: datetime, entry_id: int) -> None: ...


@dataclass(frozen=True, slots=True)
class RewardFilter:
    include_archived: bool = False
    live_at: datetime | None = None
    search: str | None = None
    kinds: tuple[RewardKind, ...] = ()
    # Leaves out rewards still in early access at early_at, except those early for one of
    # early_tiers (lowercased tier names); None: early access does not narrow the page.
    early_at: datetime | None = None
    early_tiers: tuple[str, ...] = ()


class RewardRepository(Protocol):
    async def get(self, reward_id: UUID) -> Reward | None: ...
    async def add(self, reward: Reward) -> Reward: ...
    async def update(self, reward: Reward) -> Reward: ...
    async def lock(self, reward_id: UUID) -> Reward | None: ...
    async def page(
        self, after_seq: int | None, limit: int, where: RewardFilter
    ) -> list[Reward]: ...
    async def reserve_stock(self, reward_id: UUID) -> bool:
        """Takes one unit; False when none is left. Locks the reward row."""
        ...

    async def release_stock(self, reward_id: UUID) -> None: ...
    async def take_pool_code(self, reward_id: UUID, redemption_id: UUID) -> str | None: ...
    async def import_codes(self, reward_id: UUID, codes: list[str]) -> int:
        """Adds codes to the pool; returns how many were new."""
        ...


class RedemptionRepository(Protocol):
    async def add(self, redemption: Redemption, answers_key: str | None = None) -> Redemption:
        """With `answers_key`, the redemption is recorded as the first result of that
        idempotency key (claimed earlier in the transaction) in the same step."""
        ...

    async def get(self, redemption_id: UUID) -> Redemption | None: ...
    async def lock(self, redemption_id: UUID) -> Redemption | None: ...
    async def by_code(self, code: str) -> Redemption | None: ...
    async def lock_by_code(self, code: str) -> Redemption | None: ...
    async def code_taken(self, code: str) -> bool: ...
    async def update(self, redemption: Redemption) -> None: ...
    async def count_for_member(
        self, member_id: UUID, reward_id: UUID, since: datetime | None
    ) -> int:
        """Redemptions that count against a per-member limit (not cancelled)."""
        ...

    async def counts_for_members(
        self, member_ids: Sequence[UUID], since_by_reward: dict[UUID, datetime | None]
    ) -> dict[tuple[UUID, UUID], int]:
        """count_for_member of many members and many rewards at once, each reward since its
        own time, by (member id, reward id)."""
        ...

    async def for_member(
        self,
        member_id: UUID,
        before_seq: int | None,
        limit: int,
        statuses: tuple[RedemptionStatus, ...] = (),
    ) -> list[Redemption]: ...
    async def expired_issued(self, now: datetime, limit: int) -> list[UUID]: ...


class ReferralRepository(Protocol):
    async def settings(self) -> ReferralSettings:
        """The latest referral settings (the defaults until some are saved)."""
        ...

    async def save_settings(self, settings: ReferralSettings, at: datetime, by: str | None) -> None:
        """Stores a new version; a concurrent save of the same version is a conflict."""
        ...

    async def look_alikes(self, email: str, before_seq: int, except_ids: list[UUID]) -> int:
        """Members enrolled before `before_seq`, other than `except_ids`, whose email has
        the same comparable form."""
        ...

    async def add(self, referral: Referral) -> Referral: ...
    async def get(self, referral_id: UUID) -> Referral | None: ...
    async def for_referee(self, referee_id: UUID, *, lock: bool = False) -> Referral | None: ...
    async def for_order(self, order_id: str) -> Referral | None: ...
    async def update(self, referral: Referral) -> None: ...
    async def rewarded_since(self, referrer_id: UUID, since: datetime | None) -> int:
        """Referrals of this referrer rewarded (and not reversed) since `since`."""
        ...

    async def for_referrer(
        self, referrer_id: UUID, before_seq: int | None, limit: int
    ) -> list[Referral]: ...
    async def stats(self, referrer_id: UUID) -> ReferralStats: ...
    async def count_click(self, member_id: UUID, at: datetime) -> None:
        """One more visit of the member's referral link."""
        ...


@dataclass(frozen=True, slots=True)
class SurveyFilter:
    include_archived: bool = False
    open_only: bool = False
    kind: SurveyKind | None = None


class SurveyRepository(Protocol):
    async def add(self, survey: Survey) -> Survey:
        """Stores a new survey; the result carries its seq."""
        ...

    async def get(self, survey_id: UUID) -> Survey | None: ...
    async def lock(self, survey_id: UUID) -> Survey | None: ...
    async def update(self, survey: Survey) -> Survey: ...
    async def page(
        self, after_seq: int | None, limit: int, where: SurveyFilter
    ) -> list[Survey]: ...
    async def add_response(self, response: SurveyResponse) -> SurveyResponse:
        """Stores an answer; the result carries its seq."""
        ...

    async def response(self, response_id: UUID) -> SurveyResponse | None: ...
    async def responses_of_survey(
        self, survey_id: UUID, before_seq: int | None, limit: int
    ) -> list[SurveyResponse]:
        """Newest first."""
        ...

    async def responses_of_member(
        self, member_id: UUID, before_seq: int | None, limit: int
    ) -> list[SurveyResponse]:
        """Newest first."""
        ...

    async def forget_answers(self, member_id: UUID) -> None:
        """Clears the text of the member's answers (erasure); scores stay, as counts."""
        ...

    async def nps_counts(
        self, since: datetime, until: datetime, survey_id: UUID | None = None
    ) -> NpsSummary:
        """NPS answers given in [since, until), of one survey or all of them, by group."""
        ...

    async def nps_buckets(
        self, since: datetime, until: datetime, interval: Interval
    ) -> dict[date, NpsSummary]:
        """NPS answers of every survey given in [since, until), per UTC bucket start
        (a day, a Monday, the 1st); buckets without answers are left out."""
        ...

    async def csat_counts(
        self, since: datetime, until: datetime, survey_id: UUID | None = None
    ) -> CsatSummary:
        """CSAT answers given in [since, until), of one survey or all of them."""
        ...


@dataclass(frozen=True, slots=True)
class TierHistoryEntry:
    id: int
    member_id: UUID
    from_tier: UUID | None
    to_tier: UUID | None
    reason: TierChangeReason
    at: datetime


@dataclass(frozen=True, slots=True)
class TierStanding:
    """A member's stored tier (None: never evaluated) and metric, for a batch review."""

    member_id: UUID
    current: MemberTier | None
    value: int


class TierRepository(Protocol):
    async def settings(self) -> TierSettings: ...
    async def lock_settings(self) -> TierSettings:
        """The settings row, locked: definition changes serialise on it."""
        ...

    async def save_settings(self, settings: TierSettings) -> None: ...
    def known_empty(self) -> bool:
        """True when the program is known to have no tiers without asking the database (the
        process remembers it until a tier is added); False when it has tiers or is not known."""
        ...

    async def all(self) -> list[Tier]:
        """Every tier, archived ones too."""
        ...

    async def add(self, tier: Tier) -> None: ...
    async def update(self, tier: Tier) -> None: ...
    async def held(self, member_id: UUID) -> Tier | None:
        """The (unarchived) tier the member holds."""
        ...

    async def held_by(self, member_ids: Sequence[UUID]) -> dict[UUID, Tier]:
        """`held` of many members in one statement; members who hold none are left out."""
        ...

    async def member_tier(self, member_id: UUID) -> MemberTier | None: ...
    async def lock_member_tier(self, member_id: UUID, now: datetime) -> MemberTier:
        """The member's tier row, locked for this transaction (created, with no tier, when
        missing)."""
        ...

    async def save_member_tier(self, member_tier: MemberTier, at: datetime) -> None: ...
    async def memberships_of(self, member_id: UUID) -> list[PaidMembership]:
        """The member's paid memberships not revoked, past ones too, soonest to end first."""
        ...

    async def add_membership(self, membership: PaidMembership) -> bool:
        """Stores it; False (storing nothing) when its order already granted its sku."""
        ...

    async def revoke_memberships(
        self, order_id: str, skus: Sequence[str] | None, at: datetime
    ) -> int:
        """Revokes what the order's lines of `skus` (None: all its lines) granted; answers
        how many were revoked now."""
        ...

    async def add_history(
        self,
        member_id: UUID,
        from_tier: UUID | None,
        to_tier: UUID | None,
        reason: TierChangeReason,
        at: datetime,
    ) -> None: ...
    async def history(
        self, member_id: UUID, before_id: int | None, limit: int
    ) -> list[TierHistoryEntry]: ...
    async def metric_value(
        self, member_id: UUID, metric: TierMetric, since: datetime | None
    ) -> int: ...
    async def standings(
        self, metric: TierMetric, since: datetime | None, after: UUID | None, limit: int
    ) -> list[TierStanding]:
        """Every member not erased, by id, with their tier and metric."""
        ...

    async def standings_of(
        self, member_ids: Sequence[UUID], metric: TierMetric, since: datetime | None
    ) -> list[TierStanding]:
        """These members' stored tiers and metrics, in one statement (erased members too, as
        `member_tier` and `metric_value` read them)."""
        ...

    async def unsettled_version(self) -> int | None:
        """The definitions' version while some members may be evaluated at an older one."""
        ...

    async def mark_settled(self, version: int) -> None: ...
    async def stale_members(self, version: int, limit: int) -> list[UUID]:
        """Members not erased whose tier was evaluated before definitions `version`."""
        ...

    async def due_for_review(self, now: datetime, limit: int) -> list[UUID]:
        """Members whose tier was kept until a time that has come."""
        ...


class SegmentRepository(Protocol):
    async def stored(self) -> list[Segment]:
        """Custom segments, and built-ins a tenant changed, by key."""
        ...

    async def save(self, segment: Segment, at: datetime) -> None:
        """Inserts or replaces the segment of that key."""
        ...

    async def delete(self, key: str) -> bool:
        """Removes the segment and its memberships; False when there was none."""
        ...

    async def refresh_inputs(
        self, member_ids: Sequence[UUID], now: datetime, *, tiers: bool = True
    ) -> RefreshInputs:
        """In one round trip: the facts of those members that are active (others are left
        out), the stored definitions (as `stored`) and what each holds (as `of_members`).
        `tiers=False` when the tenant is known to have none: the tiers are not read."""
        ...

    async def replace_memberships(
        self, member_ids: Sequence[UUID], memberships: Sequence[tuple[str, UUID]], at: datetime
    ) -> None:
        """Those members are now in exactly the (segment key, member) pairs given."""
        ...

    async def of_members(self, member_ids: Sequence[UUID]) -> dict[UUID, frozenset[str]]: ...
    async def member_page(self, key: str, after_seq: int | None, limit: int) -> list[UUID]:
        """The segment's members in enrolment order, after `after_seq`."""
        ...

    async def count(self, key: str) -> int: ...
    async def lock_refresh(self) -> RefreshState:
        """The state of the worker's pass, locked until the transaction ends."""
        ...

    async def save_refresh(self, state: RefreshState) -> None: ...
    async def members_after(self, after_seq: int | None, limit: int) -> list[tuple[UUID, int]]:
        """Every member (id, seq) in seq order: what a pass walks."""
        ...

    async def quiet(self, member_ids: Sequence[UUID]) -> list[UUID]:
        """Those members no transaction is changing the points of: their balance rows are
        share-locked until this transaction ends, and rows another transaction holds are
        skipped (members without one are quiet)."""
        ...


class CampaignRepository(Protocol):
    async def add(self, campaign: Campaign) -> Campaign | None:
        """Inserts the campaign and a pending grant for each member of its segment now;
        None when a campaign with its key exists (a concurrent insert waits for the first)."""
        ...

    async def by_key(self, key: str) -> Campaign | None: ...
    async def get(self, campaign_id: UUID) -> Campaign | None: ...
    async def claim_pending(self, campaign_id: UUID, limit: int) -> list[UUID]:
        """Pending grants locked for this transaction, skipping those another holds."""
        ...

    async def record(self, campaign_id: UUID, done: Sequence[GrantDone], at: datetime) -> Campaign:
        """Stores what was done and the campaign's progress; DONE when none is pending."""
        ...

    async def running(self, limit: int) -> list[UUID]: ...
    async def win_back(self, campaign_id: UUID, days: int) -> WinBack: ...
    async def win_back_granted_between(self, start: datetime, end: datetime, days: int) -> WinBack:
        """As `win_back`, over every campaign's grants made in [start, end)."""
        ...


class AnalyticsRepository(Protocol):
    """Reads the rollups kept with the facts; days are UTC, `end` exclusive."""

    async def days(self, start: date, end: date) -> DayTotals: ...
    async def customers(self, cohort_start: date, start: date, end: date) -> CustomerPeriod:
        """The period's customers, and of the members who ordered from `cohort_start` to
        `start`, how many ordered again within the period."""
        ...

    async def series(self, start: date, end: date, interval: Interval) -> list[Bucket]:
        """Buckets that hold any data, oldest first; `new_members` per bucket."""
        ...

    async def tier_counts(self) -> list[TierCount]: ...
    async def referrals(self, start: date, end: date) -> ReferralTotals: ...
    async def settings(self) -> AnalyticsSettings: ...
    async def save_settings(self, settings: AnalyticsSettings) -> None: ...


class RefreshTokenRepository(Protocol):
    async def add(self, token: NewRefreshToken) -> None: ...
    async def lock(self, token_hash: bytes) -> RefreshTokenRecord | None:
        """The token with this hash, locked until the transaction ends."""
        ...

    async def mark_used(self, token_id: UUID) -> None: ...
    async def revoke(self, member_id: UUID, device_id: str | None = None) -> int:
        """Revokes the member's live tokens (of one device, or of all); how many."""
        ...


class TenantUnitOfWork(Protocol):
    """One transaction in one tenant's schema; commits on clean exit, else rolls back."""

    # Read-only properties, so an adapter may narrow them to its own repository types.
    @property
    def members(self) -> MemberRepository: ...
    @property
    def ledger(self) -> LedgerRepository: ...
    @property
    def idempotency(self) -> IdempotencyStore: ...
    @property
    def programs(self) -> ProgramRepository: ...
    @property
    def orders(self) -> OrderRepository: ...
    @property
    def actions(self) -> ActionRepository: ...
    @property
    def rewards(self) -> RewardRepository: ...
    @property
    def redemptions(self) -> RedemptionRepository: ...
    @property
    def referrals(self) -> ReferralRepository: ...
    @property
    def tiers(self) -> TierRepository: ...
    @property
    def surveys(self) -> SurveyRepository: ...
    @property
    def segments(self) -> SegmentRepository: ...
    @property
    def campaigns(self) -> CampaignRepository: ...
    @property
    def analytics(self) -> AnalyticsRepository: ...
    @property
    def events(self) -> EventOutbox: ...
    @property
    def webhooks(self) -> WebhookRepository: ...
    @property
    def refresh_tokens(self) -> RefreshTokenRepository: ...

    async def __aenter__(self) -> Self: ...
    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...


class UnitOfWorkFactory(Protocol):
    def __call__(self) -> TenantUnitOfWork: ...


class BalanceCache(Protocol):
    async def get(self, member_id: UUID, wallet: str) -> Balance | None: ...
    async def put(self, balance: Balance) -> None:
        """Store `balance` unless a newer version is already there."""
        ...

    async def get_many(self, member_ids: Sequence[UUID], wallet: str) -> dict[UUID, Balance]:
        """`get` of each member in one round trip; the misses are left out."""
        ...

    async def put_many(self, balances: Sequence[Balance]) -> None:
        """`put` of each balance in one round trip."""
        ...

    async def announce(self, member_id: UUID) -> None:
        """Tells whoever watches the member live that something other than points changed
        (storing a balance tells them of a change of points)."""
        ...
