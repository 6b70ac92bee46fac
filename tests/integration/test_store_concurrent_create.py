"""Two processes opening a new PostgreSQL or MariaDB state store at once (the nightly cron and a
release manager's pre-event audit, the first run after the store was pointed at a new database) both
find it empty and both migrate: the second's CREATE TABLE failed on the first's ("duplicate key value
violates unique constraint pg_type_typname_nsp_index", "Table 'alembic_version' already exists") and
its run ended with exit 2 before scanning anything. The upgrade now holds a lock of the database's
own (an advisory lock, GET_LOCK) while it reads the version and migrates: the second waits, then
finds the store at head."""

from __future__ import annotations

import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

from auditor.store import SCHEMA_HEAD, Store
from tests.conftest import MYSQL_ADMIN_URL, PG_ADMIN_URL, require_service

OPENERS = 3
ATTEMPTS = 2


# each opener imports everything, says it is ready, then waits for the word to open the store:
# the processes reach the upgrade together (processes, as in production: alembic's context is global)
OPENER = """
import sys, time
from pathlib import Path
from auditor.store import Store
folder = Path(sys.argv[2])
(folder / f"ready-{sys.argv[3]}").touch()
while not (folder / "go").exists():
    time.sleep(0.001)
Store.open(sys.argv[1]).close()
"""


def _open_at_once(url: str, folder: Path) -> list[str]:
    procs = [subprocess.Popen([sys.executable, "-c", OPENER, url, str(folder), str(i)],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
             for i in range(OPENERS)]
    for _ in range(6000):
        if len(list(folder.glob("ready-*"))) == OPENERS or any(p.poll() is not None for p in procs):
            break
        time.sleep(0.01)
    (folder / "go").touch()
    errors = []
    for p in procs:
        out, _ = p.communicate(timeout=120)
        if p.returncode:
            errors.append(out.strip().splitlines()[-1] if out.strip() else f"exit {p.returncode}")
    return errors


@pytest.mark.parametrize("admin_url, service, port", [
    pytest.param(PG_ADMIN_URL, "PostgreSQL", 5432, marks=pytest.mark.postgres, id="postgresql"),
    pytest.param(MYSQL_ADMIN_URL, "MariaDB", 3306, marks=pytest.mark.mariadb, id="mariadb"),
])
def test_several_first_opens_at_once_all_succeed(admin_url, service, port, tmp_path):
    require_service(service, "127.0.0.1", port)
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        for attempt in range(ATTEMPTS):
            dbname = f"auditor_t_race_{uuid.uuid4().hex[:8]}"
            with admin.connect() as c:
                c.execute(sa.text(f"CREATE DATABASE {dbname}"))
            url = sa.engine.make_url(admin_url).set(database=dbname).render_as_string(hide_password=False)
            try:
                folder = tmp_path / str(attempt)
                folder.mkdir()
                errors = _open_at_once(url, folder)
                assert not errors, errors
                engine = sa.create_engine(url)
                with engine.connect() as c:
                    assert list(c.execute(sa.text("SELECT version_num FROM alembic_version")).scalars()) == [SCHEMA_HEAD]
                engine.dispose()
            finally:
                with admin.connect() as c:
                    if admin.dialect.name == "postgresql":
                        c.execute(sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                          "WHERE datname = :d AND pid <> pg_backend_pid()"), {"d": dbname})
                    c.execute(sa.text(f"DROP DATABASE IF EXISTS {dbname}"))
    finally:
        admin.dispose()
