"""What the application decides and the engine applies, so the engine knows nothing of it.

The engine runs requests; which variables are refused before execution, what a client may
see of an error, and whose documents may fill the larger cache pool are the application's
rules (for this platform: api/schema/common/text_inputs.py and api/masking.py). The
application hands them over once, when it builds the schema's document cache.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from graphql import GraphQLError


@dataclass(frozen=True)
class Policy:
    # The errors for variables no resolver may see (an empty list: none), checked before
    # execution on every path.
    refused_variables: Callable[[dict[str, Any] | None], list[GraphQLError]]
    # What the client may see of a result's errors, given the request's context value.
    cleaned: Callable[[list[GraphQLError], Any], list[GraphQLError]]
    # Whether the request's caller may fill the larger document pool.
    trusted: Callable[[Any], bool]


def _nothing_refused(variables: dict[str, Any] | None) -> list[GraphQLError]:
    return []


def _as_they_are(errors: list[GraphQLError], context: Any) -> list[GraphQLError]:
    return errors


def _nobody(context: Any) -> bool:
    return False


# A policy that changes nothing: graphql-core's answers as they are (tests, tools).
NEUTRAL = Policy(refused_variables=_nothing_refused, cleaned=_as_they_are, trusted=_nobody)
