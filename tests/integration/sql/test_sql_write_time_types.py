"""What a table's write-time column holds decides its age: timestamps without a zone (read as
UTC), timestamptz in another zone, dates, epoch integers, and text. A column named as a write time
that the auditor does not read (text on a typed engine, an epoch it cannot place) is named in the
basis, never passed over as "no write-time column". Real PostgreSQL and MariaDB through the CLI;
the run is fixed by --as-of.
"""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa
import yaml
from click.testing import CliRunner

from auditor.cli import cli

AS_OF = "2026-12-01T00:00:00Z"
OLD, FRESH = 1_546_300_800, 1_794_960_000  # 2019-01-01T00:00Z, 2026-11-18T00:00Z (epoch seconds)

TABLES = {  # name: (write-time columns DDL, their values)
    "t_naive": ("updated_at timestamp", "'2019-01-01 00:00:00'"),
    "t_tz": ("updated_at timestamptz", "'2019-01-01 00:00:00+08'"),
    "t_date": ("updated_on date", "'2019-01-01'"),
    "t_epoch_old": ("updated_at bigint", str(OLD)),
    "t_epoch_ms": ("updated_at bigint", str(FRESH * 1000)),
    "t_epoch_zero": ("updated_at bigint", "0"),
    "t_epoch_fresh_created_old": ("updated_at bigint, created_at timestamp", f"{FRESH}, '2019-01-01 00:00:00'"),
    "t_text": ("updated_at text", "'2019-01-01T00:00:00Z'"),
    "t_text_created_old": ("updated_at text, created_at timestamp", "'2026-11-18T00:00:00Z', '2019-01-01 00:00:00'"),
}


def _seed(url: str, tables: dict) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as c:
        for name, (cols, values) in tables.items():
            c.execute(sa.text(f"CREATE TABLE {name} (id int primary key, email varchar(100), {cols})"))
            c.execute(sa.text(f"INSERT INTO {name} VALUES (1, 'ana.tan@example.com', {values})"))
    engine.dispose()


def _scan(tmp_path, url: str) -> dict:
    cfg = tmp_path / "auditor.yaml"
    cfg.write_text(yaml.safe_dump({"state": f"sqlite:///{tmp_path}/state.db", "vendors": [{"id": "v"}],
                                   "sources": [{"id": "db", "vendor": "v", "kind": "sql", "url": url}]}))
    out = tmp_path / "r.json"
    r = CliRunner().invoke(cli, ["scan", "-c", str(cfg), "--as-of", AS_OF, "--json", str(out)])
    assert r.exit_code in (1, 3), r.output
    doc = json.loads(out.read_text())
    return {d["name"].split(".")[-1]: d for d in doc["datasets"]} | {"_findings": doc["findings"]}


@pytest.fixture(scope="module")
def pg_doc(pg_url, tmp_path_factory):
    _seed(pg_url, TABLES)
    return _scan(tmp_path_factory.mktemp("pg"), pg_url)


def _stale(doc, table):
    return any(f["rule"] == "stale-personal-data" and f["dataset"].split(".")[-1] == table for f in doc["_findings"])


def test_typed_write_times_in_any_zone(pg_doc):
    assert pg_doc["t_naive"]["last_modified"] == "2019-01-01T00:00:00Z"  # no zone: read as UTC
    assert pg_doc["t_tz"]["last_modified"] == "2018-12-31T16:00:00Z"  # +08:00 converted, not re-labelled
    assert pg_doc["t_date"]["last_modified"] == "2019-01-01T00:00:00Z"  # a date: its start, UTC
    assert all(_stale(pg_doc, t) for t in ("t_naive", "t_tz", "t_date"))


def test_epoch_integer_write_times_are_read(pg_doc):
    old, ms = pg_doc["t_epoch_old"], pg_doc["t_epoch_ms"]
    assert old["last_modified"] == "2019-01-01T00:00:00Z" and "updated_at" in old["last_modified_basis"]
    assert "epoch" in old["last_modified_basis"]
    assert _stale(pg_doc, "t_epoch_old")
    assert ms["last_modified"] == "2026-11-18T00:00:00Z" and not _stale(pg_doc, "t_epoch_ms")


def test_an_epoch_update_column_outranks_an_old_creation_time(pg_doc):
    # before: updated_at (bigint) was not read and the basis said "no update column has a value"
    d = pg_doc["t_epoch_fresh_created_old"]
    assert d["last_modified"] == "2026-11-18T00:00:00Z", d["last_modified_basis"]
    assert not _stale(pg_doc, "t_epoch_fresh_created_old")


def test_an_unplaceable_epoch_is_named_not_dated_1970(pg_doc):
    d = pg_doc["t_epoch_zero"]
    assert d["last_modified"] is None
    assert "updated_at" in d["last_modified_basis"] and "no write-time column" not in d["last_modified_basis"]


def test_a_text_write_time_column_is_named_not_passed_over(pg_doc):
    d = pg_doc["t_text"]
    assert d["last_modified"] is None
    basis = d["last_modified_basis"]
    assert "updated_at (text)" in basis and "no write-time column" not in basis, basis
    # with an old creation time beside it: the age is the creation time, and the basis says what was not read
    c = pg_doc["t_text_created_old"]
    assert "creation time" in c["last_modified_basis"] and "updated_at (text)" in c["last_modified_basis"]
    assert "no update column has a value" not in c["last_modified_basis"]


def test_mariadb_epoch_and_text_write_times(mysql_url, tmp_path):
    _seed(mysql_url, {k: TABLES[k] for k in ("t_epoch_old", "t_epoch_fresh_created_old", "t_text_created_old")})
    doc = _scan(tmp_path, mysql_url)
    assert doc["t_epoch_old"]["last_modified"] == "2019-01-01T00:00:00Z" and _stale(doc, "t_epoch_old")
    assert doc["t_epoch_fresh_created_old"]["last_modified"] == "2026-11-18T00:00:00Z"
    assert "updated_at (text)" in doc["t_text_created_old"]["last_modified_basis"]


def test_an_unplaceable_value_is_named_never_quoted(pg_url, tmp_path):
    _seed(pg_url, {"t_hostile_text_time": ("updated_at bigint", "20190101")})
    d = _scan(tmp_path, pg_url)["t_hostile_text_time"]
    assert d["last_modified"] is None
    assert "max(updated_at): not a time" in d["last_modified_basis"] and "20190101" not in d["last_modified_basis"]
