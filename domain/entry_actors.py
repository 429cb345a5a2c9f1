"""Who made a ledger entry: the text its `actor` column keeps, and the Actor it reads as
(the same kind, id and label as an audit entry's actor, domain/audit.py).

Written now, as `KIND:id:label`:
- `OPERATOR:<operator id>:<email>` and `SECRET_KEY:<key id>:<key prefix>`: adjustPoints;
- `IMPORT:<import id>:<who>`: an opening balance of a member import, `<who>` the email of
  the operator who sent it or `cli:<file>` for the command line's;
- `SYSTEM::`: time at work, pending points maturing and points expiring, whether the
  worker or a request came upon them first.

Forms written before, still read: `operator:<id>` and `secret_key` (adjustPoints),
`operator:<email>` and `cli:<file>` (member imports). Entries of orders, actions,
redemptions and grants record no actor.
"""

from __future__ import annotations

from uuid import UUID

from domain.audit import Actor

OPERATOR = "OPERATOR"
SECRET_KEY = "SECRET_KEY"
IMPORT = "IMPORT"
SYSTEM = "SYSTEM"
_KINDS = frozenset({OPERATOR, SECRET_KEY, IMPORT, SYSTEM, "MEMBER", "PUBLISHABLE_KEY"})


def recorded(actor: Actor) -> str:
    return f"{actor.kind}:{actor.id or ''}:{actor.label or ''}"


BY_SYSTEM = recorded(Actor(SYSTEM, None, None))


def imported(import_id: UUID, sent_by: str | None) -> str:
    """`sent_by` as an import job keeps it (`operator:<email>` or `cli:<file>`)."""
    who = sent_by.removeprefix("operator:") if sent_by else None
    return recorded(Actor(IMPORT, str(import_id), who))


def read(stored: str | None) -> Actor | None:
    """The actor an entry's column names; None when it names none."""
    if not stored:
        return None
    head, _, rest = stored.partition(":")
    if head in _KINDS:
        actor_id, _, label = rest.partition(":")
        return Actor(head, actor_id or None, label or None)
    if head == "operator":
        return Actor(OPERATOR, rest, None) if _is_uuid(rest) else Actor(IMPORT, None, rest)
    if head == "cli":
        return Actor(IMPORT, None, stored)
    return Actor(head.upper(), rest or None, None)


def _is_uuid(text: str) -> bool:
    try:
        UUID(text)
    except ValueError:
        return False
    return True
