"""Personal data past the first 1,024 characters of a long text cell is classified.

The sample reads unbounded text (``text``, ``varchar(n > 1024)``, ``char(n > 1024)``, MariaDB
``TEXT``, SQLite ``TEXT``) cut on the server at 16 KiB (``LONG_CHARS``), but the rows were turned
into fields cut again at 1,024 characters: an e-mail address 1,500 characters into a notes cell
was read from the server and never shown to the classifier, and nothing named the cut, so the
table came out clean (a silent pass). Real PostgreSQL, MariaDB and a SQLite file.
"""

from __future__ import annotations

import sqlite3

import pytest
import sqlalchemy as sa
from sql_helpers import by_name, scan

from auditor.classify import classify

PAD = "lorem ipsum dolor sit amet " * 60  # 1,620 characters before the address


def _email_found(url: str, table: str) -> bool:
    obs = by_name(scan(url))[table]
    assert obs.dataset.status == "assessed"
    assert obs.sample is not None
    return any(p.type == "email" for p in classify(obs.sample))


def _seed(engine: sa.Engine, ddl: str) -> None:
    with engine.begin() as c:
        c.execute(sa.text(ddl))
        c.execute(sa.text("INSERT INTO notes (id, body) VALUES (:id, :body)"),
                  [{"id": i, "body": f"{PAD} write to customer{i}@example.com"} for i in range(1, 21)])


@pytest.mark.parametrize("coltype", ["text", "varchar(5000)", "char(2000)"])
def test_postgres_long_text_is_classified_past_1024_characters(pg_url, coltype):
    engine = sa.create_engine(pg_url)
    with engine.begin() as c:
        c.execute(sa.text("DROP TABLE IF EXISTS notes"))
    _seed(engine, f"CREATE TABLE notes (id int primary key, body {coltype})")
    engine.dispose()
    assert _email_found(pg_url, "public.notes")


def test_mariadb_long_text_is_classified_past_1024_characters(mysql_url):
    engine = sa.create_engine(mysql_url)
    _seed(engine, "CREATE TABLE notes (id int primary key, body text)")
    engine.dispose()
    schema = sa.engine.make_url(mysql_url).database
    assert _email_found(mysql_url, f"{schema}.notes")


def test_sqlite_long_text_is_classified_past_1024_characters(tmp_path):
    path = tmp_path / "vendor.db"
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE notes (id integer primary key, body text)")
    con.executemany("INSERT INTO notes VALUES (?, ?)",
                    [(i, f"{PAD} write to customer{i}@example.com") for i in range(1, 21)])
    con.commit()
    con.close()
    assert _email_found(f"sqlite:///{path}", "main.notes")


def test_a_value_longer_than_the_cut_is_named_in_the_notes(tmp_path):
    """A TOASTed notes cell of 30,000 characters: its first LONG_CHARS are the sample (as a table's
    first rows are), and the dataset says so in its notes, naming the column, how many values and
    the cut, without making the table unassessed (a cut text is a sample, not an unread column)."""
    from connectors.sql.sampling import LONG_CHARS

    path = tmp_path / "vendor.db"
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE notes (id integer primary key, body text, short text)")
    con.executemany("INSERT INTO notes VALUES (?, ?, ?)",
                    [(i, "x " * 15_000 + f"customer{i}@example.com", "ok") for i in range(1, 4)])
    con.commit()
    con.close()
    d = by_name(scan(f"sqlite:///{path}"))["main.notes"].dataset
    assert d.status == "assessed" and not d.facts.get("unsampled")
    assert any(n.startswith("body: 3 value(s) longer than ") and str(LONG_CHARS) in n for n in d.notes), d.notes
    assert not any(n.startswith("short:") for n in d.notes)
