"""Node and the JavaScript tools the suite runs (the checks of graphql/operations/, the
graphql-ws client), installed at their pinned versions by scripts/install-js-tools (once per
run). Without node and npm the tests that need them fail and say so, rather than passing
unchecked."""

from __future__ import annotations

import shutil
import subprocess
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
INSTALL = ROOT / "scripts" / "install-js-tools"


@cache
def installed_node() -> str:
    """The path of node, with every JavaScript tool's pinned packages installed."""
    node, npm = shutil.which("node"), shutil.which("npm")
    assert node and npm, (
        "node and npm are needed for the JavaScript tools the suite runs (GraphQL Inspector,"
        " Relay's compiler, the graphql-ws client): install Node.js 20 or later"
    )
    installed = subprocess.run(
        [str(INSTALL)], cwd=ROOT, capture_output=True, text=True, timeout=600
    )
    assert installed.returncode == 0, f"{INSTALL} failed:\n{installed.stdout}{installed.stderr}"
    return node
