"""A small strawberry schema with one of everything the engine reads on strawberry's objects
(a plain field, an enum, a resolver taking the info, an input and an optional list), built
by engine/private_names.py to check that those objects still have the shape it reads.

Its annotations are evaluated as the module runs (no postponed annotations), so strawberry
resolves them without a module namespace to look them up in.
"""

import enum

import strawberry


@strawberry.enum
class FenceProbeKind(enum.Enum):
    ONE = "one"


@strawberry.input
class FenceProbeInput:
    text: str
    note: str | None = None


@strawberry.type
class FenceProbe:
    plain: str
    kind: FenceProbeKind

    @strawberry.field
    def echo(
        self, info: strawberry.Info, given: FenceProbeInput, tags: list[str] | None = None
    ) -> str:
        return given.text


@strawberry.type
class FenceProbeQuery:
    probe: FenceProbe


def probe_schema() -> strawberry.Schema:
    return strawberry.Schema(query=FenceProbeQuery)
