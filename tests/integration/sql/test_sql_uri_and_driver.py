"""Evidence URIs of SQLite files, and a missing database driver named as the extra to install."""

from __future__ import annotations

import sqlite3

import pytest
import sqlalchemy as sa

from auditor.errors import ConnectorError
from tests.integration.sql.sql_helpers import by_name, scan


def test_a_sqlite_file_at_an_absolute_path_has_a_four_slash_uri_that_opens_it(tmp_path):
    path = tmp_path / "vendor.db"
    with sqlite3.connect(path) as con:
        con.execute("CREATE TABLE contacts (email TEXT)")
        con.execute("INSERT INTO contacts VALUES ('ann@example.com')")
    con.close()
    d = by_name(scan(f"sqlite:///{path}"))["main.contacts"].dataset
    assert d.uri == f"sqlite:///{path}/main.contacts" and d.uri.startswith("sqlite:////")
    # the part before the table is a URL SQLAlchemy reads as this very file (three slashes: a relative path)
    location = d.uri.rsplit("/", 1)[0]
    assert sa.engine.make_url(location).database == str(path)


@pytest.mark.parametrize(("url", "extra", "scheme", "module"), [
    ("mysql+mysqldb://audit:pw@127.0.0.1:3306/test", "mysql", "mysql+pymysql", "MySQLdb"),
    ("mysql://audit:pw@127.0.0.1:3306/test", "mysql", "mysql+pymysql", "MySQLdb"),
    ("postgresql+psycopg2://audit:pw@127.0.0.1:5432/test", "postgres", "postgresql+psycopg", "psycopg2"),
])
def test_a_missing_driver_names_the_extra_to_install(url, extra, scheme, module):
    import importlib.util

    if importlib.util.find_spec(module) is not None:
        pytest.skip(f"{module} is installed here")
    with pytest.raises(ConnectorError) as e:
        scan(url)
    text = str(e.value)
    assert f"pip install '.[{extra}]'" in text and f"{scheme}://" in text and module in text
    assert "pw" not in text.replace("pymysql", "")  # no credential from the URL
    assert "ModuleNotFoundError" not in text
