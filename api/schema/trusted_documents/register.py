"""registerTrustedDocuments: an operator registers a client's persisted-query manifest."""

from __future__ import annotations

import dataclasses

import strawberry
from graphql import GraphQLSyntaxError, OperationDefinitionNode, parse

from api.auth.principal import Kind, Role
from api.context import Info
from api.schema.common.errors import UserError, returns_payload
from api.schema.trusted_documents.types import TrustedDocument
from domain.errors import DomainError
from domain.trusted_documents import ManifestEntry, OperationType, client_name, read_manifest


@strawberry.input
class RegisterTrustedDocumentsInput:
    client: str = strawberry.field(
        description="Which client the documents are for, e.g. 'storefront-web' or 'ios'."
    )
    manifest: str = strawberry.field(
        description="The manifest file's JSON text: Apollo's persisted-query manifest"
        ' ({"format": "apollo-persisted-query-manifest", "version": 1, "operations": [...]})'
        ' or Relay\'s ({"<sha256>": "<text>"}). Every id must be the sha256 of its text.'
    )


@strawberry.type
class RegisterTrustedDocumentsPayload:
    documents: list[TrustedDocument] | None = strawberry.field(
        default=None, description="The manifest's documents as stored, new or already there."
    )
    errors: list[UserError] = strawberry.field(default_factory=list)


def _parsed(entries: list[ManifestEntry]) -> list[ManifestEntry]:
    """Each document is GraphQL holding one operation (and any fragments it uses); its name
    and type are filled in from it where the manifest has none (Relay's has neither)."""
    checked = []
    for entry in entries:
        where = ("manifest", entry.sha256)
        try:
            document = parse(entry.body, no_location=True)
        except GraphQLSyntaxError as exc:
            raise DomainError(f"Not a GraphQL document: {exc.message}", field=where) from None
        operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
        if len(operations) != 1:
            raise DomainError("A document holds exactly one operation.", field=where)
        [operation] = operations
        checked.append(
            dataclasses.replace(
                entry,
                name=entry.name or (operation.name.value if operation.name else None),
                operation_type=entry.operation_type
                or OperationType(operation.operation.value.upper()),
            )
        )
    return checked


@strawberry.type
class RegisterTrustedDocumentsMutations:
    @strawberry.mutation(
        description="Register a client's documents for the tenant in X-Tenant, so requests"
        " may name them by id when persisted queries are required (owners and admins)."
        " Documents already registered stay; revokeTrustedDocuments removes them."
    )
    @returns_payload(RegisterTrustedDocumentsPayload)
    async def register_trusted_documents(
        self, info: Info, input: RegisterTrustedDocumentsInput
    ) -> RegisterTrustedDocumentsPayload:
        ctx = info.context
        ctx.require(Kind.OPERATOR, roles=(Role.OWNER, Role.ADMIN))
        client = client_name(input.client)
        entries = _parsed(
            read_manifest(input.manifest, max_body_length=ctx.services.settings.max_query_length)
        )
        stored = await ctx.services.trusted_documents.register(
            ctx.tenant.id, client, entries, ctx.principal.operator_id
        )
        return RegisterTrustedDocumentsPayload(documents=[TrustedDocument.of(r) for r in stored])
