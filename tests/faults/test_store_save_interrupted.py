"""A run stopped while it is being saved (SIGTERM as SystemExit, a bug in serialising it) is rolled
back whole and marked failed at once: left 'running', it was marked only by a later start on the
same host whose pid check finds it dead; a store shared by containers (a new hostname each run)
kept it 'running' for good, since the lock (released on the way out) no longer named it."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from auditor.config import parse_config
from auditor.engine import RunOptions, run_audit
from auditor.store import Store


@pytest.mark.parametrize("stop", [SystemExit(143), TypeError("not serialisable")], ids=["SIGTERM", "bug"])
def test_a_run_stopped_inside_save_run_is_rolled_back_and_marked_failed(tmp_path, fake_connector, monkeypatch, stop):
    config = parse_config(f"state: sqlite:///{tmp_path}/state.db\nvendors: [{{id: v}}]\n"
                          "sources: [{id: s, vendor: v, kind: fake, datasets: [{name: t}]}]\n")
    real = sa.engine.Connection.execute

    def execute(self, stmt, *a, **k):
        if getattr(stmt, "is_insert", False) and getattr(stmt, "table", None) is not None \
                and stmt.table.name == "datasets":
            raise stop
        return real(self, stmt, *a, **k)

    monkeypatch.setattr(sa.engine.Connection, "execute", execute)
    with pytest.raises(type(stop)):
        run_audit(config, RunOptions())
    monkeypatch.undo()
    store = Store.open(config.state)
    with store.engine.connect() as c:
        assert [r[0] for r in c.exec_driver_sql("SELECT status FROM runs")] == ["failed"]
        for table in ("sources", "datasets", "findings", "run_lock"):
            assert c.exec_driver_sql(f"SELECT count(*) FROM {table}").scalar() == 0, table
    store.close()
