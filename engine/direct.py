"""Running a cached, valid query or mutation without strawberry's per-request machinery.

strawberry's `Schema.execute` builds an execution context, the schema's extensions, their
runner and a middleware manager for every request, and enters a context manager per hook
(operation, parsing, validation, execution) before graphql-core runs: a fifth of the CPU of
a one-field query. For a document already in the schema's cache (engine/documents.py),
parsed and valid, every one of those steps is known to do nothing but what this does: hand
the cached document to graphql-core with the same executor, context and awaitable check,
then treat the errors as the schema and the extension would (suggestions removed, domain
refusals shown with their code, anything else masked and logged with the request id).

A query or a mutation its plan covers (engine/query_plan.py, mutation_plan.py) is
answered by the plan; the executor answers whatever a plan leaves. No resolver runs twice:
a plan that stops before any resolver ran leaves the executor the whole operation; one that
stops after hands it what its resolvers gave (engine/replay.py), which the executor
completes in place of calling them again.

Anything else returns None, and the caller runs `Schema.execute`, which reports it as
before: a document not yet cached or invalid, an operation it cannot pick, a subscription.
"""

from __future__ import annotations

from asyncio import CancelledError
from collections.abc import Callable
from typing import Any

from graphql import DocumentNode, GraphQLError, GraphQLSchema, execute
from graphql import ExecutionResult as GraphQLExecutionResult
from strawberry.execution.is_awaitable import optimized_is_awaitable
from strawberry.types import ExecutionResult
from strawberry.types.graphql import OperationType

from engine.cached_schema import CachedSchema
from engine.cancellation import field_error
from engine.documents import Prepared
from engine.execution import PlainTreeExecutionContext, ReplayExecutionContext
from engine.mutation_plan import compile_mutation, run_mutation_plan
from engine.query_plan import QueryPlan, compile_query, run_plan
from engine.replay import Replay

_DIRECT = frozenset({OperationType.QUERY, OperationType.MUTATION})


def _plan(
    schema: CachedSchema,
    prepared: Prepared,
    operation_name: str | None,
    compile_plan: Callable[[GraphQLSchema, DocumentNode, str | None], QueryPlan | None],
) -> QueryPlan | None:
    plans = prepared.plans
    if operation_name in plans:
        return plans[operation_name]
    plan = compile_plan(schema._schema, prepared.document, operation_name)
    if len(plans) < 16:  # names are the client's: keep a few
        plans[operation_name] = plan
    return plan


def _executor(replay: Replay | None) -> dict[str, Any]:
    if replay is None:
        return {"executor_class": PlainTreeExecutionContext}
    return {"executor_class": ReplayExecutionContext, "replay": replay}


async def run_cached(
    schema: CachedSchema,
    query: str,
    variables: dict[str, Any] | None,
    operation_name: str | None,
    context: Any,
    operation_extensions: dict[str, Any] | None = None,
) -> ExecutionResult | None:
    documents = schema.documents
    prepared = documents.get(schema._schema, query, trusted=documents.policy.trusted(context))
    if prepared is None or prepared.errors:
        return None
    operation_type = prepared.operation_type(operation_name)
    if operation_type not in _DIRECT:
        return None
    refused = documents.policy.refused_variables(variables)
    if refused:
        return ExecutionResult(data=None, errors=refused)
    replay: Replay | None = None
    if operation_type is OperationType.QUERY:
        plan = _plan(schema, prepared, operation_name, compile_query)
        if plan is not None:
            outcome = await run_plan(plan, schema._schema, context, variables, operation_extensions)
            if isinstance(outcome, dict):
                return ExecutionResult(data=outcome, errors=None)
            replay = outcome  # None: nothing ran, the executor runs it all
    else:
        plan = _plan(schema, prepared, operation_name, compile_mutation)
        if plan is not None:
            outcome = await run_mutation_plan(
                plan, schema._schema, context, variables, operation_extensions
            )
            if isinstance(outcome, dict):
                return ExecutionResult(data=outcome, errors=None)
            replay = outcome
    try:
        result = execute(
            schema._schema,
            prepared.document,
            context_value=context,
            variable_values=variables,
            operation_name=operation_name,
            is_awaitable=optimized_is_awaitable,  # type: ignore[arg-type]
            operation_extensions=operation_extensions,
            **_executor(replay),
        )
        if optimized_is_awaitable(result):
            result = await result  # type: ignore[misc]
    except Exception as exc:  # as strawberry does: an error of the response, not a crash
        error = exc if isinstance(exc, GraphQLError) else GraphQLError(str(exc), original_error=exc)
        result = GraphQLExecutionResult(None, [error])
    except CancelledError as cancelled:  # the request's own ends it; any other is an error
        unexpected = field_error(cancelled)
        if not isinstance(unexpected, Exception):
            raise
        result = GraphQLExecutionResult(
            None, [GraphQLError(str(unexpected), original_error=unexpected)]
        )
    assert isinstance(result, GraphQLExecutionResult)
    errors = result.errors
    if errors:
        # Cleaned first, with the request's context; the schema's own processing (which
        # gets no context here) then finds them clean and only trims suggestions.
        errors = documents.policy.cleaned(errors, context)
        schema._process_errors(errors)
    return ExecutionResult(data=result.data, errors=errors)
