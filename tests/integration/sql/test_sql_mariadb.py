"""The SQL connector against the real MariaDB on loopback."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sql_helpers import (
    HOSTILE,
    by_name,
    connector,
    count_queries,
    newest_update,
    redmart_rows,
    redmart_table,
    scan,
)

from auditor.errors import ConnectorError

pytestmark = pytest.mark.mariadb
N_REDMART = 500
N_BIG = 3_000
HOSTS = ("127.0.0.1", "localhost")


def _q(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


@pytest.fixture(scope="module")
def my(mysql_url):
    engine = sa.create_engine(mysql_url)
    db = sa.engine.make_url(mysql_url).database
    md = sa.MetaData()
    customers = redmart_table(md)
    rows = redmart_rows(N_REDMART)
    sa.Table("no_times", md, sa.Column("code", sa.String(10)), sa.Column("qty", sa.Integer))
    sa.Table("big", md, sa.Column("id", sa.Integer, primary_key=True), sa.Column("email", sa.String(100)),
             sa.Column("last_changed", sa.DateTime))
    sa.Table("secret", md, sa.Column("ssn", sa.String(12)))
    sa.Table("b", md, sa.Column("v", sa.Integer))
    for name in HOSTILE:
        sa.Table(name, md, sa.Column('c"ol<', sa.String(20)))
    md.create_all(engine)
    with engine.begin() as c:
        c.execute(customers.insert(), rows)
        c.execute(md.tables["no_times"].insert(), [{"code": f"K{i}", "qty": i} for i in range(40)])
        c.execute(md.tables["big"].insert(), [
            {"id": i, "email": f"u{i}@example.com", "last_changed": datetime(2019, 1, 1) + timedelta(minutes=i)}
            for i in range(1, N_BIG + 1)])
        c.execute(md.tables["secret"].insert(), [{"ssn": "S1234567D"}])
        c.execute(md.tables["b"].insert(), [{"v": 1}])
        for name in HOSTILE:
            c.execute(md.tables[name].insert(), [{'c"ol<': "hostile"}])
        c.execute(sa.text("ANALYZE TABLE big"))
    user, password = f"aud_{uuid.uuid4().hex[:8]}", f"pw{uuid.uuid4().hex[:10]}"
    with engine.begin() as c:
        for host in HOSTS:
            c.execute(sa.text(f"CREATE USER '{user}'@'{host}' IDENTIFIED BY '{password}'"))
            for t in md.tables:
                # the secret table is visible (REFERENCES) but not readable
                priv = "REFERENCES" if t == "secret" else "SELECT"
                c.execute(sa.text(f"GRANT {priv} ON {_q(db)}.{_q(t)} TO '{user}'@'{host}'"))
    base = sa.engine.make_url(mysql_url)
    ro_url = base.set(username=user, password=password).render_as_string(hide_password=False)
    bad_url = base.set(username=user, password="WrongPassw0rd").render_as_string(hide_password=False)
    try:
        yield {"url": mysql_url, "ro_url": ro_url, "bad_url": bad_url, "rows": rows, "engine": engine, "db": db,
               "password": password}
    finally:
        with engine.begin() as c:
            for host in HOSTS:
                c.execute(sa.text(f"DROP USER IF EXISTS '{user}'@'{host}'"))
        engine.dispose()


@pytest.fixture(scope="module")
def ro_scan(my):
    return by_name(scan(my["ro_url"], exact_count_max_rows=1_000, sample_rows=300))


def test_redmart_like_table(my, ro_scan):
    obs = ro_scan[f"{my['db']}.customers"]
    d = obs.dataset
    assert d.status == "assessed"
    assert d.records == N_REDMART and d.records_basis == "exact"
    assert d.last_modified == newest_update(my["rows"]) and d.last_modified_basis == "max(updated_at)"
    assert (d.last_modified.year, d.last_modified.month) == (2019, 3)
    assert "information_schema.UPDATE_TIME" in d.facts["age_signals"]
    assert d.facts["engine"].startswith("mariadb 10.")
    assert d.facts["storage_engine"] == "InnoDB"
    assert d.bytes and d.bytes > 0
    assert d.uri == f"mysql://127.0.0.1:3306/{my['db']}/{my['db']}.customers"
    assert my["password"] not in str(d.model_dump())
    assert d.encryption_in_transit == "optional"  # have_ssl DISABLED, require_secure_transport OFF
    assert d.encryption_at_rest == "none" and "innodb_encrypt_tables" in d.facts["encryption_at_rest_basis"]
    fields = obs.sample.fields
    assert "avatar" not in fields and "balance" in fields  # floats are sampled (cards, phones)
    assert 270 <= len(fields["phone"]) <= 300 and all(v.startswith("+65 ") for v in fields["phone"])
    assert d.facts["sample"]["strategy"] == "10 random key ranges on id"


def test_table_without_time_columns_falls_back_to_engine_metadata(my, ro_scan):
    d = ro_scan[f"{my['db']}.no_times"].dataset
    assert d.records == 40
    # seeded a moment ago: UPDATE_TIME is recent (UTC) on the server's clock, or NULL when the server forgot it
    if d.last_modified is not None:
        assert d.last_modified_basis == "information_schema.UPDATE_TIME"
        engine = sa.create_engine(my["url"])
        with engine.connect() as c:
            server_now = c.execute(sa.text("SELECT UTC_TIMESTAMP()")).scalar().replace(tzinfo=UTC)
        engine.dispose()
        assert abs(d.last_modified - server_now) < timedelta(hours=1)
    else:
        assert d.last_modified_basis.startswith("unknown")
        assert "UPDATE_TIME" in d.last_modified_basis


def test_large_table_estimate_path(my, ro_scan):
    obs = ro_scan[f"{my['db']}.big"]
    d = obs.dataset
    assert d.records_basis == "estimate" and d.facts["records_estimate_source"] == "information_schema.TABLE_ROWS"
    assert abs(d.records - N_BIG) <= N_BIG * 0.3
    assert d.last_modified_basis == "max(last_changed)" and d.last_modified.year == 2019
    assert 250 <= len(obs.sample.fields["email"]) <= 300
    assert len(set(obs.sample.fields["email"])) > 100  # spread, not the first rows only


def test_unreadable_table_is_an_error_and_the_rest_goes_on(my, ro_scan):
    d = ro_scan[f"{my['db']}.secret"].dataset
    assert d.status == "error" and "permission denied" in d.error and "GRANT SELECT" in d.error
    assert my["password"] not in d.error
    assert sum(o.dataset.status == "assessed" for o in ro_scan.values()) == len(ro_scan) - 1 == 6


def test_hostile_names(my, ro_scan):
    for name in HOSTILE:
        obs = ro_scan[f"{my['db']}.{name}"]
        assert obs.dataset.status == "assessed" and obs.sample.fields['c"ol<'] == ["hostile"]
    with my["engine"].connect() as c:
        assert c.execute(sa.text("SELECT count(*) FROM b")).scalar() == 1


def _checksums(engine, db: str) -> dict:
    with engine.connect() as c:
        names = c.execute(sa.text("SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = :d"),
                          {"d": db}).scalars().all()
        return {n: (c.execute(sa.text(f"SELECT count(*) FROM {_q(n)}")).scalar(),
                    c.execute(sa.text(f"CHECKSUM TABLE {_q(n)}")).one()[1]) for n in names}


def test_scan_changes_nothing(my):
    before = _checksums(my["engine"], my["db"])
    scan(my["ro_url"])
    scan(my["url"])
    assert _checksums(my["engine"], my["db"]) == before and len(before) == 7


def test_connector_session_refuses_writes_even_as_root(my):
    engine = connector(my["url"])._engine()
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("START TRANSACTION READ ONLY")
            with pytest.raises(sa.exc.DBAPIError, match="(?i)read.only"):
                conn.execute(sa.text("INSERT INTO b VALUES (2)"))
            conn.rollback()
            with pytest.raises(sa.exc.DBAPIError, match="(?i)read.only"):
                conn.execute(sa.text("INSERT INTO b VALUES (3)"))  # the session default is read-only too
            conn.rollback()
            assert float(conn.execute(sa.text("SELECT @@max_statement_time")).scalar()) == 30.0
    finally:
        engine.dispose()


def test_queries_per_table(my):
    with count_queries() as base:
        [empty] = scan(my["url"], include=["nothing.*"])  # a glob that matches nothing: named, not silent
    assert "empty selection" in empty.reason
    with count_queries() as full:
        items = scan(my["url"], exact_count_max_rows=1_000)
    tables = len(items)
    assert full["setup"] == base["setup"] and full["other"] == 0
    assert full["table"] / tables <= 3 and full["sample"] == tables
    print(f"mariadb: {tables} tables, {dict(full)}")


def test_wrong_password_is_a_connector_error_without_the_password(my):
    with pytest.raises(ConnectorError) as info:
        scan(my["bad_url"])
    message = str(info.value)
    assert "WrongPassw0rd" not in message and my["password"] not in message
    assert "authentication failed" in message and "127.0.0.1:3306" in message

