"""Sources are audited in threads at once: a SQLite (or MariaDB) source reflecting its tables must not
import SQLAlchemy's PostgreSQL dialect while a PostgreSQL source loads its driver in another thread.
That import, first made inside :func:`connectors.sql.typememo.types_once`, raced the psycopg dialect's
own: one source or the other failed with "partially initialized module", a ``_DeadlockError`` or
"Can't load plugin: sqlalchemy.dialects:postgresql.psycopg" (found by running ``auditor scan`` on a
config with a SQLite and a PostgreSQL source: about one run in two was partial)."""

from __future__ import annotations

import subprocess
import sys

import pytest

_RACE = r"""
import threading
import sqlalchemy as sa
from connectors.sql.typememo import types_once

errors = []
lite = sa.create_engine("sqlite://")
gate = threading.Barrier(2)

def reflect_sqlite():
    gate.wait()
    try:
        with types_once(lite.dialect):
            pass
    except BaseException as exc:
        errors.append(repr(exc))

def load_psycopg():
    gate.wait()
    try:
        sa.engine.make_url("postgresql+psycopg://auditor@db.invalid/shop").get_dialect()
    except BaseException as exc:
        errors.append(repr(exc))

threads = [threading.Thread(target=reflect_sqlite), threading.Thread(target=load_psycopg)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(errors[0] if errors else "ok")
"""


def test_types_once_and_a_postgres_driver_load_in_two_threads_at_once() -> None:
    pytest.importorskip("psycopg")
    for _ in range(3):  # a fresh interpreter each time: the race is on the first import only
        out = subprocess.run([sys.executable, "-c", _RACE], capture_output=True, text=True, timeout=120)
        assert out.returncode == 0, out.stderr
        assert out.stdout.strip() == "ok"
