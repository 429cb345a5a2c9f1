"""Error hygiene: domain refusals are shown with their code, anything unexpected is masked,
logged with the request id, and answered with that id so support can find the log line.
A database that could not be reached is no bug of the request: it is UNAVAILABLE (the
endpoint answers 503 with Retry-After), logged as a warning without the trace."""

from __future__ import annotations

import logging
from collections.abc import Iterator

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension
from strawberry.types import ExecutionContext

from api.http.errors import UNAVAILABLE, UNAVAILABLE_MESSAGE
from domain.errors import DomainError
from persistence.unreachable import database_unreachable

log = logging.getLogger("loyalty.errors")


def clean_errors(context: ExecutionContext) -> None:
    """Replaces the errors of the finished operation's result by what the client may see."""
    result = context.result
    errors = getattr(result, "errors", None)
    if result is None or not errors:
        return
    result.errors = cleaned(errors, getattr(context.context, "request_id", "-"))


def cleaned(errors: list[GraphQLError], request_id: str) -> list[GraphQLError]:
    """What the client may see of `errors`; anything unexpected is logged here."""
    return [_clean(e, request_id) for e in errors]


def _clean(error: GraphQLError, request_id: str) -> GraphQLError:
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
    if database_unreachable(original):
        log.warning("database unreachable in request %s: %r", request_id, original)
        return GraphQLError(
            UNAVAILABLE_MESSAGE,
            nodes=error.nodes,
            path=error.path,
            extensions={"code": UNAVAILABLE, "requestId": request_id},
        )
    log.error("unexpected error in request %s", request_id, exc_info=original)
    return GraphQLError(
        "Unexpected error.",
        nodes=error.nodes,
        path=error.path,
        extensions={"code": "INTERNAL", "requestId": request_id},
    )


class ErrorHygiene(SchemaExtension):
    """The same, as an extension of its own (the schema runs it inside PreparedOperation)."""

    def on_operation(self) -> Iterator[None]:
        yield
        clean_errors(self.execution_context)
