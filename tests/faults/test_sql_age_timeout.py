"""A big table whose newest write cannot be found within ``statement_timeout`` (its write-time
column has no index, hundreds of millions of rows): the scan for ``max(updated_at)`` is cancelled
by the server. That used to make the whole table not assessed every night, its sample never read:
whether it holds personal data was unknown too. Now the table is read again without the
write-time scan: its sample is classified, and only its age is unknown, with the way out named
(an index on the column, or a longer statement_timeout).

The slow scan is injected: the aggregate statement of that one table is wrapped so that the real
server sleeps in it past the source's statement_timeout and cancels it (PostgreSQL's SQLSTATE
57014, MariaDB's 1969 max_statement_time: the server's own error); every other statement runs
as sent. On PostgreSQL and MariaDB.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from fault_helpers import scan, sql_source, write_config

ENGINES = [pytest.param("pg", marks=pytest.mark.postgres), pytest.param("my", marks=pytest.mark.mariadb)]


@pytest.fixture(scope="module", params=ENGINES)
def db(request) -> Iterator[dict]:
    """big_t (2,000 rows, emails, an unindexed updated_at), small_t (20 rows) and plain_t (2,000
    rows, no write-time column), in schema ``agecut`` (PostgreSQL) or the test database (MariaDB)."""
    pg = request.param == "pg"
    url = request.getfixturevalue("pg_url" if pg else "mysql_url")
    eng = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    schema = "agecut" if pg else sa.engine.make_url(url).database
    rows = ("SELECT g, 'person' || g || '@example.com'{} FROM generate_series(1, {}) g" if pg else
            "SELECT seq, CONCAT('person', seq, '@example.com'){0} FROM seq_1_to_{1}")  # MariaDB's sequence engine
    when = (", timestamptz '2020-01-01' + g * interval '1 minute'" if pg else
            ", TIMESTAMP '2020-01-01 00:00:00' + INTERVAL seq MINUTE")
    with eng.connect() as c:
        if pg:
            c.execute(sa.text("CREATE SCHEMA agecut"))
        for t, n in (("big_t", 2000), ("small_t", 20)):
            c.execute(sa.text(f"CREATE TABLE {schema}.{t} (id int primary key, email text, updated_at "
                              f"{'timestamptz' if pg else 'datetime'})"))
            c.execute(sa.text(f"INSERT INTO {schema}.{t} " + rows.format(when, n)))
        c.execute(sa.text(f"CREATE TABLE {schema}.plain_t (id int primary key, email text)"))  # no write-time column
        c.execute(sa.text(f"INSERT INTO {schema}.plain_t " + rows.format("", 2000)))
        for t in ("big_t", "small_t", "plain_t"):  # the estimates: big_t on the estimate path
            c.execute(sa.text(f"ANALYZE {'' if pg else 'TABLE '}{schema}.{t}"))
    try:
        yield {"url": url, "engine": eng, "schema": schema, "pg": pg}
    finally:
        eng.dispose()


class Slow:
    """The statements that run past the statement timeout: those reading a table in ``tables``
    that also contain ``what`` (by default a write-time scan, ``max(`` with ``updated_at``), or
    (``every``) every statement reading them."""

    def __init__(self) -> None:
        self.tables: list[str] = []
        self.what: tuple[str, ...] = ("max(", "updated_at")
        self.every = False
        self.sent: list[str] = []  # the statements slowed

    def __call__(self, conn, cursor, statement, parameters, context, executemany):  # noqa: ARG002
        hit = (statement.lstrip().upper().startswith("SELECT") and any(re.search(rf"\b{t}\b", statement) for t in self.tables)
               and not any(c in statement.lower() for c in ("pg_catalog", "information_schema")))
        if hit and (self.every or all(w in statement.lower() for w in self.what)):
            self.sent.append(statement)  # the server sleeps 5 s in it, past statement_timeout
            sleep = "pg_sleep(5)" if conn.dialect.name == "postgresql" else "SLEEP(5) AS z"
            statement = f"SELECT q.* FROM ({statement}) AS q CROSS JOIN (SELECT {sleep}) AS slow"
        return statement, parameters


@pytest.fixture
def slow() -> Iterator[Slow]:
    hook = Slow()
    sa.event.listen(sa.engine.Engine, "before_cursor_execute", hook, retval=True)
    try:
        yield hook
    finally:
        sa.event.remove(sa.engine.Engine, "before_cursor_execute", hook)


def _source(db: dict, **options) -> dict:
    options = {"include": [f"{db['schema']}.big_t", f"{db['schema']}.small_t"], "exact_count_max_rows": 100, **options}
    return sql_source("pg", db["url"], statement_timeout=1, **options)


def test_a_write_time_scan_past_the_timeout_leaves_only_the_age_unknown(tmp_path, db, slow, caplog):
    """big_t is on the estimate path (no count): its aggregate is max(updated_at) and its key range."""
    slow.tables.append("big_t")
    s = scan(write_config(tmp_path, [_source(db)]))
    assert slow.sent, "the fault was not injected: no write-time scan of big_t was seen"
    big = s.dataset("pg", f"{db['schema']}.big_t")
    assert big["status"] == "assessed", big
    assert "email" in s.personal("pg", f"{db['schema']}.big_t"), big  # its sample was read and classified
    said = [r.getMessage() for r in caplog.records if "big_t" in r.getMessage()]
    assert any("max(updated_at) ran past statement_timeout (1s): read again without" in m for m in said), said
    if not db["pg"]:  # MariaDB: InnoDB's UPDATE_TIME (since the server's start) still gives the age
        assert big["last_modified"] is not None and big["last_modified_basis"] == "information_schema.UPDATE_TIME", big
        return
    assert big["last_modified"] is None
    basis = big["last_modified_basis"]
    assert "statement_timeout" in basis and "max(updated_at)" in basis, basis
    assert "CREATE INDEX" in basis and "updated_at" in basis, basis  # the way out: an index answers max()
    assert big["records"] == 2000 and big["records_basis"] == "estimate", big
    # the verdict: only the age is not assessed (exit 3), named with its way out; the rest assessed
    assert s.code == 3, s.output
    on_big = s.na_on("pg", f"{db['schema']}.big_t")
    assert on_big and all("rule" in f["evidence"] for f in on_big), on_big  # a fact unknown, not an unread table
    age = next(f for f in on_big if f["evidence"]["unknown"] == ["last_modified"])
    assert "statement_timeout" in age["evidence"]["cause"], age  # not "no write-time column"
    assert age["evidence"]["way_out"] == "setting" and "index" in age["remediation"], age
    assert "track_commit_timestamp" not in age["remediation"], age
    assert "CREATE INDEX" in age["remediation"] and "big_t" in age["remediation"], age  # this table's own
    assert big["judgment"]["personal"] is True, big["judgment"]
    small = s.dataset("pg", f"{db['schema']}.small_t")
    assert small["status"] == "assessed" and small["last_modified"] is not None, small


def test_a_table_whose_read_times_out_without_the_write_time_scan_is_still_not_assessed(tmp_path, db, slow):
    """The second read times out too (every statement on big_t sleeps): the table is not assessed,
    as before, with the statement timeout named."""
    slow.tables.append("big_t")
    slow.every = True
    s = scan(write_config(tmp_path, [_source(db)]))
    big = s.dataset("pg", f"{db['schema']}.big_t")
    assert big["status"] == "error" and "statement timeout" in big["error"], big
    assert s.code == 3, s.output
    assert s.dataset("pg", f"{db['schema']}.small_t")["status"] == "assessed"


def test_a_count_past_the_timeout_leaves_the_estimate(tmp_path, db, slow):
    """plain_t (2,000 rows, no write-time column) is counted exactly (under exact_count_max_rows):
    the count runs past the timeout, the table is read again on the engine's estimate, said so."""
    slow.tables.append("plain_t")
    slow.what = ("count(",)
    s = scan(write_config(tmp_path, [_source(db, include=[f"{db['schema']}.plain_t"], exact_count_max_rows=5000)]))
    assert slow.sent, "the fault was not injected: no count of plain_t was seen"
    plain = s.dataset("pg", f"{db['schema']}.plain_t")
    assert plain["status"] == "assessed" and "email" in s.personal("pg", f"{db['schema']}.plain_t"), plain
    assert plain["records"] and plain["records_basis"] == "estimate", plain  # InnoDB's estimate is near 2,000
    note = next((n for n in plain["notes"] if n.startswith("count(*) not read")), "")
    assert "statement_timeout" in note and "the engine's estimate" in note, plain["notes"]
    assert "set exact_count_max_rows below" in note, note  # its way out: not counted, the estimate read instead
    assert "statement_timeout" not in plain["last_modified_basis"], plain  # its age's own reason, unchanged


@pytest.mark.postgres
def test_a_timeout_in_a_query_that_holds_the_sample_too_is_not_blamed_on_the_scan(tmp_path, pg_url, slow):
    """A small table's aggregate and "all rows" sample go as one query (PostgreSQL over psycopg):
    there a timeout may be the sample's. Here the sample is what sleeps: the table is not assessed,
    a statement timeout, as before; no read again and no index advice."""
    eng = sa.create_engine(pg_url, isolation_level="AUTOCOMMIT")
    with eng.connect() as c:
        c.execute(sa.text("CREATE SCHEMA together"))
        c.execute(sa.text("CREATE TABLE together.tiny_t (id int primary key, email text, updated_at timestamptz)"))
        c.execute(sa.text("INSERT INTO together.tiny_t SELECT g, 'person' || g || '@example.com', now() "
                          "FROM generate_series(1, 20) g"))
        c.execute(sa.text("ANALYZE together.tiny_t"))
    eng.dispose()
    sleeps: list[str] = []

    def sample_sleeps(conn, cursor, statement, parameters, context, executemany):  # noqa: ARG001
        head, sep, sample = statement.partition(";")
        if sep and "tiny_t" in sample and "LIMIT" in sample:  # the aggregate; the sample: that one sleeps
            sleeps.append(statement)
            statement = head + sep + sample.replace("LIMIT", "WHERE (SELECT true FROM pg_sleep(5)) LIMIT", 1)
        return statement, parameters

    sa.event.listen(sa.engine.Engine, "before_cursor_execute", sample_sleeps, retval=True)
    try:
        s = scan(write_config(tmp_path, [sql_source("pg", pg_url, include=["together.tiny_t"], statement_timeout=1)]))
    finally:
        sa.event.remove(sa.engine.Engine, "before_cursor_execute", sample_sleeps)
    assert sleeps, "the table was not read as one query (aggregate and sample)"
    tiny = s.dataset("pg", "together.tiny_t")
    assert tiny["status"] == "error" and tiny["error"].startswith("statement timeout"), tiny
    assert "CREATE INDEX" not in s.output and "CREATE INDEX" not in (tmp_path / "report.json").read_text()


def test_a_small_table_read_without_its_scans_is_described_as_without_the_timeout(tmp_path, db, slow):
    """small_t (20 rows) on the estimate path (exact_count_max_rows 10: no count) is read whole by
    its estimate, with or without the timeout: the same records and basis, and no "statistics are
    stale" where the rows read are the estimate's."""
    slow.tables.append("small_t")
    s = scan(write_config(tmp_path, [_source(db, include=[f"{db['schema']}.small_t"], exact_count_max_rows=10)]))
    assert slow.sent, "the fault was not injected: no write-time scan of small_t was seen"
    small = s.dataset("pg", f"{db['schema']}.small_t")
    assert small["status"] == "assessed" and "email" in s.personal("pg", f"{db['schema']}.small_t"), small
    assert small["records_basis"] == "estimate" and small["records"] == 20, small
    assert "statistics are stale" not in str(small), small
