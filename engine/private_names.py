"""The private and undocumented names of strawberry and graphql-core the engine relies on,
and the check that they are all still there, with the shapes the engine uses.

The engine (engine/README.md) runs requests through graphql-core's executor with
strawberry's execution context and resolve info, reads strawberry's field definitions and
builds its resolve infos positionally. None of that is public API: a release of either
library may move or reshape any of it without notice. `check_private_names` looks every
name up in the installed libraries and inspects the signatures the engine depends on, so
that a process refuses to start with one message naming everything that moved, instead of
failing at its first request (or, worse, answering differently).

Two kinds of entries: `PRIVATE_NAMES`, looked up by module and attribute path, and what
only an object shows (a strawberry schema's and field's attributes, the marks strawberry
puts on its resolvers), checked on a small schema built for the purpose (`_probe`).
"""

from __future__ import annotations

import importlib
import inspect
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from typing import Any

LIBRARIES = ("strawberry-graphql", "graphql-core")


@dataclass(frozen=True)
class PrivateName:
    """A name the engine imports or reads: `module`, then `path` (attributes, dotted).

    `positional`: the leading parameters of a callable, in order (`self` included for a
    method), where the engine passes them by position or overrides the method;
    `keywords`: parameters it passes by name ("**" for any keyword, passed on);
    `fields`: a named tuple's fields, exactly, where the engine builds it positionally or
    reads them; `attributes`: what a class must declare (as attributes or annotations)."""

    module: str
    path: str
    used_by: str
    positional: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    fields: tuple[str, ...] | None = None
    attributes: tuple[str, ...] = ()

    @property
    def qualified(self) -> str:
        return f"{self.module}.{self.path}"


_COLLECT = "graphql.execution.collect_fields"
_VALUES = "graphql.execution.values"
_SCHEMA = "strawberry.schema.schema"
_PLAIN = "engine/plain_tree.py"
_PLAN = "engine/query_plan.py"
_LEAN = "engine/lean_resolvers.py"
_EXECUTION = "engine/execution.py"
_ARGS = "engine/plan_values.py"

