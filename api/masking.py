"""Error hygiene: domain refusals are shown with their code, anything unexpected is masked,
logged with the request id, and answered with that id so support can find the log line."""

from __future__ import annotations

import logging
from collections.abc import Iterator

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension

from domain.errors import DomainError

log = logging.getLogger("loyalty.errors")


def _request_id(ext: SchemaExtension) -> str:
    return getattr(ext.execution_context.context, "request_id", "-")


class ErrorHygiene(SchemaExtension):
    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        errors = getattr(result, "errors", None)
        if result is None or not errors:
            return
        result.errors = [self._clean(e) for e in errors]

    def _clean(self, error: GraphQLError) -> GraphQLError:
        original = error.original_error
        if original is None or isinstance(original, GraphQLError):
            return error  # syntax, validation and limit errors: safe and useful as they are
        if isinstance(original, DomainError):
            return GraphQLError(
                original.message,
                nodes=error.nodes,
                path=error.path,
                extensions={"code": original.code.value, "field": list(original.field or ())},
            )
        rid = _request_id(self)
        log.error("unexpected error in request %s", rid, exc_info=original)
        return GraphQLError(
            "Unexpected error.",
            nodes=error.nodes,
            path=error.path,
            extensions={"code": "INTERNAL", "requestId": rid},
        )
