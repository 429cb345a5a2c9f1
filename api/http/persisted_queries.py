"""Persisted queries: documents known by the sha256 of their text.

Three sources of documents, looked up in this order:

- the repository's documents (graphql/operations/), by the sha256 of their bytes, fixed when
  the process starts;
- trusted documents: the manifests a tenant's operators registered per client
  (`registerTrustedDocuments`, persistence/trusted_documents.py), seen by every replica;
- automatic persisted queries (Apollo's APQ): a client that sends a document's text with its
  sha256 registers it for its tenant in Redis, bounded (persistence/automatic_persisted_queries.py),
  so later requests may send the hash alone. Only while persisted queries are not required.

A request names a document by `extensions.persistedQuery` = `{"version": 1, "sha256Hash":
"<hex>"}` (Apollo), or by a `documentId` (the GraphQL-over-HTTP draft, `sha256:<hex>` or
bare hex), `doc_id` or `id` field (Relay's network layers). An id the server does not know,
sent without text, is answered with Apollo's `PersistedQueryNotFound`, so an APQ client
sends the text next.

With `LOYALTY_REQUIRE_PERSISTED_QUERIES` in production, only the repository's documents and
the tenant's trusted documents run (by id or by text); nothing is registered automatically and
automatic registrations are not consulted. Operator sessions are exempt: agency staff explore
the API in GraphiQL, and an operator is a person the agency vouches for, not a key shipped in
an app or a storefront. In development nothing is refused, so GraphiQL keeps working for
everyone.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from graphql import GraphQLError, OperationDefinitionNode, parse
from strawberry.types import ExecutionResult

from api.auth.principal import Kind, Principal
from api.settings import Settings
from domain.trusted_documents import APOLLO_FORMAT, is_sha256
from persistence.automatic_persisted_queries import NO_TENANT, AutomaticPersistedQueries
from persistence.trusted_documents import TrustedDocuments

log = logging.getLogger(__name__)

OPERATIONS_DIR = Path(__file__).resolve().parents[2] / "graphql" / "operations"
# How a document's path reads in the manifest, wherever the folder is deployed.
MANIFEST_PREFIX = "graphql/operations"
PROTOCOL_VERSION = 1


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class PersistedDocument:
    sha256: str
    name: str | None  # the operation's name
    client: str  # storefront, mobile or agency: the folder it is kept in
    path: str  # e.g. graphql/operations/mobile/Me.graphql
    text: str


def read_documents(folder: Path) -> list[PersistedDocument]:
    """Every `*.graphql` under `folder`, in path order; a file's hash is of its bytes as stored."""
    documents = []
    for file in sorted(folder.rglob("*.graphql")):
        raw = file.read_bytes()
        text = raw.decode("utf-8")
        relative = file.relative_to(folder)
        documents.append(
            PersistedDocument(
                sha256=hashlib.sha256(raw).hexdigest(),
                name=_operation_name(text),
                client=relative.parts[0] if len(relative.parts) > 1 else "",
                path=f"{MANIFEST_PREFIX}/{relative.as_posix()}",
                text=text,
            )
        )
    return documents


def _operation_name(text: str) -> str | None:
    for definition in parse(text, no_location=True).definitions:
        if isinstance(definition, OperationDefinitionNode):
            return definition.name.value if definition.name else None
    return None


def _operation_type(text: str) -> str | None:
    for definition in parse(text, no_location=True).definitions:
        if isinstance(definition, OperationDefinitionNode):
            return definition.operation.value
    return None


class PersistedQueryRefused(Exception):
    """A request the persisted-query rules refuse; answered as a GraphQL error, HTTP 200."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    def result(self) -> ExecutionResult:
        return ExecutionResult(
            data=None, errors=[GraphQLError(self.message, extensions={"code": self.code})]
        )


# Apollo's clients look for this exact message to send the text along with the hash.
NOT_FOUND = "PersistedQueryNotFound"


def _required() -> PersistedQueryRefused:
    return PersistedQueryRefused(
        "PERSISTED_QUERY_REQUIRED",
        "Only persisted queries are accepted: send the id or the text of a document in"
        " graphql/operations/ or in a trusted-document manifest registered for this tenant.",
    )


# Where a request may name its document other than extensions.persistedQuery: the
# GraphQL-over-HTTP draft's `documentId`, and Relay network layers' `doc_id` or `id`.
DOCUMENT_ID_FIELDS = ("documentId", "doc_id", "id")


def document_id_in(data: Mapping[str, Any]) -> object:
    """The document id a request body or query string names, if any."""
    for name in DOCUMENT_ID_FIELDS:
        found = data.get(name)
        if found is not None:
            return found
    return None


def _scope(principal: Principal) -> str:
    """Whose automatic persisted queries a caller shares: its tenant's."""
    tenant = principal.tenant
    return NO_TENANT if tenant is None else str(tenant.id)


