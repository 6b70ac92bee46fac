"""A schema whose name holds a dot made two tables one name: "a.b".c and a."b.c" were both
dataset 'a.b.c'. Policy evaluation, the store and finding ids key a dataset by (source, name):
the clean one's verdict stood for both, and the other's 20 e-mail addresses, unchanged since
2019, gave no finding at all (exit 0: a silent pass). A schema holding '.' (or starting with '"')
is now written quoted in the dataset's name ('"a.b".c'), so every table has a name of its own;
names of other schemas are as before. Real PostgreSQL and MariaDB.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sql_helpers import by_name, scan


def test_postgres_dotted_schema_is_a_name_of_its_own(pg_url):
    engine = sa.create_engine(pg_url)
    with engine.begin() as c:
        c.execute(sa.text('CREATE SCHEMA "a.b"'))
        c.execute(sa.text("CREATE SCHEMA a"))
        c.execute(sa.text('CREATE TABLE "a.b".c (note text)'))
        c.execute(sa.text("INSERT INTO \"a.b\".c VALUES ('nothing here')"))
        c.execute(sa.text('CREATE TABLE a."b.c" (email text)'))
        c.execute(sa.text("INSERT INTO a.\"b.c\" SELECT 'd' || i || '@example.com' FROM generate_series(1, 20) i"))
    engine.dispose()
    got = by_name(scan(pg_url, schemas=["a.b", "a"]))  # by_name: no two datasets of one name
    assert set(got) == {'"a.b".c', "a.b.c"}
    assert got['"a.b".c'].dataset.records == 1 and got["a.b.c"].dataset.records == 20


@pytest.mark.mariadb
def test_mariadb_dotted_database_is_a_name_of_its_own(mysql_url):
    engine = sa.create_engine(mysql_url)
    db = sa.engine.make_url(mysql_url).database
    dotted = f"{db}.x"
    try:
        with engine.begin() as c:
            c.execute(sa.text(f"CREATE DATABASE `{dotted}`"))
            c.execute(sa.text(f"CREATE TABLE `{dotted}`.t (note text)"))
            c.execute(sa.text(f"INSERT INTO `{dotted}`.t VALUES ('nothing here')"))
            c.execute(sa.text("CREATE TABLE `x.t` (email text)"))
            c.execute(sa.text("INSERT INTO `x.t` VALUES ('a@example.com'), ('b@example.com')"))
        got = by_name(scan(mysql_url, schemas=[db, dotted]))
        assert {f'"{dotted}".t', f"{db}.x.t"} <= set(got)
    finally:
        with engine.begin() as c:
            c.execute(sa.text(f"DROP DATABASE IF EXISTS `{dotted}`"))
        engine.dispose()


def test_include_and_exclude_written_without_quotes_still_select_a_dotted_schema(pg_url):
    """A config written before dotted schemas were quoted (include: [a.b.*], a table named plainly)
    selects what it selected: a pattern matches the quoted name or the plain one; an exclude too."""
    from auditor.models import CollectionError

    engine = sa.create_engine(pg_url)
    with engine.begin() as c:
        c.execute(sa.text('CREATE SCHEMA IF NOT EXISTS "x.y"'))
        c.execute(sa.text('CREATE TABLE IF NOT EXISTS "x.y".people (email text)'))
        c.execute(sa.text('CREATE TABLE IF NOT EXISTS "x.y".skus (sku text)'))
    engine.dispose()
    got = scan(pg_url, schemas=["x.y"], include=["x.y.*"], exclude=["x.y.skus"])
    assert set(by_name(got)) == {'"x.y".people'}, got
    assert not [e for e in got if isinstance(e, CollectionError)], got
    got = scan(pg_url, schemas=["x.y"], include=["x.y.people"])
    assert set(by_name(got)) == {'"x.y".people'}, got
    assert not [e for e in got if isinstance(e, CollectionError)], got
