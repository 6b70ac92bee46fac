"""PostgreSQL: the catalogue's statistics (``Dialect.tables``: estimates, sizes, privileges,
policies) are read on a second connection while the first reflects the columns
(``connectors.sql.apart.Statistics``), and nothing a scan reports depends on where they were
read: the same observations as reading them on the main connection, also when the second
connection cannot be had (a role limited to one connection: the server refuses the second). A
statement that fails on the second connection is the source's error, named as it is on the main
one, also when no schema got as far as asking for them; a source that fails meanwhile cancels the
statistics' statement and leaves no thread or server session behind."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from sql_helpers import by_name, redmart_rows, redmart_table, scan

from auditor.errors import ConnectorError
from connectors.sql import connector as sqlconn
from connectors.sql.dialects import Postgres

pytestmark = pytest.mark.postgres
AS_OF = datetime(2026, 1, 1, tzinfo=UTC)
BIG = {"exact_count_max_rows": 1_000}  # "big_orders" takes the read-ahead connection


@pytest.fixture(scope="module")
def pg(pg_url):
    engine = sa.create_engine(pg_url)
    md = sa.MetaData()
    tables = [redmart_table(md, f"small_{i}") for i in range(5)]
    sa.Table("big_orders", md, sa.Column("id", sa.Integer), sa.Column("email", sa.String(100)))
    md.create_all(engine)
    with engine.begin() as c:
        for t in tables:
            c.execute(t.insert(), redmart_rows(30))
        c.execute(sa.text("INSERT INTO big_orders SELECT g, 'u' || g || '@example.com' FROM generate_series(1, 5000) g"))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
        c.execute(sa.text("ANALYZE"))
    engine.dispose()
    return pg_url


def first_on_the_statistics_connection(monkeypatch, sql: str) -> None:
    """Fault injection: ``sql`` runs before the statistics' own statement, on their connection only."""
    tables = Postgres.tables

    def faulty(self, conn, schemas):
        if threading.current_thread().name.startswith("sql-statistics-"):
            conn.exec_driver_sql(sql)
        return tables(self, conn, schemas)

    monkeypatch.setattr(Postgres, "tables", faulty)


def comparable(items) -> dict:
    return {name: o.model_dump() for name, o in by_name(items).items()}


def test_the_statistics_are_read_on_a_second_connection_and_change_nothing(pg, monkeypatch):
    threads: list[str] = []
    tables = Postgres.tables

    def recorded(self, conn, schemas):
        threads.append(threading.current_thread().name)
        return tables(self, conn, schemas)

    monkeypatch.setattr(Postgres, "tables", recorded)
    apart = scan(pg, AS_OF, **BIG)
    monkeypatch.setattr(sqlconn, "STATISTICS_APART", False)
    together = scan(pg, AS_OF, **BIG)
    assert threads[0].startswith("sql-statistics-") and not threads[1].startswith("sql-statistics-"), threads
    assert len(by_name(apart)) == 6 and all(o.dataset.status == "assessed" for o in by_name(apart).values())
    assert comparable(apart) == comparable(together)
    assert by_name(apart)["public.big_orders"].dataset.records_basis == "estimate"  # the estimate path: stats used


def test_a_role_allowed_one_connection_is_read_whole_over_it(pg):
    role = f"audit_one_{uuid.uuid4().hex[:6]}"
    admin = sa.create_engine(pg, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(sa.text(f"CREATE ROLE {role} LOGIN CONNECTION LIMIT 1"))
        c.execute(sa.text(f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {role}"))
    url = sa.engine.make_url(pg).set(username=role).render_as_string(hide_password=False)
    try:
        one = scan(url, AS_OF, **BIG)  # the statistics and the big table fall back to the main connection
        both = scan(pg, AS_OF, **BIG)
    finally:
        with admin.connect() as c:
            c.execute(sa.text(f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {role}"))
            c.execute(sa.text(f"DROP ROLE {role}"))
        admin.dispose()
    got = by_name(one)
    assert len(got) == 6 and all(o.dataset.status == "assessed" for o in got.values()), {
        n: o.dataset.error for n, o in got.items()}
    assert {n: (o.dataset.records, o.dataset.facts.get("fingerprint")) for n, o in got.items()} == {
        n: (o.dataset.records, o.dataset.facts.get("fingerprint")) for n, o in by_name(both).items()}


def test_a_statistics_statement_that_fails_on_the_second_connection_is_the_sources_error(pg, monkeypatch):
    # the statistics' statement fails on the second connection only (a refusal)
    first_on_the_statistics_connection(monkeypatch, "SELECT * FROM pg_catalog.pg_no_such_view")
    with pytest.raises(ConnectorError, match="cannot read the catalog of postgresql://.*pg_no_such_view"):
        scan(pg, AS_OF, **BIG)
    assert not [t for t in threading.enumerate() if t.name.startswith("sql-statistics-")]


def test_a_source_that_fails_while_the_statistics_are_read_leaves_no_connection_behind(pg, monkeypatch):
    # the statistics' statement is slow (the server sleeps), the reflection fails
    import time

    def broken(self, *args, **kwargs):
        raise RuntimeError("the reflection broke")

    first_on_the_statistics_connection(monkeypatch, "SELECT pg_sleep(20)")
    monkeypatch.setattr(sqlconn.Connector, "_reflect", broken)
    started = time.monotonic()
    with pytest.raises(RuntimeError, match="the reflection broke"):
        scan(pg, AS_OF, **BIG)
    assert time.monotonic() - started < 10  # its statement cancelled, not waited for
    assert not [t for t in threading.enumerate() if t.name.startswith("sql-statistics-")]
    admin = sa.create_engine(pg)
    with admin.connect() as c:
        sleeping = c.execute(sa.text("SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep(20)%'"
                                     " AND pid <> pg_backend_pid()")).scalar()
    admin.dispose()
    assert sleeping == 0


def test_statistics_that_fail_when_no_schema_asked_for_them_are_still_the_sources_error(pg, monkeypatch):
    # every schema's reflection fails (their own errors) and the statistics fail too
    def unreflectable(self, inspector, setup, schema, infos_now):
        setup.exec_driver_sql("SELECT * FROM pg_catalog.pg_no_such_columns")

    first_on_the_statistics_connection(monkeypatch, "SELECT * FROM pg_catalog.pg_no_such_view")
    monkeypatch.setattr(sqlconn.Connector, "_reflect_schema", unreflectable)
    with pytest.raises(ConnectorError, match="cannot read the catalog of postgresql://.*pg_no_such_view"):
        scan(pg, AS_OF, **BIG)
