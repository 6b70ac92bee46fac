"""PostgreSQL: a table or schema the audit role may not read is not assessed with the exact
statements that fix it: the table, the schema and the role named, identifiers quoted as
PostgreSQL quotes them. Before, the way out said 'GRANT USAGE ON SCHEMA "s" and GRANT SELECT ON
the table (or pg_read_all_data) to the audit role' (no table, no role), and a name holding '"'
was written unquoted into the row-security fix (not runnable). Real PostgreSQL.
"""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from sql_helpers import by_name, scan


def test_the_way_out_is_the_exact_grant(pg_url):
    engine = sa.create_engine(pg_url)
    role = f"aud_{uuid.uuid4().hex[:8]}"
    dbname = sa.engine.make_url(pg_url).database
    with engine.begin() as c:
        c.execute(sa.text('CREATE SCHEMA "Vendor Ops"'))
        c.execute(sa.text('CREATE TABLE "Vendor Ops"."Cu""st" (email text)'))
        c.execute(sa.text("CREATE TABLE public.open_t (email text)"))
        c.execute(sa.text("CREATE TABLE public.closed_t (email text)"))
        c.execute(sa.text('CREATE TABLE public."rl""s" (email text)'))
        c.execute(sa.text('ALTER TABLE public."rl""s" ENABLE ROW LEVEL SECURITY'))
        c.execute(sa.text(f"CREATE ROLE {role} LOGIN"))
        c.execute(sa.text(f"GRANT CONNECT ON DATABASE {dbname} TO {role}"))
        c.execute(sa.text(f"GRANT USAGE ON SCHEMA public TO {role}"))
        c.execute(sa.text(f'GRANT SELECT ON public.open_t, public."rl""s" TO {role}'))
    url = sa.engine.make_url(pg_url).set(username=role).render_as_string(hide_password=False)
    try:
        got = by_name(scan(url))
        assert got["public.open_t"].dataset.status == "assessed"
        closed = got["public.closed_t"].dataset
        assert closed.status == "error"
        assert f'GRANT SELECT ON "public"."closed_t" TO "{role}"' in (closed.error or ""), closed.error
        hidden = got['Vendor Ops.Cu"st'].dataset
        assert f'GRANT USAGE ON SCHEMA "Vendor Ops" TO "{role}"' in (hidden.error or ""), hidden.error
        assert f'GRANT SELECT ON "Vendor Ops"."Cu""st" TO "{role}"' in (hidden.error or ""), hidden.error
        rls = got['public.rl"s'].dataset
        assert f'CREATE POLICY auditor_read ON "public"."rl""s" FOR SELECT TO "{role}"' in (rls.error or ""), rls.error
    finally:
        with engine.begin() as c:
            c.execute(sa.text(f"DROP OWNED BY {role}"))
            c.execute(sa.text(f"DROP ROLE {role}"))
        engine.dispose()


def test_a_restrictive_policy_is_not_lifted_by_a_permissive_one(pg_url):
    """A restrictive policy filters whatever permissive policies allow: the way out 'CREATE POLICY
    ... USING (true)' (permissive) would not show the audit role one more row. Only BYPASSRLS is."""
    engine = sa.create_engine(pg_url)
    role = f"aud_{uuid.uuid4().hex[:8]}"
    dbname = sa.engine.make_url(pg_url).database
    with engine.begin() as c:
        c.execute(sa.text("CREATE TABLE tenants (id int, tenant int, email text)"))
        c.execute(sa.text("INSERT INTO tenants SELECT i, i % 2, 'u' || i || '@example.com' FROM generate_series(1, 20) i"))
        c.execute(sa.text("ALTER TABLE tenants ENABLE ROW LEVEL SECURITY"))
        c.execute(sa.text(f"CREATE ROLE {role} LOGIN"))
        c.execute(sa.text(f"GRANT CONNECT ON DATABASE {dbname} TO {role}"))
        c.execute(sa.text(f"GRANT USAGE ON SCHEMA public TO {role}"))
        c.execute(sa.text(f"GRANT SELECT ON tenants TO {role}"))
        c.execute(sa.text(f"CREATE POLICY see_all ON tenants FOR SELECT TO {role} USING (true)"))
        c.execute(sa.text("CREATE POLICY one_tenant ON tenants AS RESTRICTIVE FOR SELECT USING (tenant = 1)"))
    url = sa.engine.make_url(pg_url).set(username=role).render_as_string(hide_password=False)
    try:
        d = by_name(scan(url))["public.tenants"].dataset
        assert d.status == "error"
        assert f'ALTER ROLE "{role}" BYPASSRLS' in (d.error or ""), d.error
        assert "CREATE POLICY" not in (d.error or "") and "restrictive" in (d.error or ""), d.error
    finally:
        with engine.begin() as c:
            c.execute(sa.text(f"DROP OWNED BY {role}"))
            c.execute(sa.text(f"DROP ROLE {role}"))
        engine.dispose()
