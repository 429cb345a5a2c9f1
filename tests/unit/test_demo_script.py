"""scripts/demo installs the platform once, and again only when pyproject.toml or
requirements.lock change. Run on a copy of the script in a project of its own, whose
.venv/bin/python records pip's calls instead of installing anything."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "demo"

FAKE_PYTHON = """#!/bin/sh
bin="$(dirname "$0")"
if [ "$1" = "-m" ] && [ "$2" = "pip" ]; then
    echo "$*" >> "$bin/../pip.log"
    printf '#!/bin/sh\\necho serving "$@"\\n' > "$bin/loyalty"
    chmod +x "$bin/loyalty"
    exit 0
fi
exec {python} "$@"
"""


def _project(tmp_path: Path) -> Path:
    (tmp_path / "scripts").mkdir()
    shutil.copy(SCRIPT, tmp_path / "scripts" / "demo")
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n')
    (tmp_path / "requirements.lock").write_text("starlette==1.0\n")
    venv_bin = tmp_path / ".venv" / "bin"
    venv_bin.mkdir(parents=True)
    python = venv_bin / "python"
    python.write_text(FAKE_PYTHON.format(python=sys.executable))
    python.chmod(0o755)
    return tmp_path


def _demo(project: Path) -> str:
    done = subprocess.run(
        [str(project / "scripts" / "demo"), "--port", "9"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return done.stdout


def _installs(project: Path) -> list[str]:
    log = project / ".venv" / "pip.log"
    return [line for line in log.read_text().splitlines() if "-e ." in line]


def test_the_demo_installs_once_until_the_requirements_change(tmp_path: Path):
    project = _project(tmp_path)

    # the first run installs, with the locked versions, then serves the demo
    first = _demo(project)
    assert first.splitlines()[-1] == "serving serve --demo --port 9"
    assert _installs(project) == [
        "-m pip install --quiet --disable-pip-version-check -c requirements.lock -e ."
    ]

    # a second run installs nothing and says nothing before serving
    assert _demo(project) == "serving serve --demo --port 9\n"
    assert len(_installs(project)) == 1

    # a changed lock file installs again, once
    (project / "requirements.lock").write_text("starlette==1.1\n")
    _demo(project)
    _demo(project)
    assert len(_installs(project)) == 2

    # so does a changed pyproject.toml
    (project / "pyproject.toml").write_text('[project]\nname = "y"\n')
    _demo(project)
    assert len(_installs(project)) == 3
