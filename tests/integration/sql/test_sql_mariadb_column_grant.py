"""MariaDB: a table the audit user holds only column privileges on (``GRANT SELECT (id, phone)``: a
vendor hiding one column) cannot have its definition read (``SHOW CREATE TABLE``: error 1142). That
one table is not assessed, named with the grant that fixes it; before, the whole schema's reflection
failed on it and every other table of the source went unassessed with it ("schema not reflected")."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa
from sql_helpers import by_name, scan

from auditor.models import CollectionError

pytestmark = pytest.mark.mariadb
HOSTS = ("127.0.0.1", "localhost")


def _q(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


@pytest.fixture(scope="module")
def my(mysql_url):
    engine = sa.create_engine(mysql_url)
    db = sa.engine.make_url(mysql_url).database
    with engine.begin() as c:
        c.execute(sa.text("CREATE TABLE members (id INT PRIMARY KEY, email VARCHAR(100))"))
        c.execute(sa.text("INSERT INTO members VALUES " + ", ".join(
            f"({i}, 'member{i}@example.com')" for i in range(1, 41))))
        c.execute(sa.text("CREATE TABLE colgrant (id INT, email VARCHAR(100), phone VARCHAR(40))"))
        c.execute(sa.text("INSERT INTO colgrant VALUES (1, 'hidden1@example.com', '+65 9123 4567')"))
    user, password = f"aud_{uuid.uuid4().hex[:8]}", f"pw{uuid.uuid4().hex[:10]}"
    with engine.begin() as c:
        for host in HOSTS:
            c.execute(sa.text(f"CREATE USER '{user}'@'{host}' IDENTIFIED BY '{password}'"))
            c.execute(sa.text(f"GRANT SELECT ON {_q(db)}.members TO '{user}'@'{host}'"))
            c.execute(sa.text(f"GRANT SELECT (id, phone) ON {_q(db)}.colgrant TO '{user}'@'{host}'"))
    ro_url = sa.engine.make_url(mysql_url).set(username=user, password=password).render_as_string(hide_password=False)
    try:
        yield {"ro_url": ro_url, "db": db, "password": password}
    finally:
        with engine.begin() as c:
            for host in HOSTS:
                c.execute(sa.text(f"DROP USER IF EXISTS '{user}'@'{host}'"))
        engine.dispose()


def test_a_table_with_column_grants_only_is_not_assessed_alone(my):
    items = scan(my["ro_url"])
    errors = [e for e in items if isinstance(e, CollectionError)]
    assert not [e for e in errors if "schema not reflected" in e.reason], errors
    got = by_name(items)
    assert got[f"{my['db']}.members"].dataset.status == "assessed"
    d = got[f"{my['db']}.colgrant"].dataset
    assert d.status == "error" and "permission denied" in (d.error or "")
    assert my["password"] not in str(d.model_dump())
