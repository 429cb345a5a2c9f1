"""The check that a strawberry schema is one the engine may answer for.

The direct path (engine/direct.py) skips strawberry's `Schema.execute`: no schema
extension's hooks run there but those it does itself, the PreparedOperation's (document
cache, error hygiene: engine/documents.py). A schema given another extension (or a
directive, for which strawberry adds one of its own) would be answered differently by the
direct path than by strawberry; a schema without the engine's execution context would run
the rest of its requests without the plain subtrees. Either is refused where the schema is
built, with a message saying what to change.
"""

from __future__ import annotations

from typing import Any

from strawberry.extensions import SchemaExtension

from engine.direct import CachedSchema
from engine.documents import PreparedOperation
from engine.execution import PlainTreeExecutionContext


class SchemaNotFenced(RuntimeError):
    """A schema the engine would not answer for as strawberry does."""


def _extension_type(extension: Any) -> type:
    """The class of the extension a schema's entry makes per request: a class, an instance
    (deprecated in strawberry), or a factory, called once here to see what it makes."""
    if isinstance(extension, type):
        return extension
    if isinstance(extension, SchemaExtension):
        return type(extension)
    return type(extension())


def schema_problems(schema: Any) -> list[str]:
    """What keeps the engine from answering for `schema`; empty when nothing does."""
    problems = []
    if not isinstance(schema, CachedSchema) or not hasattr(schema, "documents"):
        problems.append("it is not a CachedSchema with its document cache (schema.documents)")
    made = [_extension_type(entry) for entry in schema.extensions]
    if made != [PreparedOperation]:
        names = ", ".join(t.__name__ for t in made) or "none"
        problems.append(
            f"its extensions are [{names}], the engine replaces exactly [PreparedOperation]"
        )
    running = schema.get_extensions()
    added = [type(e).__name__ for e in running if type(e) is not PreparedOperation]
    if added:
        problems.append(f"strawberry adds {', '.join(added)} to it (a directive?)")
    documents = getattr(schema, "documents", None)
    if any(isinstance(e, PreparedOperation) and e._cache is not documents for e in running):
        # the direct path reads schema.documents: both ways must share one cache and policy
        problems.append("its PreparedOperation is built around another cache than schema.documents")
    context_class = schema.execution_context_class
    if context_class is not PlainTreeExecutionContext:
        name = getattr(context_class, "__name__", repr(context_class))
        problems.append(f"its execution context is {name}, not PlainTreeExecutionContext")
    return problems


def check_schema(schema: Any) -> None:
    """Raises SchemaNotFenced naming what keeps the engine from answering for `schema`."""
    problems = schema_problems(schema)
    if problems:
        raise SchemaNotFenced(
            "the engine cannot answer for this schema as strawberry would: "
            + "; ".join(problems)
            + " (change the schema, or turn the engine off with LOYALTY_ENGINE=stock)"
        )
