"""A MariaDB connection killed mid-read by another session (a DBA's ``KILL``, a server restart, a proxy
cutting it): PyMySQL raises 2013 "Lost connection to MySQL server during query". That code was read
as a statement timeout, so the not-assessed table told the person to "raise statement_timeout",
which changes nothing. The table is still the only one not assessed (exit 3), and the reason now
says the connection was lost, which is what happened.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from fault_helpers import scan, sql_source, write_config

pytestmark = pytest.mark.mariadb
TABLES = ("a_first", "b_victim", "c_after")


@pytest.fixture(scope="module")
def my(mysql_url: str) -> Iterator[dict]:
    eng = sa.create_engine(mysql_url, isolation_level="AUTOCOMMIT")
    with eng.connect() as c:
        for t in TABLES:
            c.execute(sa.text(f"CREATE TABLE {t} (id int PRIMARY KEY, email varchar(100), updated_at datetime)"))
            c.execute(sa.text(f"INSERT INTO {t} VALUES " + ", ".join(
                f"({g}, 'person{g}@example.com', NOW())" for g in range(1, 41))))
    try:
        yield {"url": mysql_url, "engine": eng, "db": sa.engine.make_url(mysql_url).database}
    finally:
        eng.dispose()


def test_a_connection_killed_mid_read_is_named_lost_not_a_statement_timeout(tmp_path, my):
    db = my["db"]
    cfg = write_config(tmp_path, [sql_source("shop", my["url"], statement_timeout=20)])
    killed: list[int] = []

    def killer() -> None:  # KILL the audit's connection once it waits on the locked table
        with my["engine"].connect() as c:
            end = time.monotonic() + 15
            while time.monotonic() < end and not killed:
                for (pid,) in c.execute(sa.text(
                        "SELECT ID FROM information_schema.PROCESSLIST WHERE DB = :d AND ID <> CONNECTION_ID() "
                        "AND INFO LIKE '%b_victim%' AND INFO NOT LIKE '%PROCESSLIST%'"), {"d": db}):
                    c.execute(sa.text(f"KILL {int(pid)}"))
                    killed.append(pid)
                time.sleep(0.1)

    holder = my["engine"].connect()
    holder.exec_driver_sql("LOCK TABLES b_victim WRITE")
    try:
        t = threading.Thread(target=killer, daemon=True)
        t.start()
        started = time.monotonic()
        s = scan(cfg)
        elapsed = time.monotonic() - started
        t.join(20)
    finally:
        holder.exec_driver_sql("UNLOCK TABLES")
        holder.close()
    assert killed, "the scan never read the locked table"
    assert s.code == 3, s.output
    victim = s.dataset("shop", f"{db}.b_victim")
    assert victim["status"] == "error", victim
    assert "statement timeout" not in victim["error"] and "statement_timeout" not in victim["error"], victim
    assert "connection" in victim["error"] and "lost" in victim["error"], victim
    for name in ("a_first", "c_after"):
        assert "email" in s.personal("shop", f"{db}.{name}"), s.dataset("shop", f"{db}.{name}")
    assert elapsed < 15, elapsed  # the kill, not the 20 s statement timeout
    # nothing is to be granted: the way out is the connection, not a permission the audit role already has
    [na] = s.na_on("shop", f"{db}.b_victim")
    assert not na["remediation"].lower().startswith("grant"), na["remediation"]
