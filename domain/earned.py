"""Points earned for something the member did (an action, a survey answer, a gift), under
the program's current rules: its expiry, rate and version."""

from __future__ import annotations

from datetime import datetime

from domain.earning import expiry_for
from domain.ledger import EntryKind, LedgerEntry
from domain.program import ProgramConfig
from domain.wallet import LockedWallet


async def earn_now(
    wallet: LockedWallet,
    program: ProgramConfig,
    points: int,
    reason: str,
    idempotency_key: str | None = None,
    available_at: datetime | None = None,
) -> LedgerEntry:
    """Credits `points` to the locked wallet, spendable from `available_at` (now unless
    given), expiring as the program's lots do from now."""
    return await wallet.credit(
        points,
        kind=EntryKind.EARN,
        available_at=available_at or wallet.now,
        expires_at=expiry_for(program, wallet.now),
        reason=reason,
        idempotency_key=idempotency_key,
        config_version=program.version,
        rate=program.rate,
    )
