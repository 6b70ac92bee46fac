"""Issue 15 item 4: a filtered read is not an empty read. PostgreSQL row-level security that
hides rows from the audit role makes the table not-assessed, with the grant that fixes it,
never ``records = 0``; a role that bypasses it (or a policy that shows it every row) reads the
real rows. MariaDB has no row-level security.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from sql_helpers import by_name, scan

from auditor.classify import classify
from connectors.sql import dialects

AS_OF = datetime(2026, 11, 28, tzinfo=UTC)
PASSWORD = "Rls-pw-41d2"


@pytest.fixture(scope="module")
def rls(pg_url: str) -> Iterator[dict]:
    suffix = uuid.uuid4().hex[:6]
    roles = {k: f"auditor_{k}_{suffix}" for k in ("plain", "bypass", "policy")}
    eng = sa.create_engine(pg_url, isolation_level="AUTOCOMMIT")
    with eng.connect() as c:
        for t in ("hidden", "open_for_policy", "plain_t"):
            c.execute(sa.text(f"CREATE TABLE {t} (id int primary key, email text)"))
            c.execute(sa.text(f"INSERT INTO {t} SELECT g, 'r' || g || '@example.com' FROM generate_series(1, 25) g"))
        c.execute(sa.text("ALTER TABLE hidden ENABLE ROW LEVEL SECURITY"))
        c.execute(sa.text("ALTER TABLE hidden FORCE ROW LEVEL SECURITY"))
        c.execute(sa.text("CREATE POLICY only_mine ON hidden FOR SELECT USING (email = current_user)"))
        c.execute(sa.text("ALTER TABLE open_for_policy ENABLE ROW LEVEL SECURITY"))
        c.execute(sa.text("ALTER TABLE open_for_policy FORCE ROW LEVEL SECURITY"))
        c.execute(sa.text(f"CREATE ROLE {roles['plain']} LOGIN PASSWORD '{PASSWORD}'"))
        c.execute(sa.text(f"CREATE ROLE {roles['bypass']} LOGIN BYPASSRLS PASSWORD '{PASSWORD}'"))
        c.execute(sa.text(f"CREATE ROLE {roles['policy']} LOGIN PASSWORD '{PASSWORD}'"))
        c.execute(sa.text(f"CREATE POLICY auditor_read ON open_for_policy FOR SELECT TO {roles['policy']} USING (true)"))
        for role in roles.values():
            c.execute(sa.text(f"GRANT SELECT ON hidden, open_for_policy, plain_t TO {role}"))
    admin = sa.engine.make_url(pg_url)
    urls = {k: admin.set(username=r, password=PASSWORD).render_as_string(hide_password=False) for k, r in roles.items()}
    try:
        yield {"urls": urls, "roles": roles}
    finally:
        with eng.connect() as c:
            for role in roles.values():
                c.execute(sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = :r"), {"r": role})
                c.execute(sa.text(f"DROP OWNED BY {role}"))
                c.execute(sa.text(f"DROP ROLE {role}"))
        eng.dispose()


def test_rows_hidden_by_row_security_are_not_assessed_with_the_fix(rls):
    got = by_name(scan(rls["urls"]["plain"], AS_OF))
    for name in ("public.hidden", "public.open_for_policy"):  # a filtering policy, and no policy at all
        d = got[name].dataset
        assert d.status == "error" and d.records is None, (name, d.records, d.error)
        assert "row-level security" in d.error
        assert f'ALTER ROLE "{rls["roles"]["plain"]}" BYPASSRLS' in d.error and "CREATE POLICY" in d.error
        assert d.facts["row_security"]["enabled"] and d.facts["row_security"]["forced"]
        assert got[name].sample is None
    plain = got["public.plain_t"].dataset
    assert plain.status == "assessed" and plain.records == 25


def test_a_role_that_bypasses_row_security_reads_the_real_rows(rls):
    got = by_name(scan(rls["urls"]["bypass"], AS_OF))
    d = got["public.hidden"]
    assert d.dataset.status == "assessed" and d.dataset.records == 25
    assert "email" in {p.type for p in classify(d.sample)}


def test_a_policy_that_shows_the_audit_role_every_row_is_read_through(rls):
    got = by_name(scan(rls["urls"]["policy"], AS_OF))
    d = got["public.open_for_policy"].dataset
    assert d.status == "assessed" and d.records == 25, d.error
    assert got["public.hidden"].dataset.status == "error"  # its policy filters: still not assessed


def test_row_security_off_turns_a_missed_filter_into_an_error(rls, monkeypatch):
    """Belt and braces: even if the catalog check missed it, the session reads with
    row_security = off, so hidden rows fail the query instead of coming back as 0 records."""
    real = dialects.Postgres.tables

    def blind(self, conn, schemas):
        out = real(self, conn, schemas)
        for info in out.values():
            info.hidden_by = None
        return out

    monkeypatch.setattr(dialects.Postgres, "tables", blind)
    got = by_name(scan(rls["urls"]["plain"], AS_OF, include=["public.hidden"]))
    d = got["public.hidden"].dataset
    assert d.status == "error" and d.records is None and "BYPASSRLS" in d.error, (d.records, d.error)


def test_the_cli_reports_hidden_rows_as_not_assessed_exit_3(rls, tmp_path, monkeypatch):
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).parents[2] / "faults"))
    from fault_helpers import scan as cli_scan
    from fault_helpers import sql_source, write_config

    monkeypatch.setenv("RLS_DB_URL", rls["urls"]["plain"])
    s = cli_scan(write_config(tmp_path, [sql_source("vendor-db", "${RLS_DB_URL}", include=["public.hidden"])]))
    assert s.code == 3, s.output
    d = s.dataset("vendor-db", "public.hidden")
    assert d["status"] == "error" and d["records"] is None and "BYPASSRLS" in d["error"]
    [na] = s.na_on("vendor-db", "public.hidden")
    assert "row-level security" in na["evidence"]["reason"]
    assert PASSWORD not in s.output and PASSWORD not in (tmp_path / "report.json").read_text()


def test_a_policy_table_read_after_other_tables_gets_its_own_transaction(rls, pg_url):
    """Tables are read in autocommit over the read-only session; a table read through a policy
    (SET LOCAL row_security = on) needs a transaction of its own, also after other reads."""
    eng = sa.create_engine(pg_url, isolation_level="AUTOCOMMIT")
    with eng.connect() as c:
        c.execute(sa.text("CREATE TABLE aa_first (id int primary key, email text)"))
        c.execute(sa.text("INSERT INTO aa_first VALUES (1, 'a@example.com')"))
        c.execute(sa.text(f"GRANT SELECT ON aa_first TO {rls['roles']['policy']}"))
    try:
        got = by_name(scan(rls["urls"]["policy"], AS_OF))
        assert [n for n in got if n != "public.hidden"] == ["public.aa_first", "public.open_for_policy", "public.plain_t"]
        for name in ("public.aa_first", "public.open_for_policy", "public.plain_t"):
            assert got[name].dataset.status == "assessed", (name, got[name].dataset.error)
        assert got["public.open_for_policy"].dataset.records == 25
    finally:
        with eng.connect() as c:
            c.execute(sa.text("DROP TABLE aa_first"))
        eng.dispose()
