"""scripts/citus_check.py: the migrations hold no statement Citus refuses in a distributed
schema beyond the ones listed with their way round, and each rule does catch its statement."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "citus_check.py"


def _check(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args], capture_output=True, text=True, timeout=60
    )


def test_every_migration_passes_or_is_listed_with_its_way_round():
    result = _check()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "REFUSED" not in result.stdout
    assert "0020_orders_and_tier_benefits.sql [identity-column-added]" in result.stdout


REFUSED_IN_A_TENANT_SCHEMA = [
    ("CREATE TABLE a (id uuid REFERENCES control.tenants (id));", "foreign-key-other-schema"),
    (
        "CREATE TABLE a (id uuid, FOREIGN KEY (id) REFERENCES control.tenants (id));",
        "foreign-key-other-schema",
    ),
    (
        "ALTER TABLE a ADD CONSTRAINT f FOREIGN KEY (id) REFERENCES control.tenants (id);",
        "foreign-key-other-schema",
    ),
    ("CREATE TABLE a (x int) INHERITS (b);", "inherits"),
    ("CREATE TABLE a OF some_type;", "create-table-of"),
    ("CREATE FOREIGN TABLE a (x int) SERVER elsewhere;", "foreign-table"),
    ("CREATE TABLE a (id serial PRIMARY KEY);", "sequence-smaller-than-bigint"),
    ("CREATE TABLE a (id int GENERATED ALWAYS AS IDENTITY);", "sequence-smaller-than-bigint"),
    ("CREATE SEQUENCE s AS integer;", "sequence-smaller-than-bigint"),
    ("ALTER TABLE a ADD COLUMN n bigint GENERATED ALWAYS AS IDENTITY;", "identity-column-added"),
    ("ALTER TABLE a ADD COLUMN n bigserial;", "serial-column-added"),
    ("ALTER TABLE a ADD CONSTRAINT c CHECK (x > 0), ADD COLUMN y int;", "alter-table-not-alone"),
    ("ALTER TABLE a ALTER COLUMN x ADD GENERATED ALWAYS AS IDENTITY;", "alter-table-unsupported"),
    ("ALTER TABLE a CLUSTER ON a_pkey;", "alter-table-unsupported"),
    ("ALTER TABLE a SET SCHEMA elsewhere;", "set-schema"),
    ("CREATE RULE r AS ON INSERT TO a DO INSTEAD NOTHING;", "rule"),
    ("CREATE SCHEMA s CREATE TABLE a (x int);", "schema-and-table-at-once"),
]

ALLOWED_IN_A_TENANT_SCHEMA = """
CREATE TABLE a (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, b uuid REFERENCES c (id));
CREATE INDEX a_b ON a (b);
ALTER TABLE a ADD COLUMN x int, ADD COLUMN y text NOT NULL DEFAULT '';
ALTER TABLE a ADD CONSTRAINT a_x CHECK (x > 0);
CREATE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
CREATE TRIGGER t BEFORE UPDATE ON a FOR EACH ROW EXECUTE FUNCTION f();
"""


def _folders(tmp_path: Path, tenant_sql: str, control_sql: str = "") -> list[str]:
    tenant, control = tmp_path / "tenant", tmp_path / "control"
    tenant.mkdir()
    control.mkdir()
    (tenant / "0001_x.sql").write_text(tenant_sql)
    (control / "0001_x.sql").write_text(control_sql)
    return ["--tenant", str(tenant), "--control", str(control)]


@pytest.mark.parametrize(("sql", "rule"), REFUSED_IN_A_TENANT_SCHEMA)
def test_each_rule_refuses_its_statement(tmp_path, sql, rule):
    result = _check(*_folders(tmp_path, sql))
    assert result.returncode == 1, result.stdout
    assert f"REFUSED tenant/0001_x.sql [{rule}]" in result.stdout


def test_what_citus_accepts_in_a_distributed_schema_passes(tmp_path):
    result = _check(*_folders(tmp_path, ALLOWED_IN_A_TENANT_SCHEMA))
    assert result.returncode == 0, result.stdout
    assert "0 finding(s), ok" in result.stdout


def test_a_control_table_may_not_point_into_a_tenant_schema(tmp_path):
    control = "CREATE TABLE control.x (m uuid, FOREIGN KEY (m) REFERENCES t_shop.members (id));"
    result = _check(*_folders(tmp_path, "", control))
    assert result.returncode == 1
    assert "REFUSED control/0001_x.sql [foreign-key-into-tenant]" in result.stdout
