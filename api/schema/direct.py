"""Running a cached, valid query or mutation without strawberry's per-request machinery.

strawberry's `Schema.execute` builds an execution context, the schema's extensions, their
runner and a middleware manager for every request, and enters a context manager per hook
(operation, parsing, validation, execution) before graphql-core runs: a fifth of the CPU of
a one-field query. For a document already in the schema's cache (api/schema/documents.py),
parsed and valid, every one of those steps is known to do nothing but what this does: hand
the cached document to graphql-core with the same executor, context and awaitable check,
then treat the errors as the schema and the extension would (suggestions removed, domain
refusals shown with their code, anything else masked and logged with the request id).

Anything else returns None, and the caller runs `Schema.execute`, which reports it as
before: a document not yet cached or invalid, an operation it cannot pick, a subscription.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from graphql import ExecutionResult as GraphQLExecutionResult
from graphql import GraphQLError, execute
from strawberry.execution.is_awaitable import optimized_is_awaitable
from strawberry.types import ExecutionResult
from strawberry.types.graphql import OperationType

from api.masking import cleaned
from api.schema.documents import Prepared
from api.schema.execution import PlainTreeExecutionContext
from api.schema.query_plan import compile_query, run_plan

if TYPE_CHECKING:
    from api.context import Context
    from api.schema.build import LoyaltySchema

_DIRECT = frozenset({OperationType.QUERY, OperationType.MUTATION})


async def _planned(
    schema: LoyaltySchema,
    prepared: Prepared,
    operation_name: str | None,
    context: Context,
    variables: dict[str, Any] | None,
    operation_extensions: dict[str, Any] | None,
) -> dict[str, Any] | None:
    """The data of a query its plan answers (api/schema/query_plan.py), else None."""
    plans = prepared.plans
    if operation_name in plans:
        plan = plans[operation_name]
    else:
        plan = compile_query(schema._schema, prepared.document, operation_name)
        if len(plans) < 16:  # names are the client's: keep a few
            plans[operation_name] = plan
    if plan is None:
        return None
    return await run_plan(plan, schema._schema, context, variables, operation_extensions)


async def run_cached(
    schema: LoyaltySchema,
    query: str,
    variables: dict[str, Any] | None,
    operation_name: str | None,
    context: Context,
    operation_extensions: dict[str, Any] | None = None,
) -> ExecutionResult | None:
    prepared = schema.documents.get(schema._schema, query)
    if prepared is None or prepared.errors:
        return None
    operation_type = prepared.operation_type(operation_name)
    if operation_type not in _DIRECT:
        return None
    if operation_type is OperationType.QUERY:
        data = await _planned(
            schema, prepared, operation_name, context, variables, operation_extensions
        )
        if data is not None:
            return ExecutionResult(data=data, errors=None)
    try:
        result = execute(
            schema._schema,
            prepared.document,
            context_value=context,
            variable_values=variables,
            operation_name=operation_name,
            executor_class=PlainTreeExecutionContext,
            is_awaitable=optimized_is_awaitable,  # type: ignore[arg-type]
            operation_extensions=operation_extensions,
        )
        if optimized_is_awaitable(result):
            result = await result  # type: ignore[misc]
    except Exception as exc:  # as strawberry does: an error of the response, not a crash
        error = exc if isinstance(exc, GraphQLError) else GraphQLError(str(exc), original_error=exc)
        result = GraphQLExecutionResult(None, [error])
    assert isinstance(result, GraphQLExecutionResult)
    errors = result.errors
    if errors:
        schema._process_errors(errors)
        errors = cleaned(errors, context.request_id)
    return ExecutionResult(data=result.data, errors=errors)
