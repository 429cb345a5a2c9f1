"""Mutations answered by a plan: the root field's resolver called once, its payload completed
by the plan, graphql-core's executor kept for everything a plan does not cover.

A mutation's own work (the use case, its transaction) is the same either way; what a plan
saves is graphql-core's executor around it: building an executor, collecting the root
fields, running them serially through a reducer, completing the awaited payload field by
field. A cached mutation with one root field and a payload a query plan could complete
(engine/query_plan.py) is compiled once into that plan.

Unlike a query, a mutation must never run twice, so the plan cannot give up by starting
again. It gives up at one of two points:

- before the resolver is called (the variables or the arguments are refused): nothing has
  run, and the executor runs the mutation from the start, reporting what was refused;
- after: the plan hands graphql-core the root field's outcome, the value its resolver
  returned or the exception it raised, and the executor completes the operation with that
  outcome in place of calling the resolver again (`Replay`, with
  engine/execution.py's `ReplayExecutionContext`). The answer, the payload's data and any
  error with its path, is the executor's own. The payload's own field resolvers (a member's
  tier, an entry's id) read; they may run again, as a query's do when its plan gives up.
"""

from __future__ import annotations

from asyncio import CancelledError
from dataclasses import dataclass
from typing import Any

from graphql import DocumentNode, GraphQLSchema, OperationType
from strawberry.execution.is_awaitable import optimized_is_awaitable

from engine.cancellation import field_error
from engine.query_plan import PlanRun, QueryPlan, compile_operation


@dataclass(frozen=True, slots=True)
class Replay:
    """What the root field's resolver gave (`value`) or raised (`error`), for the executor to
    complete instead of calling the resolver."""

    name: str
    value: Any = None
    error: Exception | None = None

    def resolver(self, _source: Any, _info: Any, **_arguments: Any) -> Any:
        if self.error is not None:
            raise self.error
        return self.value


def compile_mutation(
    schema: GraphQLSchema, document: DocumentNode, operation_name: str | None
) -> QueryPlan | None:
    """The plan of the mutation a request names, or None when it is not one a plan covers:
    more than one root field (they run one after another, each seeing the last one's
    effects), or a root field without a resolver of its own."""
    plan = compile_operation(schema, document, operation_name, OperationType.MUTATION)
    if plan is None or len(plan.steps) != 1 or plan.steps[0].field_def is None:
        return None
    return plan


async def run_mutation_plan(
    plan: QueryPlan,
    schema: GraphQLSchema,
    context: Any,
    variables: dict[str, Any] | None,
    operation_extensions: dict[str, Any] | None,
) -> dict[str, Any] | Replay | None:
    """The mutation's data; else its root field's outcome for the executor to complete
    (`Replay`); else None, when nothing has run and the executor should run it all."""
    run = PlanRun.start(plan, schema, context, variables, operation_extensions)
    if run is None:
        return None  # refused variables: graphql-core reports them
    step = plan.steps[0]
    try:
        call = run.call(step, None, None)
    except Exception:  # a refused argument: graphql-core reports it
        return None
    try:
        value = call.resolve()
        if optimized_is_awaitable(value):
            value = await value
    except Exception as exc:
        return Replay(step.name, error=exc)
    except CancelledError as cancelled:
        return Replay(step.name, error=_not_own(cancelled))
    try:
        data = await run.complete(step, call, value)
        await run.settle()
    except Exception:  # the executor completes the same value, errors and all
        return Replay(step.name, value=value)
    except CancelledError as cancelled:
        _not_own(cancelled)
        return Replay(step.name, value=value)
    return {step.name: data}


def _not_own(cancelled: CancelledError) -> Exception:
    """The field's error for a value cancelled under the mutation (engine/cancellation.py);
    raises `cancelled` again when it is the request's own."""
    error = field_error(cancelled)
    if not isinstance(error, Exception):
        raise error
    return error
