"""TrustedDocument: a document of a client's manifest, runnable by its id when persisted
queries are required (api/http/persisted_queries.py)."""

from __future__ import annotations

from datetime import datetime

import strawberry

from domain.trusted_documents import OperationType as DomainOperationType
from persistence.trusted_documents import TrustedDocumentRow

OperationType = strawberry.enum(
    DomainOperationType, name="OperationType", description="What a GraphQL document does."
)


@strawberry.type(description="A document a client may send by its id: sha256 of its text.")
class TrustedDocument:
    sha256: str = strawberry.field(
        description="The id requests name it by: the sha256 of the text, lowercase hex."
    )
    client: str = strawberry.field(description="The client whose manifest registered it.")
    name: str | None = strawberry.field(description="The operation's name, from the manifest.")
    operation_type: OperationType | None  # type: ignore[valid-type]
    body: str = strawberry.field(description="The document's text.")
    registered_at: datetime

    @classmethod
    def of(cls, row: TrustedDocumentRow) -> TrustedDocument:
        return cls(
            sha256=row.sha256,
            client=row.client,
            name=row.name,
            operation_type=row.operation_type,
            body=row.body,
            registered_at=row.registered_at,
        )
