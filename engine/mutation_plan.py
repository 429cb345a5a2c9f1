"""Mutations answered by a plan: the root field's resolver called once, its payload completed
by the plan, graphql-core's executor kept for everything a plan does not cover.

A mutation's own work (the use case, its transaction) is the same either way; what a plan
saves is graphql-core's executor around it: building an executor, collecting the root
fields, running them serially through a reducer, completing the awaited payload field by
field. A cached mutation with one root field and a payload a query plan could complete
(engine/query_plan.py) is compiled once into that plan.

A mutation must never run twice, and neither does any resolver of its payload. The plan
stops at one of two points:

- before the resolver is called (the variables or any field's arguments are refused):
  nothing has run, and the executor runs the mutation from the start, reporting what was
  refused;
- after: the plan hands graphql-core the outcome of every resolver it ran, the root
  field's (the value its resolver returned or the exception it raised) and those of the
  payload's fields, and the executor completes the operation with those outcomes in place
  of calling the resolvers again (engine/replay.py, with engine/execution.py's
  `ReplayExecutionContext`). The answer, the payload's data and any error with its path,
  is the executor's own.
"""

from __future__ import annotations

from asyncio import CancelledError
from typing import Any

from graphql import DocumentNode, GraphQLSchema, OperationType
from strawberry.execution.is_awaitable import optimized_is_awaitable

from engine.cancellation import cancelling
from engine.query_plan import PlanRun, QueryPlan, compile_operation
from engine.replay import Replay


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
    """The mutation's data; else the outcomes of the resolvers that ran, for the executor
    to complete (`Replay`); else None, when nothing has run and the executor should run it
    all."""
    run = PlanRun.start(plan, schema, context, variables, operation_extensions)
    if run is None:
        return None  # refused variables or arguments: graphql-core reports them
    step = plan.steps[0]
    call = run.call(step, None, None)
    try:
        value = run.resolved(call)
        if optimized_is_awaitable(value):
            value = await run.awaited(value, call.path, None)
        data = await run.complete(step, call, value)
        await run.settle()
    except Exception:  # the executor completes the same outcomes, errors and all
        return run.ran.replay()
    except CancelledError:
        if cancelling():
            raise  # the request's own: it ends here
        return run.ran.replay()  # a value cancelled under the payload: the executor reports it
    return {step.name: data}
