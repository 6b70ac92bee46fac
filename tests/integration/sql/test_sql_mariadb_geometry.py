"""MariaDB: a table with a geometry column (a delivery address's POINT) is read but for that column,
named in ``unsampled``. Before, SQLAlchemy reflected the type as unknown, the sample cast it to text
(``CAST(p AS CHAR)``), MariaDB refused (error 4079) and the whole table went unassessed, its other
columns (the e-mails beside the point) never read."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sql_helpers import by_name, scan

pytestmark = pytest.mark.mariadb


@pytest.fixture(scope="module")
def my(mysql_url):
    engine = sa.create_engine(mysql_url)
    with engine.begin() as c:
        c.execute(sa.text("CREATE TABLE addresses (id INT PRIMARY KEY, email VARCHAR(100), note LONGTEXT, "
                          "location POINT, area POLYGON, updated_at DATETIME)"))
        for i in range(1, 41):
            c.execute(sa.text(
                "INSERT INTO addresses VALUES (:i, :e, :n, POINT(103.8, 1.3), "
                "ST_GeomFromText('POLYGON((0 0,1 0,1 1,0 0))'), '2019-01-01')"),
                {"i": i, "e": f"addr{i}@example.com", "n": f"leave it with the guard, or mail note{i}@example.com"})
    try:
        yield sa.engine.make_url(mysql_url)
    finally:
        engine.dispose()


def test_a_geometry_column_is_named_and_the_rest_of_the_table_read(my):
    got = by_name(scan(my.render_as_string(hide_password=False)))
    d = got[f"{my.database}.addresses"].dataset
    assert d.status == "assessed", d.error
    unsampled = d.facts.get("unsampled", {})
    assert set(unsampled) >= {"location", "area"} and "geometry" in unsampled["location"]
    fields = got[f"{my.database}.addresses"].sample
    assert fields is None or "email" in fields.fields