PRIVATE_NAMES: tuple[PrivateName, ...] = (
    # graphql-core: the executor's internals, field collection, value coercion
    PrivateName(
        "graphql",
        "execute",
        "engine/direct.py",
        keywords=("executor_class", "is_awaitable", "**"),  # ** carries operation_extensions
    ),
    PrivateName(
        "graphql",
        "Executor.build",
        "engine/direct.py (hands operation_extensions and a Replay to the executor's __init__)",
        keywords=("**",),
    ),
    PrivateName(
        _COLLECT,
        "collect_fields",
        _PLAN,
        positional=("schema", "fragments", "variable_values", "runtime_type", "operation"),
    ),
    PrivateName(
        _COLLECT,
        "collect_subfields",
        f"{_PLAIN}, {_PLAN}",
        positional=(
            "schema",
            "fragments",
            "variable_values",
            "operation",
            "return_type",
            "field_details_list",
        ),
    ),
    PrivateName(
        _COLLECT,
        "CollectedFields",
        f"{_PLAIN}, {_PLAN}",
        attributes=("grouped_field_set",),
    ),
    PrivateName(
        _COLLECT,
        "FieldDetails",
        f"{_PLAIN}, {_PLAN}",
        fields=("node", "defer_usage", "fragment_variable_values"),
    ),
    PrivateName(_COLLECT, "FieldDetailsList", f"{_EXECUTION}, {_PLAIN}, {_PLAN}"),
    PrivateName(_COLLECT, "GroupedFieldSet", f"{_EXECUTION}, {_PLAIN}, {_PLAN}"),
    PrivateName(
        _COLLECT,
        "FragmentDetails",
        f"{_PLAIN}, {_PLAN}",
        positional=("definition",),
        attributes=("definition",),
    ),
    PrivateName(_VALUES, "VariableValues", f"{_ARGS}, {_PLAN}", fields=("sources", "coerced")),
    PrivateName(_VALUES, "VariableValueSource", _ARGS, fields=("signature", "value")),
    PrivateName(
        _VALUES, "get_argument_values", _ARGS, positional=("type_def", "node", "variable_values")
    ),
    PrivateName(
        _VALUES, "get_variable_values", _ARGS, positional=("schema", "var_def_nodes", "inputs")
    ),
    PrivateName(
        _VALUES,
        "maybe_use_default_value",
        _ARGS,
        positional=("coerced_values", "name", "input_value", "on_error"),
    ),
    PrivateName(
        "graphql.execution.get_variable_signature",
        "get_variable_signature",
        _ARGS,
        positional=("schema", "var_def_node"),
    ),
    PrivateName(
        "graphql.utilities.coerce_input_value",
        "coerce_input_literal",
        _ARGS,
        positional=("value_node", "type_"),
    ),
    PrivateName(
        "graphql.utilities.coerce_input_value",
        "coerce_default_value",
        _ARGS,
        positional=("input_value",),
    ),
    PrivateName("graphql.pyutils.gather_with_cancel", "gather_with_cancel", _PLAN),
    PrivateName(
        "graphql.type.definition",
        "GraphQLResolveInfoHelpers",
        _PLAN,
        fields=("gather", "track"),
    ),
    PrivateName("graphql.type.scalars", "GRAPHQL_MAX_INT", _PLAIN),
    PrivateName("graphql.type.scalars", "GRAPHQL_MIN_INT", _PLAIN),
    PrivateName(
        "graphql.execution.middleware",
        "MiddlewareManager.get_field_resolver",
        f"{_EXECUTION} (the replayed mutation's one hook)",
        positional=("self", "field_resolver"),
    ),
    PrivateName(
        "graphql.execution.middleware",
        "MiddlewareManager",
        _EXECUTION,
        attributes=("middlewares",),
    ),
    # strawberry: its execution context and resolve info, and what the direct path skips
    PrivateName(
        _SCHEMA,
        "StrawberryGraphQLCoreExecutionContext",
        _EXECUTION,
        attributes=(
            "schema",
            "fragments",
            "variable_values",
            "operation",
            "is_awaitable",
            "abort_signal",
            "middleware_manager",
        ),
    ),
    PrivateName(
        _SCHEMA,
        "StrawberryGraphQLCoreExecutionContext.execute_fields",
        _EXECUTION,
        positional=(
            "self",
            "parent_type",
            "source_value",
            "path",
            "grouped_field_set",
            "position_context",
        ),
    ),
    PrivateName(
        _SCHEMA,
        "StrawberryGraphQLCoreExecutionContext.execute_field",
        _EXECUTION,
        positional=(
            "self",
            "parent_type",
            "source",
            "field_details_list",
            "path",
            "position_context",
        ),
    ),
    PrivateName(
        _SCHEMA,
        "StrawberryGraphQLCoreExecutionContext.with_abort_signal",
        _EXECUTION,
        positional=("self", "awaitable"),
    ),
    PrivateName(
        _SCHEMA,
        "_OperationContextAwareGraphQLResolveInfo",
        f"{_PLAN} (built positionally: 15 values)",
        fields=(
            "field_name",
            "field_nodes",
            "return_type",
            "parent_type",
            "path",
            "schema",
            "fragments",
            "root_value",
            "operation",
            "variable_values",
            "context",
            "is_awaitable",
            "abort_signal",
            "async_helpers",
            "operation_extensions",
        ),
    ),
    PrivateName(
        _SCHEMA,
        "Schema._process_errors",
        "engine/direct.py",
        positional=("self", "errors"),
    ),
    PrivateName(_SCHEMA, "Schema.get_extensions", "engine/schema_check.py"),
    PrivateName(
        _SCHEMA,
        "validate_document",
        "engine/documents.py",
        positional=("schema", "document", "validation_rules"),
    ),
    PrivateName(
        "strawberry.schema.exceptions",
        "CannotGetOperationTypeError.as_http_error_reason",
        "engine/documents.py",
    ),
    PrivateName(
        "strawberry.types",
        "ExecutionContext",
        "engine/documents.py",
        attributes=(
            "schema",
            "context",
            "query",
            "variables",
            "operation_name",
            "parse_options",
            "validation_rules",
            "graphql_document",
            "pre_execution_errors",
            "result",
        ),
    ),
    PrivateName(
        "strawberry.execution.is_awaitable",
        "optimized_is_awaitable",
        f"engine/direct.py, engine/mutation_plan.py, {_PLAN}",
        positional=("value",),
    ),
    PrivateName(
        "strawberry.schema.schema_converter",
        "GraphQLCoreConverter.DEFINITION_BACKREF",
        f"{_PLAIN}, {_LEAN}",
    ),
    PrivateName("strawberry.schema.types.base_scalars", "isoformat", _PLAIN),
    PrivateName("strawberry.types.cast", "TYPE_CAST_ATTRIBUTE", _PLAIN),
    # strawberry: the type system lean resolvers convert arguments with
    PrivateName("strawberry.relay.types", "GlobalID", _LEAN),
    PrivateName("strawberry.scalars", "is_scalar", _LEAN, positional=("annotation",)),
    PrivateName("strawberry.types.base", "StrawberryList", _LEAN),
    PrivateName("strawberry.types.base", "StrawberryOptional", _LEAN),
    PrivateName("strawberry.types.base", "has_object_definition", _LEAN),
    PrivateName("strawberry.types.enum", "StrawberryEnumDefinition", _LEAN),
    PrivateName("strawberry.types.enum", "has_enum_definition", _LEAN),
    PrivateName("strawberry.types.field", "StrawberryField", f"{_PLAIN}, {_LEAN}"),
    PrivateName("strawberry.types.lazy_type", "LazyType", _LEAN),
)

