"""The ids of the rules of a list (earning rules, stamp rules): short, lowercase, unique
within the list, so a client can name the rule it changes."""

from __future__ import annotations

import re

from domain.errors import DomainError

_RULE_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")


def check_rule_id(rule_id: str, seen: set[str], where: tuple[str, ...]) -> None:
    """Refuses an id of the wrong form or one `seen` before in the list; records it seen.
    `where` is the rule's place, `("rules", "<index>")`."""
    if not _RULE_ID.match(rule_id) or rule_id in seen:
        raise DomainError(
            "Rule ids are unique, lowercase letters, digits, '-' and '_'.", field=(*where, "id")
        )
    seen.add(rule_id)
