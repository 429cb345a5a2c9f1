"""trustedDocuments: the documents registered for the tenant, in registration order."""

from __future__ import annotations

import strawberry

from api.context import Info
from api.schema.common.pagination import Connection, decode_cursor, page_of, page_size
from api.schema.trusted_documents.types import TrustedDocument
from domain.trusted_documents import client_name


@strawberry.type
class TrustedDocumentQueries:
    @strawberry.field(
        description="The tenant's trusted documents, of one client or all (secret keys, operators)."
    )
    async def trusted_documents(
        self,
        info: Info,
        client: str | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[TrustedDocument]:
        ctx = info.context
        ctx.require_reader()
        size = page_size(first, ctx.services.settings.max_page_size)
        wanted = None if client is None else client_name(client)
        found = await ctx.services.trusted_documents.page(
            ctx.tenant.id, wanted, decode_cursor(after), size + 1
        )
        return page_of(found, size, after is not None, TrustedDocument.of, lambda r: r.position)
