"""UserError and the one place domain errors become payload errors."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import ParamSpec, TypeVar

import strawberry

from api.audit_hook import action_name, audited
from domain.errors import DomainError, Forbidden, Unauthenticated
from domain.errors import ErrorCode as DomainErrorCode

ErrorCode = strawberry.enum(
    DomainErrorCode, name="ErrorCode", description="Why a mutation refused."
)


@strawberry.type(description="A refusal the client can act on: what went wrong and where.")
class UserError:
    code: ErrorCode  # type: ignore[valid-type]
    field: list[str] | None = strawberry.field(
        description="Path to the input field at fault, e.g. ['input', 'points']."
    )
    message: str


def user_error(exc: DomainError) -> UserError:
    field = ["input", *exc.field] if exc.field else None
    return UserError(code=exc.code, field=field, message=exc.message)


P = ParamSpec("P")
R = TypeVar("R")


def returns_payload(
    payload: Callable[..., R],
) -> Callable[[Callable[P, Awaitable[R]]], Callable[P, Awaitable[R]]]:
    """Turns a DomainError raised by a mutation into `payload(errors=[...])`.

    Failures of authentication or permission are not the input's fault: they stay top-level
    GraphQL errors, like every other query's. Every mutation is a payload mutation, so this
    is also where an operator's role is checked against the rule table before it runs, and
    where the audit log's hook sees it (api/audit_hook.py).
    """

    def wrap(resolver: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
        action = action_name(resolver.__name__)

        @functools.wraps(resolver)
        async def run(*args: P.args, **kwargs: P.kwargs) -> R:
            info = kwargs["info"]
            info.context.authorize_mutation(info.field_name)  # type: ignore[attr-defined]
            try:
                return await audited(
                    action,
                    kwargs.get("info"),
                    kwargs.get("input"),
                    lambda: resolver(*args, **kwargs),
                )
            except (Forbidden, Unauthenticated):
                raise
            except DomainError as exc:
                return payload(errors=[user_error(exc)])

        run.checks_operator_role = True  # type: ignore[attr-defined]  # a test looks for it
        return run

    return wrap
