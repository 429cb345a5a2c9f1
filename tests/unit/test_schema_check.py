"""A schema the engine answers for has exactly the extension the direct path replaces
(PreparedOperation, around the schema's own document cache) and the engine's execution
context; anything else is refused where the schema is built (engine/schema_check.py)."""

from __future__ import annotations

from typing import Any

import pytest
import strawberry
from strawberry.directive import DirectiveLocation
from strawberry.extensions import MaskErrors

from api.schema.build import build_schema
from api.settings import Settings
from api.startup_checks import StartupRefused, refuse_unfenced_schema
from engine.direct import CachedSchema
from engine.documents import DocumentCache, PreparedOperation
from engine.execution import PlainTreeExecutionContext
from engine.probe_schema import FenceProbeQuery
from engine.schema_check import SchemaNotFenced, check_schema, schema_problems


def _documents() -> DocumentCache:
    return DocumentCache([], max_tokens=1000, trusted_bytes=1 << 20, untrusted_bytes=1 << 20)


def _schema(
    *,
    extra: list[Any] | None = None,
    context: type | None = PlainTreeExecutionContext,
    directives: tuple[Any, ...] = (),
    documents: DocumentCache | None = None,
) -> CachedSchema:
    """A schema as build_schema makes one, changed as asked."""
    kept = _documents()
    around = documents or kept
    schema = CachedSchema(
        query=FenceProbeQuery,
        extensions=[lambda: PreparedOperation(around), *(extra or [])],
        execution_context_class=context,
        directives=directives,
    )
    schema.documents = kept
    return schema


@strawberry.directive(locations=[DirectiveLocation.FIELD])
def shout(value: str) -> str:
    return value.upper()


def test_the_platform_schema_passes():
    # given the schema the platform serves, with the engine on
    schema = build_schema(Settings(secret_key="x"))

    # when it is checked
    problems = schema_problems(schema)

    # then nothing keeps the engine from answering for it
    assert problems == []
    check_schema(schema)


def test_a_schema_built_as_the_platform_builds_it_passes():
    # given a schema with just the document cache's extension and the engine's executor
    schema = _schema()

    # when it is checked
    problems = schema_problems(schema)

    # then it passes: the refusals below are caused by what each of them changes
    assert problems == []


def test_an_extra_extension_is_refused():
    # given a schema with another extension, whose hooks the direct path would skip
    schema = _schema(extra=[MaskErrors])

    # when it is checked
    with pytest.raises(SchemaNotFenced) as refused:
        check_schema(schema)

    # then the refusal names the extensions found and the one the engine replaces
    assert "[PreparedOperation, MaskErrors]" in str(refused.value)
    assert "LOYALTY_ENGINE=stock" in str(refused.value)


def test_a_directive_is_refused():
    # given a schema with a directive: strawberry adds an extension of its own for it
    schema = _schema(directives=(shout,))

    # when it is checked
    problems = schema_problems(schema)

    # then the extension strawberry adds is named
    assert any("DirectivesExtension" in p for p in problems), problems


def test_strawberrys_execution_context_is_refused():
    # given a schema that runs on strawberry's own execution context
    schema = _schema(context=None)

    # when it is checked
    problems = schema_problems(schema)

    # then the execution context is named
    assert problems == [
        "its execution context is StrawberryGraphQLCoreExecutionContext, "
        "not PlainTreeExecutionContext"
    ]


def test_a_prepared_operation_around_another_cache_is_refused():
    # given a schema whose extension and direct path would read different caches
    schema = _schema(documents=_documents())

    # when it is checked
    problems = schema_problems(schema)

    # then the mismatch is named
    assert any("another cache" in p for p in problems), problems


def test_the_start_up_refuses_an_unfenced_schema_with_the_engine_on_only():
    # given a schema with an extra extension
    schema = _schema(extra=[MaskErrors])

    # when it is checked at start-up with the engine on, then off
    with pytest.raises(StartupRefused) as refused:
        refuse_unfenced_schema(Settings(secret_key="x", engine="fast"), schema)
    refuse_unfenced_schema(Settings(secret_key="x", engine="stock"), schema)

    # then only the engine refuses it, with one line saying why
    message = str(refused.value)
    assert message.startswith("refusing to start: the engine cannot answer for this schema")
    assert "MaskErrors" in message
    assert "\n" not in message
