"""The upgrade of a PostgreSQL or MariaDB state store waits for another process's upgrade under the
database's own lock (f52420d). On MariaDB the wait was bounded (GET_LOCK, 10 minutes, then a
StoreError naming it); on PostgreSQL pg_advisory_xact_lock waited for ever: an upgrade that hangs (its
ALTER TABLE queued behind a long reader of the store) held every later run, each one a cron process
and a connection, with nothing said. Both now wait the same bounded time and say why they stopped."""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa

import auditor.store
from auditor.errors import StoreError
from auditor.store import Store


def _open_in_thread(url: str) -> tuple[threading.Thread, list[BaseException | None]]:
    out: list[BaseException | None] = []

    def run() -> None:
        try:
            Store.open(url).close()
            out.append(None)
        except BaseException as exc:  # noqa: BLE001 - handed to the test
            out.append(exc)

    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t, out


@pytest.mark.parametrize("backend", [pytest.param("pg", marks=pytest.mark.postgres),
                                     pytest.param("my", marks=pytest.mark.mariadb)])
def test_an_upgrade_waiting_on_another_stops_after_the_bound_and_says_so(backend, request, monkeypatch):
    url = request.getfixturevalue("pg_url" if backend == "pg" else "mysql_url")
    monkeypatch.setattr(auditor.store, "_UPGRADE_WAIT_SECONDS", 1, raising=False)
    holder = sa.create_engine(url).connect()
    try:
        if backend == "pg":  # another process upgrading: it holds the lock
            holder.exec_driver_sql(f"SELECT pg_advisory_lock({auditor.store._UPGRADE_LOCK_ID})")
        else:
            name = f"{auditor.store._UPGRADE_LOCK_NAME}.{sa.engine.make_url(url).database}"[:64]
            assert holder.execute(sa.text("SELECT GET_LOCK(:n, 0)"), {"n": name}).scalar() == 1
        t, out = _open_in_thread(url)
        t.join(30)
        assert not t.is_alive(), "still waiting on the other upgrade"
        [exc] = out
        assert isinstance(exc, StoreError) and "being upgraded by another process" in str(exc), exc
    finally:
        holder.close()  # the lock goes with the session: a thread still waiting goes on and finishes
    t.join(30)
