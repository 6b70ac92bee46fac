"""The SQL connector against the real PostgreSQL on loopback."""

from __future__ import annotations

import socket
import uuid
from datetime import UTC

import pytest
import sqlalchemy as sa
from sql_helpers import (
    HOSTILE,
    by_name,
    connector,
    count_queries,
    free_port,
    newest_update,
    redmart_rows,
    redmart_table,
    scan,
)

from auditor.errors import ConnectorError

pytestmark = pytest.mark.postgres
N_REDMART = 600
N_BIG = 20_000


@pytest.fixture(scope="module")
def pg(pg_url):
    """Seeded database plus a SELECT-only role that may not read ``public.secret``."""
    engine = sa.create_engine(pg_url)
    md = sa.MetaData()
    customers = redmart_table(md)
    rows = redmart_rows(N_REDMART)
    sa.Table("no_times", md, sa.Column("code", sa.String(10)), sa.Column("qty", sa.Integer))
    sa.Table("big", md, sa.Column("id", sa.Integer, primary_key=True), sa.Column("email", sa.String(100)),
             sa.Column("modified", sa.DateTime(timezone=True)))
    sa.Table("secret", md, sa.Column("ssn", sa.String(12)))
    sa.Table("b", md, sa.Column("v", sa.Integer))
    for name in HOSTILE:
        sa.Table(name, md, sa.Column('c"ol<', sa.String(20)))
    md.create_all(engine)
    with engine.begin() as c:
        c.execute(customers.insert(), rows)
        c.execute(md.tables["no_times"].insert(), [{"code": f"K{i}", "qty": i} for i in range(40)])
        c.execute(sa.text("INSERT INTO big SELECT g, 'u' || g || '@example.com', "
                          "timestamptz '2020-01-01 00:00+00' + g * interval '1 second' FROM generate_series(1, :n) g"),
                  {"n": N_BIG})
        c.execute(md.tables["secret"].insert(), [{"ssn": "S1234567D"}])
        c.execute(sa.text("COMMENT ON TABLE big IS 'purged nightly by the vendor; retention: 13w'"))
        c.execute(md.tables["b"].insert(), [{"v": 1}])
        for name in HOSTILE:
            c.execute(md.tables[name].insert(), [{'c"ol<': "hostile"}])
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
        c.execute(sa.text("ANALYZE"))
    role = f"aud_ro_{uuid.uuid4().hex[:8]}"
    dbname = sa.engine.make_url(pg_url).database
    with engine.begin() as c:
        c.execute(sa.text(f"CREATE ROLE {role} LOGIN"))
        c.execute(sa.text(f"GRANT CONNECT ON DATABASE {dbname} TO {role}"))
        c.execute(sa.text(f"GRANT USAGE ON SCHEMA public TO {role}"))
        c.execute(sa.text(f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {role}"))
        c.execute(sa.text(f"REVOKE SELECT ON public.secret FROM {role}"))
    ro_url = sa.engine.make_url(pg_url).set(username=role).render_as_string(hide_password=False)
    try:
        yield {"url": pg_url, "ro_url": ro_url, "rows": rows, "engine": engine}
    finally:
        with engine.begin() as c:
            c.execute(sa.text(f"DROP OWNED BY {role}"))
            c.execute(sa.text(f"DROP ROLE {role}"))
        engine.dispose()


@pytest.fixture(scope="module")
def ro_scan(pg):
    return by_name(scan(pg["ro_url"], exact_count_max_rows=5_000, sample_rows=200))


def test_redmart_like_table_is_dated_by_its_update_column(pg, ro_scan):
    obs = ro_scan["public.customers"]
    d = obs.dataset
    assert d.status == "assessed" and d.kind == "table"
    assert d.records == N_REDMART and d.records_basis == "exact"
    assert d.last_modified == newest_update(pg["rows"])
    assert (d.last_modified.year, d.last_modified.month) == (2019, 3)
    assert d.last_modified.tzinfo == UTC
    assert d.last_modified_basis == "max(updated_at)"
    assert d.facts["age_signals"]["max(updated_at)"].startswith("2019-03")
    assert d.facts["age_signals"]["max(created_at)"] < "2019"
    assert d.bytes and d.bytes > 8192 and d.facts["bytes_basis"] == "pg_total_relation_size"
    assert d.facts["engine"].startswith("postgresql 15") or d.facts["engine"].startswith("postgresql 1")
    assert d.facts["columns"]["updated_at"].startswith("TIMESTAMP")
    assert d.columns[:3] == ("id", "full_name", "email")
    assert d.encryption_in_transit == "optional"  # ssl = off on the test server
    assert d.encryption_at_rest == "unknown" and d.public is None and d.has_retention is False
    dbname = sa.engine.make_url(pg["url"]).database
    assert d.uri == f"postgresql://127.0.0.1:5432/{dbname}/public.customers"
    # the sample: bounded, only classifier-usable columns, values as text
    fields = obs.sample.fields
    assert set(fields) == {"id", "full_name", "email", "phone", "address", "password_hash", "card_masked",
                           "balance", "created_at", "updated_at"}  # floats are sampled (cards, phones)
    assert 0 < len(fields["email"]) <= 200
    assert all(v.endswith("@example.com.sg") for v in fields["email"])
    assert d.facts["fingerprint"].startswith(f"exact:{N_REDMART}:")


def test_table_without_time_columns_is_unknown_not_guessed(ro_scan):
    d = ro_scan["public.no_times"].dataset
    assert d.records == 40 and d.records_basis == "exact"
    assert d.last_modified is None
    assert d.last_modified_basis.startswith("unknown")
    assert "track_commit_timestamp" in d.last_modified_basis
    assert d.facts["fingerprint"]


def test_fingerprint_is_stable_between_runs_of_an_unchanged_table(pg, ro_scan):
    again = by_name(scan(pg["ro_url"], exact_count_max_rows=5_000, sample_rows=200, include=["public.big", "public.no_times"]))
    for name in ("public.big", "public.no_times"):
        assert again[name].dataset.facts["fingerprint"] == ro_scan[name].dataset.facts["fingerprint"]


def test_large_table_takes_the_estimate_path_and_a_random_sample(ro_scan):
    d = ro_scan["public.big"].dataset
    assert d.records_basis == "estimate" and d.facts["records_estimate_source"] == "pg_class.reltuples"
    assert abs(d.records - N_BIG) <= N_BIG * 0.05
    assert d.facts["sample"]["strategy"].startswith("tablesample")
    emails = ro_scan["public.big"].sample.fields["email"]
    assert 50 <= len(emails) <= 200
    assert d.last_modified_basis == "max(modified)" and d.last_modified.year == 2020


def test_unreadable_table_is_an_error_and_the_rest_goes_on(ro_scan):
    d = ro_scan["public.secret"].dataset
    assert d.status == "error"
    assert "permission denied" in d.error and "GRANT" in d.error
    assert ro_scan["public.secret"].sample is None
    assert sum(o.dataset.status == "assessed" for o in ro_scan.values()) == len(ro_scan) - 1


def test_hostile_names_are_quoted(pg, ro_scan):
    for name in HOSTILE:
        obs = ro_scan[f"public.{name}"]
        assert obs.dataset.status == "assessed" and obs.dataset.records == 1
        assert obs.sample.fields['c"ol<'] == ["hostile"]
        assert '"' not in obs.dataset.uri and "<" not in obs.dataset.uri and " " not in obs.dataset.uri
    with pg["engine"].connect() as c:
        assert c.execute(sa.text("SELECT count(*) FROM b")).scalar() == 1


def _checksums(engine) -> dict[str, tuple]:
    out = {}
    with engine.connect() as c:
        names = c.execute(sa.text("SELECT quote_ident(tablename) FROM pg_tables WHERE schemaname = 'public'")).scalars()
        for q in names:
            out[q] = c.execute(sa.text(
                f"SELECT count(*), md5(coalesce(string_agg(t::text, ',' ORDER BY t::text), '')) FROM public.{q} t")).one()
    return out


def test_scan_changes_nothing(pg):
    before = _checksums(pg["engine"])
    scan(pg["ro_url"])
    scan(pg["url"])  # as the superuser too: the session itself is read-only
    assert _checksums(pg["engine"]) == before
    assert len(before) == 7


def test_connector_session_refuses_writes_even_as_superuser(pg):
    c = connector(pg["url"])
    engine = c._engine()
    try:
        with engine.connect() as conn:
            assert conn.execute(sa.text("SHOW default_transaction_read_only")).scalar() == "on"
            assert conn.execute(sa.text("SHOW statement_timeout")).scalar() == "30s"
            with pytest.raises(sa.exc.InternalError, match="read-only transaction"):
                conn.execute(sa.text("INSERT INTO b VALUES (2)"))
    finally:
        engine.dispose()


def test_queries_per_table(pg):
    with count_queries() as base:
        empty = scan(pg["url"], include=["nothing.*"])
    assert [e.dataset for e in empty] == [None] and "empty selection" in empty[0].reason  # named, not silent
    with count_queries() as full:
        items = scan(pg["url"], exact_count_max_rows=5_000)
    tables = len(items)
    per_table = (full["table"] + full["other"]) / tables
    assert full["setup"] == base["setup"]  # bulk: independent of the number of tables
    assert full["other"] == 0
    assert per_table <= 3, full
    assert full["sample"] == tables  # one sample statement per table
    print(f"postgresql: {tables} tables, {dict(full)} -> {per_table:.2f} queries per table plus the sample")


def test_locked_table_times_out_alone(pg):
    locker = pg["engine"].connect()
    try:
        locker.execute(sa.text("LOCK TABLE no_times IN ACCESS EXCLUSIVE MODE"))
        found = by_name(scan(pg["url"], statement_timeout=1.5, include=["public.no_times", "public.customers"]))
    finally:
        locker.rollback()
        locker.close()
    assert found["public.no_times"].dataset.status == "error"
    assert "timeout" in found["public.no_times"].dataset.error
    assert found["public.customers"].dataset.status == "assessed"
    assert found["public.customers"].dataset.facts["bytes_basis"].startswith("pg_class.relpages")


def test_connection_refused_is_a_connector_error_without_the_password():
    port = free_port()
    with socket.socket() as s:  # nothing listens there
        assert s.connect_ex(("127.0.0.1", port)) != 0
    url = f"postgresql+psycopg://audit:Sup3rS3cretPw@127.0.0.1:{port}/vendor"
    with pytest.raises(ConnectorError) as info:
        scan(url, connect_timeout=2)
    message = str(info.value)
    assert "Sup3rS3cretPw" not in message and "audit:" not in message
    assert f"127.0.0.1:{port}" in message
    assert info.value.__cause__ is None and info.value.__suppress_context__


def test_retention_is_known_false_unless_the_table_comment_declares_one(ro_scan):
    big = ro_scan["public.big"].dataset
    assert (big.has_retention, big.retention_days) == (True, 91)
    assert "declared in the table comment" in big.facts["retention_basis"]
    customers = ro_scan["public.customers"].dataset
    assert (customers.has_retention, customers.retention_days) == (False, None)
    assert "no row expiry" in customers.facts["retention_basis"]
    assert "transport" not in customers.facts  # a network database: its transport is judged


def test_a_column_of_stored_masks_is_read_as_stored(pg_url):
    """A vendor that redacted a column wrote 'REDACTED' / '********' into it: PostgreSQL serves what
    is stored (it masks nothing on read), so the column is read (no personal data in it), not named
    unread with 'unmask it for the audit role' as the way out every night (that is for servers
    that mask on read: Snowflake's masking policies)."""
    import sqlalchemy as sa
    from sql_helpers import by_name, scan

    engine = sa.create_engine(pg_url)
    with engine.begin() as c:
        c.execute(sa.text("CREATE TABLE redacted_customers (id int primary key, email text, pin text)"))
        c.execute(sa.text("INSERT INTO redacted_customers SELECT i, 'REDACTED', '********' FROM generate_series(1, 30) i"))
    engine.dispose()
    d = by_name(scan(pg_url))["public.redacted_customers"].dataset
    assert d.status == "assessed"
    assert not d.facts.get("unsampled"), d.facts.get("unsampled")
