"""engine/README.md lists every private library name the engine relies on, as
engine/private_names.py does."""

from __future__ import annotations

from pathlib import Path

from engine.private_names import PRIVATE_NAMES, PROBED

README = Path(__file__).resolve().parents[2] / "engine" / "README.md"


def test_the_readme_lists_every_private_name():
    # given the engine's README and its list of private names
    text = README.read_text()

    # when each name is looked for in the README
    unlisted = [n.qualified for n in PRIVATE_NAMES if f"`{n.qualified}`" not in text]
    unlisted += [
        f"{label}.{attribute}"
        for label, attributes in PROBED
        for attribute in attributes
        if f"`{attribute}`" not in text
    ]

    # then none is missing
    assert unlisted == []
