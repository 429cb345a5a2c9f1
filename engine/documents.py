"""Parsed and validated documents, cached by their text, prepared in one hook per request.

strawberry's ParserCache, MaxTokensLimiter, AddValidationRules and ValidationCache did this
as four extensions. strawberry builds every extension anew for each request and enters a
context manager per extension per hook (operation, parse, validate, execute): with error
hygiene that was six extensions and about two dozen context managers before the first
resolver ran. One extension doing all of it, with one hook, does the same work for a sixth of
that overhead.

The cache belongs to one schema (the privileged and the public schema validate with
different rules), so its key is the document text alone. Only documents that parse are
cached, with whatever validation errors they have; a document that does not parse (a syntax
error, too many tokens) is left to strawberry, which parses it again with the same token
limit and reports the error exactly as before.

The cache is bounded by what its documents weigh, not only by their number: a parsed
document keeps its whole text (its Source) and about 430 bytes per token (measured: the
Token, its node and Location), so 40 distinct 5 MB documents under the token limit once
kept 400 MB alive. And who sent a document decides where it is kept: the persisted
documents (a fixed set) are never evicted; a secret key's or an operator's documents live
in the larger pool; anyone else's (anonymous, publishable keys, member tokens) in a smaller
pool of their own, so a flood of them evicts only each other.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator, Sequence
from typing import Any

from graphql import (
    DocumentNode,
    GraphQLError,
    GraphQLSchema,
    OperationDefinitionNode,
    get_operation_ast,
    parse,
)
from graphql.validation import ASTValidationRule, specified_rules
from strawberry.extensions import SchemaExtension
from strawberry.schema.exceptions import CannotGetOperationTypeError
from strawberry.schema.schema import validate_document
from strawberry.types.graphql import OperationType

from engine.policy import NEUTRAL, Policy


class OperationNotNamed(CannotGetOperationTypeError):
    """A document of several operations, and no operationName: strawberry would run the
    first, where GraphQL says the request must name one. Refused instead, as the view
    refuses an operation it cannot pick (400)."""

    def __init__(self) -> None:
        super().__init__(None)

    def as_http_error_reason(self) -> str:
        return "The document has several operations: name the one to run in operationName."


class Prepared:
    """A parsed document, its validation errors, and the type of each operation asked for."""

    __slots__ = ("_operation_types", "cost", "document", "errors", "plans")

    def __init__(self, document: DocumentNode, errors: tuple[GraphQLError, ...]) -> None:
        self.document = document
        self.errors = errors
        self._operation_types: dict[str | None, OperationType | None] = {}
        # The query plan of each operation asked for (engine/query_plan.py), or None.
        self.plans: dict[str | None, Any] = {}
        # Its estimated cost (api/schema/common/limits.py) once the rate limits asked for it.
        self.cost: int | None = None

    def operation_type(self, operation_name: str | None) -> OperationType | None:
        """The type of the operation a request names (or the only one); None when the
        document has no such operation, or several and no name."""
        try:
            return self._operation_types[operation_name]
        except KeyError:
            pass
        operation = get_operation_ast(self.document, operation_name)
        found = None if operation is None else OperationType(operation.operation.value)
        if len(self._operation_types) < 16:  # names are the client's: keep a few
            self._operation_types[operation_name] = found
        return found

    def unnamed_among_several(self, operation_name: str | None) -> bool:
        """Whether the request names no operation of a document that has several."""
        if operation_name is not None:
            return False
        definitions = self.document.definitions
        return sum(isinstance(d, OperationDefinitionNode) for d in definitions) > 1


# What a parsed document keeps alive besides its text, per token (measured ~430 bytes).
TOKEN_BYTES = 512


def weight(query: str, document: DocumentNode) -> int:
    """The bytes a cached document keeps alive, estimated: its text and its tokens."""
    tokens = 0
    token = document.loc.start_token if document.loc else None
    while token is not None:
        tokens += 1
        token = token.next
    return len(query) + TOKEN_BYTES * tokens


class DocumentPool:
    """An LRU of document text → Prepared, within a byte budget and a number of entries."""

    def __init__(self, max_bytes: int, max_entries: int) -> None:
        self.max_bytes = max_bytes
        self.max_entries = max_entries
        self.bytes = 0
        self._entries: OrderedDict[str, tuple[Prepared, int]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, query: str) -> bool:
        return query in self._entries

    def get(self, query: str) -> Prepared | None:
        hit = self._entries.get(query)
        if hit is None:
            return None
        self._entries.move_to_end(query)
        return hit[0]

    def put(self, query: str, prepared: Prepared, size: int) -> None:
        if size > self.max_bytes:
            return  # it would evict everything and still not fit
        self._entries[query] = (prepared, size)
        self.bytes += size
        while self.bytes > self.max_bytes or len(self._entries) > self.max_entries:
            _, (_, evicted) = self._entries.popitem(last=False)
            self.bytes -= evicted


class DocumentCache:
    """Document text → (parsed document, its validation errors): the persisted documents
    kept for good, the rest in two bounded pools by who sent them."""

    def __init__(
        self,
        rules: Sequence[type[ASTValidationRule]],
        *,
        max_tokens: int,
        trusted_bytes: int,
        untrusted_bytes: int,
        persisted: frozenset[str] = frozenset(),
        maxsize: int = 512,
        max_length: int | None = None,
        policy: Policy = NEUTRAL,
    ) -> None:
        self.policy = policy
        self.rules = (*specified_rules, *rules)
        self.max_tokens = max_tokens
        self.max_length = max_length
        self._persisted_texts = persisted
        self.persisted: dict[str, Prepared] = {}
        self.trusted = DocumentPool(trusted_bytes, maxsize)
        self.untrusted = DocumentPool(untrusted_bytes, maxsize // 2)

    def get(self, schema: GraphQLSchema, query: str, *, trusted: bool) -> Prepared | None:
        """The prepared document; `trusted` when a secret key or an operator sent it."""
        hit = self.persisted.get(query) or self.trusted.get(query) or self.untrusted.get(query)
        if hit is not None:
            return hit
        try:
            document = parse(query, max_tokens=self.max_tokens)
        except GraphQLError:
            return None
        prepared = Prepared(document, tuple(validate_document(schema, document, self.rules)))
        if query in self._persisted_texts:
            self.persisted[query] = prepared
        else:
            pool = self.trusted if trusted else self.untrusted
            pool.put(query, prepared, weight(query, document))
        return prepared


class PreparedOperation(SchemaExtension):
    """Before the operation: the cached document and its validation result, so strawberry
    neither parses nor validates; after it: the policy's error hygiene (engine/policy.py)."""

    def __init__(self, cache: DocumentCache) -> None:
        self._cache = cache

    def on_operation(self) -> Iterator[None]:
        context = self.execution_context
        context.parse_options["max_tokens"] = self._cache.max_tokens
        context.validation_rules = self._cache.rules
        too_long = self._cache.max_length
        if context.query and too_long is not None and len(context.query) > too_long:
            # The HTTP endpoint refuses these with a 413 before they get here; this is for
            # what comes another way (a subscription over a WebSocket).
            raise GraphQLError(
                f"The GraphQL document is longer than the limit of {too_long} characters.",
                extensions={"code": "QUERY_TOO_LARGE"},
            )
        if context.query and context.graphql_document is None:
            prepared = self._cache.get(
                context.schema._schema,
                context.query,
                trusted=self._cache.policy.trusted(context.context),
            )
            if prepared is not None:
                # Asked before the document is set: strawberry's operation_name then is the
                # one the request gave, not the first operation's, which it falls back to.
                if prepared.unnamed_among_several(context.operation_name):
                    raise OperationNotNamed
                context.graphql_document = prepared.document
                # Set, even when empty, so strawberry's own validation is skipped.
                context.pre_execution_errors = [
                    *prepared.errors,
                    *self._cache.policy.refused_variables(context.variables),
                ]
        yield
        result = context.result
        errors = getattr(result, "errors", None)
        if result is not None and errors:
            result.errors = self._cache.policy.cleaned(errors, context.context)
