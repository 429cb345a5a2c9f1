"""`loyalty tenant export` and `loyalty tenant import`, run as a user would: the archive
written with a progress bar, imported as a new tenant, and a damaged archive refused with
the reason and nothing made."""

from __future__ import annotations

import zipfile
from pathlib import Path

from tests.integration.test_cli import cli_env, loyalty

__all__ = ["cli_env"]


def test_export_then_import_and_a_damaged_archive_refused(cli_env, tmp_path: Path):
    # given a tenant
    made = loyalty(cli_env, "tenant", "create", "--slug", "corner-shop", "--name", "Corner")
    assert made.returncode == 0, made.stderr
    archive = tmp_path / "corner.zip"

    # when it is exported, then imported under a new slug
    exported = loyalty(cli_env, "tenant", "export", "corner-shop", str(archive))
    imported = loyalty(cli_env, "tenant", "import", str(archive), "--slug", "corner-copy")

    # then both succeed, with their progress bars, and the copy exists
    assert exported.returncode == 0, exported.stderr
    assert f"exported to {archive}" in exported.stdout and "row" in exported.stderr
    assert not archive.with_name("corner.zip.partial").exists()
    assert imported.returncode == 0, imported.stderr
    assert "tenant corner-copy" in imported.stdout and "verify" in imported.stderr

    # when an archive whose members table was changed is imported
    damaged = tmp_path / "damaged.zip"
    with zipfile.ZipFile(archive) as old, zipfile.ZipFile(damaged, "w") as new:
        for info in old.infolist():
            body = old.read(info.filename)
            new.writestr(info.filename, body + b"{}\n" if "tier_program" in info.filename else body)
    refused = loyalty(cli_env, "tenant", "import", str(damaged), "--slug", "corner-bad")

    # then it is refused with the reason, and no tenant is made
    assert refused.returncode == 1
    assert "corrupt" in refused.stderr and "tier_program" in refused.stderr
    again = loyalty(cli_env, "tenant", "import", str(archive), "--slug", "corner-bad")
    assert again.returncode == 0, again.stderr
