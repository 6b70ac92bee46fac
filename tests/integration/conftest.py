"""Fixtures shared by the integration tests of the state store."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from auditor.store import Store


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request, tmp_path):
    """An empty state store, SQLite in a file and PostgreSQL (the module's database, emptied after)."""
    url = f"sqlite:///{tmp_path}/state.db" if request.param == "sqlite" else request.getfixturevalue("pg_url")
    s = Store.open(url)
    yield s
    with s.engine.begin() as c:  # the PostgreSQL database is shared by the module
        for t in ("findings", "datasets", "sources", "waivers", "run_lock", "runs"):
            c.execute(sa.text(f"DELETE FROM {t}"))
    s.close()
