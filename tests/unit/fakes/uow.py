"""The fake tenant unit of work: one transaction over a FakeDatabase.

It works on a snapshot of the committed tables; a clean exit commits it, an exception
drops it, as the real unit of work commits or rolls back its transaction. One is open at a
time: the fakes are single-threaded, so a second would only be able to overwrite the
first's commit, which PostgreSQL's row locks exist to prevent.
"""

from __future__ import annotations

from types import TracebackType
from typing import Self

from tests.unit.fakes.actions import FakeActionRepository
from tests.unit.fakes.analytics import FakeAnalyticsRepository
from tests.unit.fakes.idempotency import FakeIdempotencyStore
from tests.unit.fakes.ledger import FakeLedgerRepository
from tests.unit.fakes.members import FakeMemberRepository
from tests.unit.fakes.orders import FakeOrderRepository
from tests.unit.fakes.programs import FakeProgramRepository
from tests.unit.fakes.referrals import FakeReferralRepository
from tests.unit.fakes.refresh_tokens import FakeRefreshTokenRepository
from tests.unit.fakes.rewards import FakeRedemptionRepository, FakeRewardRepository
from tests.unit.fakes.segments import FakeCampaignRepository, FakeSegmentRepository
from tests.unit.fakes.surveys import FakeSurveyRepository
from tests.unit.fakes.tables import FakeDatabase, Tables
from tests.unit.fakes.tiers import FakeTierRepository
from tests.unit.fakes.webhooks import FakeEventOutbox, FakeWebhookRepository


class _Repositories:
    """Every repository of one transaction, over its snapshot of the tables."""

    def __init__(self, db: FakeDatabase, tables: Tables) -> None:
        self.tables = tables
        self.members = FakeMemberRepository(tables, db.sequences)
        self.ledger = FakeLedgerRepository(tables, db.sequences)
        self.idempotency = FakeIdempotencyStore(tables)
        self.programs = FakeProgramRepository(tables)
        self.orders = FakeOrderRepository(tables, db.sequences)
        self.actions = FakeActionRepository(tables)
        self.rewards = FakeRewardRepository(tables, db.sequences)
        self.redemptions = FakeRedemptionRepository(tables, db.sequences)
        self.referrals = FakeReferralRepository(tables, db.sequences)
        self.tiers = FakeTierRepository(tables, db.sequences)
        self.surveys = FakeSurveyRepository(tables, db.sequences)
        self.segments = FakeSegmentRepository(tables)
        self.campaigns = FakeCampaignRepository(tables, db.sequences)
        self.analytics = FakeAnalyticsRepository(tables)
        self.events = FakeEventOutbox(tables, db.sequences)
        self.webhooks = FakeWebhookRepository(tables, db.sequences)
        self.refresh_tokens = FakeRefreshTokenRepository(tables)


class FakeUnitOfWork:
    def __init__(self, db: FakeDatabase) -> None:
        self._db = db
        self._open: _Repositories | None = None

    async def __aenter__(self) -> Self:
        if self._db.in_transaction:
            raise RuntimeError("a fake unit of work is already open on this database")
        self._db.in_transaction = True
        self._open = _Repositories(self._db, self._db.tables.snapshot())
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._open is not None
        if exc_type is None:
            self._open.events.flush()
            self._db.tables = self._open.tables
        self._open = None
        self._db.in_transaction = False

    @property
    def _repositories(self) -> _Repositories:
        assert self._open is not None, "repositories are used inside the unit of work"
        return self._open

    @property
    def members(self) -> FakeMemberRepository:
        return self._repositories.members

    @property
    def ledger(self) -> FakeLedgerRepository:
        return self._repositories.ledger

    @property
    def idempotency(self) -> FakeIdempotencyStore:
        return self._repositories.idempotency

    @property
    def programs(self) -> FakeProgramRepository:
        return self._repositories.programs

    @property
    def orders(self) -> FakeOrderRepository:
        return self._repositories.orders

    @property
    def actions(self) -> FakeActionRepository:
        return self._repositories.actions

    @property
    def rewards(self) -> FakeRewardRepository:
        return self._repositories.rewards

    @property
    def redemptions(self) -> FakeRedemptionRepository:
        return self._repositories.redemptions

    @property
    def referrals(self) -> FakeReferralRepository:
        return self._repositories.referrals

    @property
    def tiers(self) -> FakeTierRepository:
        return self._repositories.tiers

    @property
    def surveys(self) -> FakeSurveyRepository:
        return self._repositories.surveys

    @property
    def segments(self) -> FakeSegmentRepository:
        return self._repositories.segments

    @property
    def campaigns(self) -> FakeCampaignRepository:
        return self._repositories.campaigns

    @property
    def analytics(self) -> FakeAnalyticsRepository:
        return self._repositories.analytics

    @property
    def events(self) -> FakeEventOutbox:
        return self._repositories.events

    @property
    def webhooks(self) -> FakeWebhookRepository:
        return self._repositories.webhooks

    @property
    def refresh_tokens(self) -> FakeRefreshTokenRepository:
        return self._repositories.refresh_tokens


class FakeUnitOfWorkFactory:
    """Makes units of work over one FakeDatabase (a fresh one unless given); what the use
    cases are given in place of persistence.uow.PgUnitOfWorkFactory."""

    def __init__(self, db: FakeDatabase | None = None) -> None:
        self.db = db if db is not None else FakeDatabase()
        self.opened = 0

    def __call__(self) -> FakeUnitOfWork:
        self.opened += 1
        return FakeUnitOfWork(self.db)