# What only an object shows, checked on the probe schema (`_probe`): names the engine reads
# on a strawberry schema, its config, its fields, their resolvers and arguments.
PROBED: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "strawberry Schema",
        ("_schema", "schema_converter", "config", "extensions", "execution_context_class"),
    ),
    ("schema_converter", ("exception_handlers", "scalar_registry")),
    ("config", ("info_class", "name_converter")),
    ("config.name_converter", ("from_field", "from_argument")),
    (
        "StrawberryField",
        (
            "base_resolver",
            "default_resolver",
            "python_name",
            "extensions",
            "permission_classes",
            "metadata",
            "arguments",
        ),
    ),
    (
        "StrawberryResolver",
        (
            "parent_parameter",
            "root_parameter",
            "self_parameter",
            "info_parameter",
            "wrapped_func",
            "signature",
        ),
    ),
    ("StrawberryArgument", ("type", "python_name")),
    ("StrawberryOptional", ("of_type",)),
    ("StrawberryList", ("of_type",)),
    ("input definition", ("is_input", "from_input", "fields")),
    ("input field", ("resolve_type", "default_value", "default_factory", "python_name")),
    ("object definition", ("origin",)),
    ("CustomGraphQLEnumType", ("wrapped_cls",)),
)


class PrivateNamesMoved(RuntimeError):
    """Names the engine relies on are missing or reshaped in the installed libraries."""


def installed_versions() -> str:
    """`strawberry-graphql 0.341.2, graphql-core 3.3.2`, as installed."""
    found = []
    for library in LIBRARIES:
        try:
            found.append(f"{library} {version(library)}")
        except PackageNotFoundError:
            found.append(f"{library} (not installed)")
    return ", ".join(found)


def _lookup(name: PrivateName) -> Any:
    """The object `name` points at; raises LookupError saying what is missing."""
    try:
        found: Any = importlib.import_module(name.module)
    except ImportError as error:
        raise LookupError(f"module {name.module} cannot be imported ({error})") from None
    walked = name.module
    for part in name.path.split("."):
        if not hasattr(found, part):
            raise LookupError(f"{walked} has no {part}")
        found = getattr(found, part)
        walked = f"{walked}.{part}"
    return found


def _declared(cls: type) -> set[str]:
    """What a class declares: its attributes, annotations and dataclass fields, inherited
    ones included."""
    names = set(dir(cls))
    for base in cls.__mro__:
        names.update(getattr(base, "__annotations__", {}))
    return names


def _shape(name: PrivateName, found: Any) -> list[str]:
    """How `found` differs from the shape the engine uses; empty when it does not."""
    wrong = []
    if name.fields is not None:
        fields = tuple(getattr(found, "_fields", ()))
        if fields != name.fields:
            wrong.append(f"has fields {fields}, the engine uses {name.fields}")
    if name.attributes:
        declared = _declared(found) if isinstance(found, type) else set(dir(found))
        missing = [a for a in name.attributes if a not in declared]
        if missing:
            wrong.append(f"no longer declares {', '.join(missing)}")
    if name.positional or name.keywords:
        try:
            parameters = inspect.signature(found).parameters
        except (TypeError, ValueError):
            return [*wrong, "has no signature to inspect"]
        leading = tuple(parameters)[: len(name.positional)]
        if leading != name.positional:
            wrong.append(f"takes {leading} first, the engine passes {name.positional}")
        any_keyword = any(p.kind is p.VAR_KEYWORD for p in parameters.values())
        for keyword in name.keywords:
            if (keyword == "**" and not any_keyword) or (
                keyword != "**" and keyword not in parameters
            ):
                wrong.append(f"takes no {keyword} parameter")
    return wrong


