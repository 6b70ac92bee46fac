"""Hostile review of the classification memo (``classify_memo``): cases where a later run could
report a result other than a fresh classification of its sample would give, or the store could
keep what it must not. Real SQLite vendor databases and a real SQLite state store; times are
``--as-of`` instants of their own, and the classifier's clock is set (``ids._today``)."""

from __future__ import annotations

import datetime as dt
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from auditor.classify import ids
from auditor.classify import text as classify_text
from auditor.config import parse_config
from auditor.engine import RunOptions, run_audit

T0 = datetime(2025, 3, 1, 2, 0, tzinfo=UTC)


def _cn_id(first17: str) -> str:
    return first17 + ids.cn_check_char(first17)


def _config(tmp_path, vendor_db, extra: str = ""):
    text = f"""
state: sqlite:///{tmp_path / 'state.db'}
policies: [builtin:baseline]
vendors:
  - {{id: acme, name: Acme hosting}}
sources:
  - {{id: acme-db, vendor: acme, kind: sql, url: 'sqlite:///{vendor_db}'}}
{extra}"""
    path = tmp_path / "auditor.yaml"
    path.write_text(text)
    return parse_config(text, str(path))


def _run(cfg, as_of: datetime):
    run = run_audit(cfg, RunOptions(as_of=as_of, trigger="schedule:nightly"))
    return {d.name: d for d in run.datasets}


def _found(ds) -> dict[str, int]:
    return {p.type: p.count for p in ds.personal_data}


def _born_tomorrow(tmp_path, monkeypatch, tables: tuple[str, ...]) -> tuple[list[dt.date], Path]:
    """The classifier's clock at 2030-06-01 (a list: the test moves it), its text verdicts
    forgotten, and a vendor database whose tables hold notes with the resident id of a person born
    2030-06-02, three rows each."""
    day = [dt.date(2030, 6, 1)]
    monkeypatch.setattr(ids, "_today", lambda second: day[0])
    classify_text._VERDICTS.clear()
    note = (f"Customer called about the delivery, resident ID {_cn_id('11010520300602123')} given on "
            "the phone, will call back tomorrow afternoon.")
    vendor = tmp_path / "vendor.db"
    with sqlite3.connect(vendor) as c:
        for t in tables:
            c.execute(f"CREATE TABLE {t} (id integer primary key, note text)")
            c.executemany(f"INSERT INTO {t} VALUES (?, ?)", [(i, note) for i in range(3)])
    return day, vendor


def test_a_date_read_hidden_by_the_text_verdict_cache_still_limits_the_result_to_its_day(tmp_path, monkeypatch):
    """Two tables hold the same notes: a Chinese resident id of a person born 2030-06-02. On
    2030-06-01 it is no id yet (born tomorrow); on 2030-06-02 it is. The second table's id is
    answered from the first's cached verdict: its classification must still count as date-bound."""
    day, vendor = _born_tomorrow(tmp_path, monkeypatch, ("tickets_a", "tickets_b"))
    cfg = _config(tmp_path, vendor)
    first = _run(cfg, T0)
    assert all("national_id" not in _found(ds) for ds in first.values())
    day[0] = dt.date(2030, 6, 2)
    classify_text._VERDICTS.clear()  # the next night's run is a new process
    second = _run(cfg, T0 + timedelta(days=1))
    fresh = {name: _found(ds).get("national_id") for name, ds in second.items()}
    assert fresh == {"main.tickets_a": 3, "main.tickets_b": 3}, fresh


def test_a_verdict_that_read_the_date_is_not_used_on_another_day_by_a_long_running_process(tmp_path, monkeypatch):
    """The same without a new process between the runs (a scheduler, a worker): the text verdict
    cache itself held 2030-06-01's verdict (no id yet) on 2030-06-02, with or without the memo."""
    day, vendor = _born_tomorrow(tmp_path, monkeypatch, ("tickets",))
    cfg = _config(tmp_path, vendor)
    assert "national_id" not in _found(_run(cfg, T0)["main.tickets"])
    day[0] = dt.date(2030, 6, 2)
    assert _found(_run(cfg, T0 + timedelta(days=1))["main.tickets"]).get("national_id") == 3

def test_a_classification_that_runs_past_midnight_is_not_kept_for_the_new_day(tmp_path, monkeypatch):
    """A birth date of 2030-06-02 is none on 2030-06-01 (born tomorrow) and one on 2030-06-02.
    The column is classified on 2030-06-01 and the clock passes midnight before the engine
    stamps the result: the result (no birth date) must not hold for 2030-06-02."""
    import auditor.engine as engine_module

    day = [dt.date(2030, 6, 1)]
    monkeypatch.setattr(ids, "_today", lambda second: day[0])
    real = engine_module.classify

    def across_midnight(sample, options=None):
        found = real(sample, options)
        if day[0] == dt.date(2030, 6, 1):
            day[0] = dt.date(2030, 6, 2)  # the classification ended past midnight
        return found

    monkeypatch.setattr(engine_module, "classify", across_midnight)
    vendor = tmp_path / "vendor.db"
    with sqlite3.connect(vendor) as c:
        c.execute("CREATE TABLE people (id integer primary key, date_of_birth text)")
        c.executemany("INSERT INTO people VALUES (?, ?)", [(i, "2030-06-02") for i in range(30)])
    cfg = _config(tmp_path, vendor)
    first = _run(cfg, T0)
    assert "date_of_birth" not in _found(first["main.people"])
    second = _run(cfg, T0 + timedelta(hours=1))  # 2030-06-02 now
    assert _found(second["main.people"]).get("date_of_birth") == 30
