"""Domain records rebuilt from stored values, without their dataclass __init__.

The domain's records are frozen, slotted dataclasses: __init__ stores each field through
object.__setattr__ by name, past the frozen guard. A page rebuilds fifty of them per
request, and storing each value through its slot's descriptor directly gives the same
object in about half the time. `rebuilder` makes such a function, with the same positional
parameters as __init__, for a class whose __init__ does nothing but store its arguments.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


def rebuilder(cls: type[T]) -> Callable[..., T]:
    params = dataclasses.fields(cls)  # type: ignore[arg-type]
    names = [f.name for f in params]
    if (
        not all(f.init for f in params)
        or hasattr(cls, "__post_init__")
        or "__dict__" in dir(cls)
        or list(getattr(cls, "__slots__", ())) != names
        or any(name.startswith("_") for name in names)
    ):
        raise TypeError(f"{cls.__name__} is not a plain frozen slotted record")
    # Generated like dataclasses' own __init__: one statement per field, no loop.
    scope: dict[str, Any] = {"_new": object.__new__, "_cls": cls}
    scope.update({f"_set_{name}": getattr(cls, name).__set__ for name in names})
    lines = [f"def rebuild({', '.join(names)}):", "    _obj = _new(_cls)"]
    lines += [f"    _set_{name}(_obj, {name})" for name in names]
    lines.append("    return _obj")
    exec("\n".join(lines), scope)  # the class's own field names, never input
    rebuild: Callable[..., T] = scope["rebuild"]
    rebuild.__qualname__ = f"rebuild_{cls.__name__}"
    return rebuild
