"""A member known by its id alone, its row not read.

For a selection of MEMBER_ID_ONLY_FIELDS (api/schema/members/selection.py) the id is all the
fields need: the balance, the ledger, redemptions, rewards and tiers are keyed by it. Such a
member answers as the GraphQL type `Member` (its `is_type_of` takes this class too), and has
only what those fields read, so a field that needs the row fails loudly instead of answering
with made-up data.
"""

from __future__ import annotations

from typing import ClassVar
from uuid import UUID

import strawberry

from api.member_loaders import MemberBatch
from api.schema.common.ids import to_global_id
from domain.ledger import Balance


class MemberById:
    __slots__ = ("id", "member_id", "read_with_name")

    # Not from a page: its points and tier are read for it alone, as for `me`.
    batch: ClassVar[MemberBatch | None] = None
    listed: ClassVar[bool] = False

    def __init__(self, member_id: UUID, read_with_name: Balance | None = None) -> None:
        self.id = strawberry.ID(to_global_id("Member", member_id))
        self.member_id = member_id
        # The balance read in the round trip that found the member by its shared name
        # (persistence/shared_names.py); `points` of its wallet answers from it.
        self.read_with_name = read_with_name
