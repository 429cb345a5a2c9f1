"""Each fake, typed as the port it stands in for: mypy checks here that it satisfies the
Protocol in domain/ports.py, so a changed port fails the type check, not a test run."""

from __future__ import annotations

from domain.ports import (
    ActionRepository,
    AnalyticsRepository,
    BalanceCache,
    CampaignRepository,
    IdempotencyStore,
    LedgerRepository,
    MemberRepository,
    OrderRepository,
    ProgramRepository,
    RedemptionRepository,
    ReferralRepository,
    RewardRepository,
    SegmentRepository,
    SurveyRepository,
    TenantUnitOfWork,
    TierRepository,
    UnitOfWorkFactory,
)
from domain.webhook_ports import EventOutbox, WebhookRepository
from tests.unit.fakes.actions import FakeActionRepository
from tests.unit.fakes.analytics import FakeAnalyticsRepository
from tests.unit.fakes.balance_cache import FakeBalanceCache
from tests.unit.fakes.idempotency import FakeIdempotencyStore
from tests.unit.fakes.ledger import FakeLedgerRepository
from tests.unit.fakes.members import FakeMemberRepository
from tests.unit.fakes.orders import FakeOrderRepository
from tests.unit.fakes.programs import FakeProgramRepository
from tests.unit.fakes.referrals import FakeReferralRepository
from tests.unit.fakes.rewards import FakeRedemptionRepository, FakeRewardRepository
from tests.unit.fakes.segments import FakeCampaignRepository, FakeSegmentRepository
from tests.unit.fakes.surveys import FakeSurveyRepository
from tests.unit.fakes.tables import FakeDatabase, Tables
from tests.unit.fakes.tiers import FakeTierRepository
from tests.unit.fakes.uow import FakeUnitOfWork, FakeUnitOfWorkFactory
from tests.unit.fakes.webhooks import FakeEventOutbox, FakeWebhookRepository


def ports_of(db: FakeDatabase) -> tuple[object, ...]:
    """One of each fake, as its port; never called for its value, only type-checked (and
    run once by the unit tests so it cannot rot)."""
    tables, sequences = Tables(), db.sequences
    members: MemberRepository = FakeMemberRepository(tables, sequences)
    ledger: LedgerRepository = FakeLedgerRepository(tables, sequences)
    idempotency: IdempotencyStore = FakeIdempotencyStore(tables)
    programs: ProgramRepository = FakeProgramRepository(tables)
    orders: OrderRepository = FakeOrderRepository(tables, sequences)
    actions: ActionRepository = FakeActionRepository(tables)
    rewards: RewardRepository = FakeRewardRepository(tables, sequences)
    redemptions: RedemptionRepository = FakeRedemptionRepository(tables, sequences)
    referrals: ReferralRepository = FakeReferralRepository(tables, sequences)
    tiers: TierRepository = FakeTierRepository(tables, sequences)
    surveys: SurveyRepository = FakeSurveyRepository(tables, sequences)
    segments: SegmentRepository = FakeSegmentRepository(tables)
    campaigns: CampaignRepository = FakeCampaignRepository(tables, sequences)
    analytics: AnalyticsRepository = FakeAnalyticsRepository(tables)
    events: EventOutbox = FakeEventOutbox(tables, sequences)
    webhooks: WebhookRepository = FakeWebhookRepository(tables, sequences)
    uow: TenantUnitOfWork = FakeUnitOfWork(db)
    factory: UnitOfWorkFactory = FakeUnitOfWorkFactory(db)
    cache: BalanceCache = FakeBalanceCache()
    return (
        members,
        ledger,
        idempotency,
        programs,
        orders,
        actions,
        rewards,
        redemptions,
        referrals,
        tiers,
        surveys,
        segments,
        campaigns,
        analytics,
        events,
        webhooks,
        uow,
        factory,
        cache,
    )
