"""PostgreSQL's 'infinity' and '-infinity' in a write-time column (a sentinel: "never expires",
"not yet") are no write's time: the newest write is the newest finite value, and a column that
holds only sentinels says nothing of the age. Before, the table's max() came back as 'infinity',
which the driver cannot load as a datetime: the whole table was not assessed (DataError), every
night, with its personal data unread. On the real server."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from sql_helpers import scan

from auditor.models import Observation

AS_OF = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def seeded(pg_url: str) -> str:
    engine = sa.create_engine(pg_url)
    with engine.begin() as c:
        c.exec_driver_sql("CREATE TABLE inf_some (id integer primary key, email text, updated_at timestamp, "
                          "created_on date, seen_at timestamptz)")
        c.exec_driver_sql("INSERT INTO inf_some VALUES "
                          "(1, 'wl.tan@example.com', '2021-03-04 05:06:07', '2020-01-01', '2021-01-01 00:00:00+00'), "
                          "(2, 'a.lim@example.com', 'infinity', 'infinity', 'infinity'), "
                          "(3, 'b.ong@example.com', '-infinity', '-infinity', '-infinity')")
        c.exec_driver_sql("CREATE TABLE inf_only (id integer primary key, email text, updated_at timestamp)")
        c.exec_driver_sql("INSERT INTO inf_only VALUES (1, 'wl.tan@example.com', 'infinity'), "
                          "(2, 'a.lim@example.com', '-infinity')")
    engine.dispose()
    return pg_url


def _by_table(url: str) -> dict[str, Observation]:
    return {o.dataset.name.split(".", 1)[1]: o for o in scan(url, AS_OF) if isinstance(o, Observation)}


def test_the_newest_finite_write_dates_the_table(seeded: str) -> None:
    got = _by_table(seeded)["inf_some"].dataset
    assert got.status == "assessed", got.error
    assert got.last_modified == datetime(2021, 3, 4, 5, 6, 7, tzinfo=UTC)
    assert got.last_modified_basis == "max(updated_at)"
    assert got.records == 3


def test_a_column_of_sentinels_alone_leaves_the_age_unknown_and_the_table_read(seeded: str) -> None:
    o = _by_table(seeded)["inf_only"]
    assert o.dataset.status == "assessed", o.dataset.error
    assert o.dataset.last_modified is None or o.dataset.last_modified_basis != "max(updated_at)"
    assert o.dataset.facts["age_signals"]["max(updated_at)"] is None
    assert o.sample is not None and len(o.sample.fields["email"]) == 2  # its rows were read all the same
