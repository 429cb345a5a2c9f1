"""Persisted queries: the documents in graphql/operations/, known by the sha256 of their bytes.

Clients speak Apollo's persisted-query protocol: `extensions.persistedQuery` =
`{"version": 1, "sha256Hash": "<hex>"}` names a document instead of sending its text, or
beside it. Only the repository's documents are known. A hash is never learned from a
request (no automatic registration): the set is fixed when the process starts, so no client
can make the server remember anything.

With `LOYALTY_REQUIRE_PERSISTED_QUERIES` in production, any other document is refused before
it is parsed, except from operator sessions: agency staff explore the API in GraphiQL, and
an operator is a person the agency vouches for, not a key shipped in an app or a storefront.
In development nothing is refused, so GraphiQL keeps working for everyone.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from graphql import GraphQLError, OperationDefinitionNode, parse
from strawberry.types import ExecutionResult

from api.auth.principal import Kind, Principal
from api.settings import Settings

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


class PersistedQueries:
    """The persisted documents by hash and by text, and the rules a request is held to."""

    def __init__(self, documents: list[PersistedDocument], *, required: bool = False) -> None:
        self.documents = documents
        self.required = required
        self._by_hash = {d.sha256: d for d in documents}
        self.texts = frozenset(d.text for d in documents)

    @classmethod
    def from_settings(cls, settings: Settings) -> PersistedQueries:
        folder = settings.operations_dir or OPERATIONS_DIR
        documents = read_documents(folder) if folder.is_dir() else []
        required = settings.require_persisted_queries and settings.production
        if not documents:
            if required:
                raise RuntimeError(
                    f"LOYALTY_REQUIRE_PERSISTED_QUERIES is set but {folder} holds no documents"
                )
            log.warning("no persisted queries: %s holds no *.graphql documents", folder)
        return cls(documents, required=required)

    def manifest(self) -> dict[str, dict[str, str | None]]:
        return {
            d.sha256: {"name": d.name, "client": d.client, "path": d.path} for d in self.documents
        }

    def text_to_run(
        self, query: str | None, extensions: dict[str, Any] | None, principal: Principal
    ) -> str | None:
        """The document a request runs: its text, or the persisted one its hash names. None
        when it has neither (left to the usual "no query" answer). Raises
        PersistedQueryRefused for what these rules refuse."""
        persisted = extensions.get("persistedQuery") if extensions else None
        if persisted is not None:
            named = self._named(persisted)
            if not query:
                document = self._by_hash.get(named)
                if document is None:
                    raise PersistedQueryRefused("PERSISTED_QUERY_NOT_FOUND", NOT_FOUND)
                return document.text
            if sha256_hex(query) != named:
                raise PersistedQueryRefused(
                    "PERSISTED_QUERY_HASH_MISMATCH",
                    "persistedQuery.sha256Hash is not the sha256 of the query sent with it.",
                )
        required = self.required and principal.kind is not Kind.OPERATOR
        if query and required and query not in self.texts:
            raise PersistedQueryRefused(
                "PERSISTED_QUERY_REQUIRED",
                "Only persisted queries are accepted: send the text or the sha256Hash "
                "of a document in graphql/operations/.",
            )
        return query

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