class PersistedQueries:
    """The persisted documents by hash and by text, and the rules a request is held to."""

    def __init__(
        self,
        documents: list[PersistedDocument],
        *,
        required: bool = False,
        trusted: TrustedDocuments | None = None,
        automatic: AutomaticPersistedQueries | None = None,
        max_registered_length: int = 100_000,
    ) -> None:
        self.documents = documents
        self.max_registered_length = max_registered_length
        self.required = required
        self._by_hash = {d.sha256: d for d in documents}
        self.texts = frozenset(d.text for d in documents)
        self._trusted = trusted
        self._automatic = None if required else automatic

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        *,
        trusted: TrustedDocuments | None = None,
        automatic: AutomaticPersistedQueries | None = None,
    ) -> PersistedQueries:
        folder = settings.operations_dir or OPERATIONS_DIR
        documents = read_documents(folder) if folder.is_dir() else []
        required = settings.require_persisted_queries and settings.production
        if not documents:
            if required:
                raise RuntimeError(
                    f"LOYALTY_REQUIRE_PERSISTED_QUERIES is set but {folder} holds no documents"
                )
            log.warning("no persisted queries: %s holds no *.graphql documents", folder)
        return cls(
            documents,
            required=required,
            trusted=trusted,
            automatic=automatic,
            max_registered_length=settings.max_query_length,
        )

    def manifest(self) -> dict[str, dict[str, str | None]]:
        return {
            d.sha256: {"name": d.name, "client": d.client, "path": d.path} for d in self.documents
        }

    def _of(self, client: str | None) -> list[PersistedDocument]:
        return [d for d in self.documents if client is None or d.client == client]

    def apollo_manifest(self, client: str | None = None) -> dict[str, object]:
        """The documents as Apollo's persisted-query manifest, for Apollo Client's
        persisted-query link to send them by id."""
        operations = [
            {"id": d.sha256, "name": d.name, "type": _operation_type(d.text), "body": d.text}
            for d in self._of(client)
        ]
        return {"format": APOLLO_FORMAT, "version": 1, "operations": operations}

    def relay_manifest(self, client: str | None = None) -> dict[str, str]:
        """The documents as Relay's persisted-query file: {id: text}."""
        return {d.sha256: d.text for d in self._of(client)}

    async def text_to_run(
        self,
        query: str | None,
        extensions: dict[str, Any] | None,
        principal: Principal,
        document_id: object = None,
    ) -> str | None:
        """The document a request runs: its text, or the persisted one its id names. None
        when it has neither (left to the usual "no query" answer). Raises
        PersistedQueryRefused for what these rules refuse."""
        # A top-level id beside the text is ignored: some clients send their own operation
        # ids (Relay's are MD5) with the text, and the text says what runs.
        named = self._id_named(extensions, None if query else document_id)
        required = self.required and principal.kind is not Kind.OPERATOR
        if named is not None:
            if not query:
                text = await self._text_of(named, principal)
                if text is None:
                    raise PersistedQueryRefused("PERSISTED_QUERY_NOT_FOUND", NOT_FOUND)
                return text
            if sha256_hex(query) != named:
                raise PersistedQueryRefused(
                    "PERSISTED_QUERY_HASH_MISMATCH",
                    "persistedQuery.sha256Hash is not the sha256 of the query sent with it.",
                )
            if required and not await self._trusted_hash(named, principal):
                raise _required()
            # A longer document is refused before it runs: never stored.
            fits = len(query) <= self.max_registered_length
            if self._automatic is not None and fits and named not in self._by_hash:
                await self._automatic.register(_scope(principal), named, query)
            return query
        if (
            query
            and required
            and query not in self.texts
            and not await self._trusted_hash(sha256_hex(query), principal)
        ):
            raise _required()
        return query

    async def _text_of(self, named: str, principal: Principal) -> str | None:
        document = self._by_hash.get(named)
        if document is not None:
            return document.text
        if not is_sha256(named):
            return None  # nothing else is looked up, or remembered, by what is not a hash
        tenant = principal.tenant
        if self._trusted is not None and tenant is not None:
            text = await self._trusted.body(tenant.id, named)
            if text is not None:
                return text
        if self._automatic is not None:
            return await self._automatic.text(_scope(principal), named)
        return None

    async def _trusted_hash(self, named: str, principal: Principal) -> bool:
        """Whether `named` is a repository document or one of the tenant's trusted ones."""
        if named in self._by_hash:
            return True
        tenant = principal.tenant
        if self._trusted is None or tenant is None or not is_sha256(named):
            return False
        return await self._trusted.body(tenant.id, named) is not None

    def _id_named(self, extensions: dict[str, Any] | None, document_id: object) -> str | None:
        """The id a request names its document by, if any, once its shape is right."""
        persisted = extensions.get("persistedQuery") if extensions else None
        named = None if persisted is None else self._named(persisted)
        if document_id is None:
            return named
        if not isinstance(document_id, str):
            raise PersistedQueryRefused(
                "PERSISTED_QUERY_INVALID", "documentId must be a string: sha256:<hex>."
            )
        bare = document_id.removeprefix("sha256:")
        if named is not None and named != bare:
            raise PersistedQueryRefused(
                "PERSISTED_QUERY_HASH_MISMATCH",
                "documentId and persistedQuery.sha256Hash name different documents.",
            )
        return bare

    @staticmethod
    def _named(persisted: object) -> str:
        """The hash an `extensions.persistedQuery` names, once its shape is right."""
        if not isinstance(persisted, dict):
            raise PersistedQueryRefused(
                "PERSISTED_QUERY_INVALID",
                'extensions.persistedQuery must be {"version": 1, "sha256Hash": "<hex>"}.',
            )
        version = persisted.get("version")
        if type(version) is not int or version != PROTOCOL_VERSION:
            raise PersistedQueryRefused(
                "PERSISTED_QUERY_VERSION_NOT_SUPPORTED",
                "persistedQuery.version must be 1.",
            )
        named = persisted.get("sha256Hash")
        if not isinstance(named, str):
            raise PersistedQueryRefused(
                "PERSISTED_QUERY_INVALID",
                "persistedQuery.sha256Hash must be the lowercase hex sha256 of the document.",
            )
        return named
