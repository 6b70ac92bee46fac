"""PostgreSQL: the audit's sessions start no parallel workers unless the source allows them
(``parallel_workers``, default 0). A big table's scan is then one process on the vendor's server
per connection, as ``max_connections`` promises, not a leader and its workers; a number sets
``max_parallel_workers_per_gather`` to it, None leaves the server's (or the role's) setting.

The database is set to plan parallel scans of any table (no setup cost, no size minimum), so a
session that may use workers shows them in its plan: the plan is read in the very session the
connector reads over (its engine, as the first connection and the read-ahead one are made)."""

from __future__ import annotations

from datetime import UTC, datetime

import pydantic
import pytest
import sqlalchemy as sa

from auditor.models import Vendor
from connectors.base import CollectContext, SourceSpec
from connectors.sql import Connector

pytestmark = pytest.mark.postgres
AS_OF = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def eager(pg_url: str) -> str:
    """A database whose planner goes parallel for any scan it can."""
    admin = sa.create_engine(pg_url, isolation_level="AUTOCOMMIT")
    name = sa.engine.make_url(pg_url).database
    with admin.connect() as c:
        for setting in ("parallel_setup_cost = 0", "parallel_tuple_cost = 0", "min_parallel_table_scan_size = 0",
                        "max_parallel_workers_per_gather = 2"):
            c.execute(sa.text(f"ALTER DATABASE {name} SET {setting}"))
        c.execute(sa.text("CREATE TABLE orders (id int, buyer_email text, updated_at timestamptz)"))
        c.execute(sa.text("INSERT INTO orders SELECT g, 'b' || g || '@example.com', timestamptz '2024-01-01 00:00+00'"
                          " + g * interval '1 minute' FROM generate_series(1, 20000) g"))
        c.execute(sa.text("ANALYZE orders"))
    admin.dispose()
    return pg_url


def session(url: str, **options) -> tuple[str, str]:
    """(max_parallel_workers_per_gather, the plan of a big table's aggregate) in the connector's session."""
    spec = SourceSpec(id="s", kind="sql", vendor=Vendor(id="v"), options=Connector.Options(url=url, **options))
    engine = Connector(spec, CollectContext(as_of=AS_OF))._engine()
    try:
        with engine.connect() as conn:
            workers = conn.exec_driver_sql("SHOW max_parallel_workers_per_gather").scalar()
            plan = "\n".join(r[0] for r in conn.exec_driver_sql("EXPLAIN SELECT max(updated_at) FROM orders"))
            return str(workers), plan
    finally:
        engine.dispose()


def test_a_scan_starts_no_parallel_workers_by_default(eager):
    workers, plan = session(eager)
    assert workers == "0" and "Gather" not in plan and "Parallel" not in plan, plan


def test_parallel_workers_sets_how_many_a_scan_may_start(eager):
    workers, plan = session(eager, parallel_workers=3)
    assert workers == "3" and "Parallel Seq Scan" in plan, plan


def test_none_leaves_the_servers_setting(eager):
    workers, plan = session(eager, parallel_workers=None)
    assert workers == "2" and "Parallel Seq Scan" in plan, plan  # the database's own setting, as it was


def test_a_negative_number_is_a_config_error(eager):
    with pytest.raises(pydantic.ValidationError, match="parallel_workers"):
        Connector.Options(url=eager, parallel_workers=-1)


def test_a_server_that_refuses_the_setting_is_read_with_its_own(eager, monkeypatch):
    # a server without max_parallel_workers_per_gather (before 9.6, a fork) refuses the SET: the
    # session is still made, with the server's own parallelism (here: a value the server refuses)
    spec = SourceSpec(id="s", kind="sql", vendor=Vendor(id="v"), options=Connector.Options(url=eager))
    c = Connector(spec, CollectContext(as_of=AS_OF))
    c.dialect.parallel_workers = 99_999  # out of the server's range: refused like an unknown parameter
    engine = c._engine()
    try:
        with engine.connect() as conn:
            assert conn.exec_driver_sql("SHOW max_parallel_workers_per_gather").scalar() == "2"
            assert conn.exec_driver_sql("SHOW default_transaction_read_only").scalar() == "on"  # the rest stands
    finally:
        engine.dispose()
