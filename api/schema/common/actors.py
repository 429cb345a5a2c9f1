"""Who made a change, as the audit log and the ledger name them (domain/audit.py's Actor)."""

from __future__ import annotations

import strawberry

from domain.audit import Actor


@strawberry.type(description="Who made a recorded change.")
class AuditActor:
    kind: str = strawberry.field(
        description="OPERATOR or SECRET_KEY; CLI for a change the command line made "
        "(moveTenant); on ledger entries also IMPORT (an opening balance of a member import) "
        "and SYSTEM (points maturing or expiring)."
    )
    id: str | None = strawberry.field(
        description="The operator's or the API key's id; an import's id."
    )
    label: str | None = strawberry.field(
        description="The operator's email, or the key's prefix; who sent an import (an "
        "email, or cli:<file> for the command line); cli:<command> for the command line."
    )

    @classmethod
    def of(cls, actor: Actor) -> AuditActor:
        return cls(kind=actor.kind, id=actor.id, label=actor.label)
