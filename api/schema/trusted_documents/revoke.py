"""revokeTrustedDocuments: a client's documents stop running by id."""

from __future__ import annotations

import strawberry

from api.auth.principal import Kind, Role
from api.context import Info
from api.schema.common.errors import UserError, returns_payload
from domain.errors import DomainError
from domain.trusted_documents import MAX_DOCUMENTS, client_name, is_sha256


@strawberry.input
class RevokeTrustedDocumentsInput:
    client: str
    ids: list[str] | None = strawberry.field(
        default=None,
        description=f"The sha256 ids to revoke, at most {MAX_DOCUMENTS}; left out: every"
        " document of the client.",
    )


@strawberry.type
class RevokeTrustedDocumentsPayload:
    revoked_ids: list[str] | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class RevokeTrustedDocumentsMutations:
    @strawberry.mutation(
        description="Remove a client's trusted documents from the tenant in X-Tenant (owners"
        " and admins); every replica stops running them within moments."
    )
    @returns_payload(RevokeTrustedDocumentsPayload)
    async def revoke_trusted_documents(
        self, info: Info, input: RevokeTrustedDocumentsInput
    ) -> RevokeTrustedDocumentsPayload:
        ctx = info.context
        ctx.require(Kind.OPERATOR, roles=(Role.OWNER, Role.ADMIN))
        client = client_name(input.client)
        if input.ids is not None:
            if len(input.ids) > MAX_DOCUMENTS:
                raise DomainError(f"At most {MAX_DOCUMENTS} ids at once.", field=("ids",))
            for index, each in enumerate(input.ids):
                if not is_sha256(each):
                    raise DomainError(
                        "An id is the lowercase hex sha256 of a document.",
                        field=("ids", str(index)),
                    )
        revoked = await ctx.services.trusted_documents.revoke(ctx.tenant.id, client, input.ids)
        return RevokeTrustedDocumentsPayload(revoked_ids=revoked)