def _named_problems(names: tuple[PrivateName, ...] = PRIVATE_NAMES) -> list[str]:
    problems = []
    for name in names:
        try:
            found = _lookup(name)
        except LookupError as missing:
            problems.append(f"{name.qualified} (used by {name.used_by}): {missing}")
            continue
        problems.extend(
            f"{name.qualified} (used by {name.used_by}) {wrong}" for wrong in _shape(name, found)
        )
    return problems


def _probe() -> dict[str, Any]:
    """The objects of the probe schema (engine/probe_schema.py) to look at, by the labels
    of `PROBED`."""
    from strawberry.schema.schema_converter import GraphQLCoreConverter

    from engine.probe_schema import FenceProbeInput, probe_schema

    schema = probe_schema()
    graphql_type: Any = schema._schema.type_map["FenceProbe"]
    backref = GraphQLCoreConverter.DEFINITION_BACKREF
    echo = graphql_type.fields["echo"].extensions[backref]
    definition = FenceProbeInput.__strawberry_definition__  # type: ignore[attr-defined]
    return {
        "strawberry Schema": schema,
        "schema_converter": schema.schema_converter,
        "config": schema.config,
        "config.name_converter": schema.config.name_converter,
        "StrawberryField": echo,
        "StrawberryResolver": echo.base_resolver,
        "StrawberryArgument": echo.arguments[0],
        "StrawberryOptional": echo.arguments[1].type,
        "StrawberryList": echo.arguments[1].type.of_type,
        "input definition": definition,
        "input field": definition.fields[0],
        "object definition": graphql_type.extensions[backref],
        "CustomGraphQLEnumType": schema._schema.type_map["FenceProbeKind"],
        # the marks and the constructor checked below
        "plain resolver": graphql_type.fields["plain"].resolve,
        "resolver": graphql_type.fields["echo"].resolve,
    }


def _probed_problems() -> list[str]:
    try:
        probe = _probe()
    except Exception as error:  # whatever moved, the message names it
        built = f"{type(error).__name__}: {error}"[:300]
        return [f"a strawberry schema as the engine reads one cannot be built ({built})"]
    problems = [
        f"{label} has no {attribute}"
        for label, attributes in PROBED
        for attribute in attributes
        if not hasattr(probe[label], attribute)
    ]
    # engine/plain_tree.py reads a field without calling its resolver when strawberry marks
    # the resolver as its plain attribute read; engine/lean_resolvers.py marks its own.
    if getattr(probe["plain resolver"], "_is_default", None) is not True:
        problems.append("strawberry no longer marks a plain field's resolver _is_default = True")
    if getattr(probe["resolver"], "_is_default", None) is not False:
        problems.append("strawberry no longer marks a field resolver _is_default = False")
    # engine/lean_resolvers.py builds the Info by these keywords
    info_class = getattr(probe["config"], "info_class", None)
    try:
        taken = tuple(inspect.signature(info_class).parameters) if info_class else ()
    except (TypeError, ValueError):
        taken = ()
    if taken != ("_raw_info", "_field"):
        problems.append(f"config.info_class takes {taken}, the engine passes (_raw_info, _field)")
    return problems


def missing_private_names() -> list[str]:
    """Each name the engine relies on that is missing or reshaped, one line each."""
    return [*_named_problems(), *_probed_problems()]


# What LOYALTY_ENGINE=stock still imports of the engine: the document cache and its policy
# (they decide what is valid and what a client sees), never the executor.
STOCK_PATH = ("engine/documents.py",)


def stock_path_problems() -> list[str]:
    """Each name the stock path relies on (through the document cache) that moved."""
    used = tuple(n for n in PRIVATE_NAMES if any(m in n.used_by for m in STOCK_PATH))
    return _named_problems(used)


def check_stock_path() -> None:
    """Raises PrivateNamesMoved naming what the document cache relies on that moved."""
    problems = stock_path_problems()
    if problems:
        raise PrivateNamesMoved(
            f"the document cache relies on private names of {installed_versions()} that "
            "moved: " + "; ".join(problems)
        )


def check_private_names() -> None:
    """Raises PrivateNamesMoved naming everything the engine relies on that moved."""
    problems = missing_private_names()
    if problems:
        raise PrivateNamesMoved(
            f"the engine relies on private names of {installed_versions()} that moved: "
            + "; ".join(problems)
        )
