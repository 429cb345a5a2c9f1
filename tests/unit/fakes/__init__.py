"""In-memory fakes of the domain's ports (domain/ports.py), for the fast unit tier.

They keep the contracts of the real adapters in persistence/ (what a missing row reads as,
uniqueness, orderings, the idempotency store, the append-only ledger, the schema's CHECKs),
single-threaded and without PostgreSQL or Redis. tests/integration/test_fakes_contract.py
runs the same scenario on these and on PostgreSQL to keep them honest.
"""

from tests.unit.fakes.balance_cache import FakeBalanceCache
from tests.unit.fakes.tables import FakeDatabase
from tests.unit.fakes.uow import FakeUnitOfWork, FakeUnitOfWorkFactory

__all__ = ["FakeBalanceCache", "FakeDatabase", "FakeUnitOfWork", "FakeUnitOfWorkFactory"]
