"""MariaDB: a login that holds SELECT on some tables of a database only (no ``SELECT ON db.*``)
does not see the others at all: information_schema lists only the tables a login holds a
privilege on. The scan read the granted tables, said nothing of the rest and finished
"complete" (exit 0 when the granted tables were clean): every other table, with whatever
personal data it holds, silently passed. The database is now named not assessed, with the
grant that makes every table visible; a login with SELECT on the database (directly or through
its default role) gets no such finding. Real MariaDB.
"""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa
from sql_helpers import by_name, scan

from auditor.models import CollectionError

pytestmark = pytest.mark.mariadb
HOSTS = ("127.0.0.1", "localhost", "%")


@pytest.fixture(scope="module")
def estate(mysql_url):
    engine = sa.create_engine(mysql_url)
    db = sa.engine.make_url(mysql_url).database
    tag = uuid.uuid4().hex[:8]
    narrow, wide, role = f"narrow_{tag}", f"wide_{tag}", f"role_{tag}"
    with engine.begin() as c:
        c.execute(sa.text("CREATE TABLE skus (id INT PRIMARY KEY, sku VARCHAR(20))"))
        c.execute(sa.text("INSERT INTO skus VALUES (1, 'SKU-1'), (2, 'SKU-2')"))
        c.execute(sa.text("CREATE TABLE customers (id INT PRIMARY KEY, email VARCHAR(100))"))
        c.execute(sa.text("INSERT INTO customers VALUES (1, 'a@example.com'), (2, 'b@example.com')"))
        c.execute(sa.text(f"CREATE ROLE {role}"))
        c.execute(sa.text(f"GRANT SELECT ON `{db}`.* TO {role}"))
        for host in HOSTS:
            c.execute(sa.text(f"CREATE USER '{narrow}'@'{host}'"))
            c.execute(sa.text(f"GRANT SELECT ON `{db}`.skus TO '{narrow}'@'{host}'"))
            c.execute(sa.text(f"CREATE USER '{wide}'@'{host}'"))
            c.execute(sa.text(f"GRANT {role} TO '{wide}'@'{host}'"))
            c.execute(sa.text(f"SET DEFAULT ROLE {role} FOR '{wide}'@'{host}'"))
    url = sa.engine.make_url(mysql_url)
    try:
        yield {"db": db, "narrow": url.set(username=narrow).render_as_string(hide_password=False),
               "wide": url.set(username=wide).render_as_string(hide_password=False)}
    finally:
        with engine.begin() as c:
            for host in HOSTS:
                c.execute(sa.text(f"DROP USER IF EXISTS '{narrow}'@'{host}'"))
                c.execute(sa.text(f"DROP USER IF EXISTS '{wide}'@'{host}'"))
            c.execute(sa.text(f"DROP ROLE IF EXISTS {role}"))
        engine.dispose()


def test_a_login_with_table_grants_only_names_the_database_it_cannot_see_whole(estate):
    items = scan(estate["narrow"])
    assert f"{estate['db']}.skus" in by_name(items)  # the granted table is read
    gaps = [e for e in items if isinstance(e, CollectionError) and e.dataset == estate["db"]]
    assert len(gaps) == 1, items
    assert "invisible" in gaps[0].reason
    assert f"GRANT SELECT ON `{estate['db']}`.*" in (gaps[0].fix or "")


def test_a_login_with_select_on_the_database_through_its_role_sees_it_whole(estate):
    items = scan(estate["wide"])
    assert {f"{estate['db']}.skus", f"{estate['db']}.customers"} <= set(by_name(items))
    assert not [e for e in items if isinstance(e, CollectionError)], items


def test_without_a_database_in_the_url_the_partly_granted_database_is_named(estate):
    """A source URL naming no database audits every database the login sees: the one it holds
    table grants on only is named just the same."""
    items = scan(sa.engine.make_url(estate["narrow"]).set(database=None).render_as_string(hide_password=False))
    assert f"{estate['db']}.skus" in by_name(items)
    gaps = [e for e in items if isinstance(e, CollectionError) and e.dataset == estate["db"]]
    assert len(gaps) == 1 and "invisible" in gaps[0].reason, items


def test_a_selection_of_named_tables_only_needs_no_grant_on_the_rest(estate):
    """The config names the tables to audit (include: [db.skus]), and the login holds SELECT on those:
    a table it cannot list is one the config does not select, so naming the database not assessed,
    with 'GRANT SELECT ON db.*' as the fix, asked every night for a grant the audit does not need. A
    named table the login cannot see is still named (not found), and a glob still needs the database."""
    db = estate["db"]
    items = scan(estate["narrow"], include=[f"{db}.skus"])
    assert f"{db}.skus" in by_name(items)
    assert not [e for e in items if isinstance(e, CollectionError)], items
    items = scan(estate["narrow"], include=[f"{db}.skus", f"{db}.customers"])
    assert [e.dataset for e in items if isinstance(e, CollectionError)] == [f"{db}.customers"], items
    items = scan(estate["narrow"], include=[f"{db}.sk*"])
    assert [e.dataset for e in items if isinstance(e, CollectionError)] == [db], items
