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
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator, Sequence
from typing import Any

from graphql import DocumentNode, GraphQLError, GraphQLSchema, get_operation_ast, parse
from graphql.validation import ASTValidationRule, specified_rules
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import validate_document
from strawberry.types.graphql import OperationType

from api.masking import clean_errors
from api.schema.text_inputs import refused_variables


class Prepared:
    """A parsed document, its validation errors, and the type of each operation asked for."""

    __slots__ = ("_operation_types", "document", "errors", "plans")

    def __init__(self, document: DocumentNode, errors: tuple[GraphQLError, ...]) -> None:
        self.document = document
        self.errors = errors
        self._operation_types: dict[str | None, OperationType | None] = {}
        # The query plan of each operation asked for (api/schema/query_plan.py), or None.
        self.plans: dict[str | None, Any] = {}

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


class DocumentCache:
    """A bounded LRU of document text → (parsed document, its validation errors)."""

    def __init__(
        self, rules: Sequence[type[ASTValidationRule]], *, max_tokens: int, maxsize: int = 512
    ) -> None:
        self.rules = (*specified_rules, *rules)
        self.max_tokens = max_tokens
        self._maxsize = maxsize
        self._entries: OrderedDict[str, Prepared] = OrderedDict()

    def get(self, schema: GraphQLSchema, query: str) -> Prepared | None:
        hit = self._entries.get(query)
        if hit is not None:
            self._entries.move_to_end(query)
            return hit
        try:
            document = parse(query, max_tokens=self.max_tokens)
        except GraphQLError:
            return None
        prepared = Prepared(document, tuple(validate_document(schema, document, self.rules)))
        self._entries[query] = prepared
        if len(self._entries) > self._maxsize:
            self._entries.popitem(last=False)
        return prepared


class PreparedOperation(SchemaExtension):
    """Before the operation: the cached document and its validation result, so strawberry
    neither parses nor validates; after it: error hygiene (api/masking.py)."""

    def __init__(self, cache: DocumentCache) -> None:
        self._cache = cache

    def on_operation(self) -> Iterator[None]:
        context = self.execution_context
        context.parse_options["max_tokens"] = self._cache.max_tokens
        context.validation_rules = self._cache.rules
        if context.query and context.graphql_document is None:
            prepared = self._cache.get(context.schema._schema, context.query)
            if prepared is not None:
                context.graphql_document = prepared.document
                # Set, even when empty, so strawberry's own validation is skipped.
                context.pre_execution_errors = [
                    *prepared.errors,
                    *refused_variables(context.variables),
                ]
        yield
        clean_errors(context)
