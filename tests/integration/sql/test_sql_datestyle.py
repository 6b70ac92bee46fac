"""PostgreSQL: a DateStyle other than ISO set for the database (or the role) does not change what a
scan reads. The session sets DateStyle ISO, as it sets TimeZone UTC, on every connection (the
first, the read-ahead one, each reconnect): tables with dates and times are assessed with the texts
and fingerprints a database left at ISO gives (they were "not assessed: NotImplementedError")."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from sql_helpers import by_name, scan

from tests.conftest import PG_ADMIN_URL

pytestmark = pytest.mark.postgres
AS_OF = datetime(2026, 1, 1, tzinfo=UTC)
BIG = {"exact_count_max_rows": 1_000, "max_connections": 2}  # "big" takes the read-ahead connection

SEED = [
    "CREATE TABLE small (id int PRIMARY KEY, ts timestamp, tstz timestamptz, day date, t time, email text)",
    "INSERT INTO small VALUES (1, '2020-03-04 05:06:07', '2020-03-04 05:06:07.123456+08', '2020-03-04', '05:06:07',"
    " 'a@example.com'), (2, '1999-12-31 23:59:59.5', '1999-12-31 23:59:59+00', '1999-12-31', '23:59:59.25',"
    " 'b@example.com'), (3, NULL, NULL, NULL, NULL, 'c@example.com')",
    "CREATE TABLE big (id int PRIMARY KEY, day date, tstz timestamptz, email text)",
    "INSERT INTO big SELECT g, DATE '2001-02-03' + g, TIMESTAMPTZ '2001-02-03 04:05:06+00' + g * INTERVAL '1 hour',"
    " 'p' || g || '@example.com' FROM generate_series(1, 3000) g",
    "ANALYZE big",
]


def _database(style: str | None) -> Iterator[str]:
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"sqlfix_ds_{uuid.uuid4().hex[:8]}"
    with admin.connect() as c:
        c.execute(sa.text(f"CREATE DATABASE {name}"))
        if style is not None:
            c.execute(sa.text(f"ALTER DATABASE {name} SET DateStyle = '{style}'"))
    url = sa.engine.make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    engine = sa.create_engine(url)
    with engine.begin() as c:
        for sql in SEED:
            c.execute(sa.text(sql))
    engine.dispose()
    try:
        yield url
    finally:
        with admin.connect() as c:
            c.execute(sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                              " WHERE datname = :d AND pid <> pg_backend_pid()"), {"d": name})
            c.execute(sa.text(f"DROP DATABASE IF EXISTS {name}"))
        admin.dispose()


@pytest.fixture(scope="module")
def iso() -> Iterator[str]:
    yield from _database(None)


@pytest.fixture(params=["SQL, DMY", "Postgres, DMY", "German"])
def styled(request) -> Iterator[str]:
    yield from _database(request.param)


def test_the_database_datestyle_is_not_the_scans(iso, styled):
    with sa.create_engine(styled).connect() as c:  # the setting took: a new session of that database has it
        assert not c.execute(sa.text("SHOW DateStyle")).scalar().startswith("ISO")
    want, got = by_name(scan(iso, AS_OF, **BIG)), by_name(scan(styled, AS_OF, **BIG))
    assert set(got) == set(want) == {"public.small", "public.big"}
    for name, obs in got.items():
        assert obs.dataset.status == "assessed", (name, obs.dataset.error)
        assert obs.sample is not None and want[name].sample is not None
        assert obs.sample.fields == want[name].sample.fields, name
        assert obs.dataset.facts["fingerprint"] == want[name].dataset.facts["fingerprint"], name
        assert obs.dataset.facts.get("unsampled") == want[name].dataset.facts.get("unsampled"), name
    assert got["public.small"].sample.fields["day"] == ["2020-03-04", "1999-12-31"]
