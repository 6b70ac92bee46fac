"""A sample read again unchanged is not classified again: its kept classification is used.

Each run keeps every dataset's classification in the state store (``classify_memo``) under the
keyed digest of what it was made from (the sample's names and values, the classifier's options and
code: ``auditor.classify.memo``). The next run whose sample of the dataset has the same digest uses
it again instead of classifying the same values again; anything else is classified. These tests
hold the result equal to a fresh classification, every input that changes it to a new one, and the
store to masked values only.

Real PostgreSQL on 127.0.0.1:5432 (a fresh database of this module). Times are ``--as-of`` instants
of their own, never today's; the one test about the date sets the classifier's clock.
"""

from __future__ import annotations

import datetime as dt
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

import auditor.engine as engine_module
from auditor.classify import ids
from auditor.config import parse_config
from auditor.engine import RunOptions, run_audit

pytestmark = pytest.mark.postgres
T0 = datetime(2025, 3, 1, 2, 0, tzinfo=UTC)
EMAILS = [f"wei.ling{i}@example.com" for i in range(40)]
PHONES = [f"+65 9123 {1000 + i}" for i in range(40)]


@pytest.fixture
def db(pg_url: str):
    engine = sa.create_engine(pg_url)
    with engine.begin() as c:
        c.execute(sa.text("DROP TABLE IF EXISTS customers, people"))
        c.execute(sa.text("CREATE TABLE customers (id int primary key, email text, phone text, note text)"))
        c.execute(sa.text("INSERT INTO customers VALUES (:i, :e, :p, 'ok')"),
                  [{"i": i, "e": e, "p": p} for i, (e, p) in enumerate(zip(EMAILS, PHONES))])
        c.execute(sa.text("CREATE TABLE people (id int primary key, date_of_birth text)"))
        # born "tomorrow" (2030-06-02 as the classifier's today is 2030-06-01): no birth date yet
        c.execute(sa.text("INSERT INTO people VALUES (:i, :d)"), [{"i": i, "d": "2030-06-02"} for i in range(30)])
    engine.dispose()
    return pg_url


def _config(tmp_path, url: str, detectors: str = ""):
    text = f"""
state: sqlite:///{tmp_path / 'state.db'}
policies: [builtin:baseline]
vendors:
  - {{id: acme, name: Acme hosting}}
sources:
  - id: acme-db
    vendor: acme
    kind: sql
    url: {url}
    include: ["public.customers", "public.people"]
{detectors}"""
    path = tmp_path / "auditor.yaml"
    path.write_text(text)
    return parse_config(text, str(path))


@pytest.fixture
def calls(monkeypatch):
    """The names of the datasets the classifier was called on, run after run."""
    seen: list[str] = []
    real = engine_module.classify

    def counting(sample, options=None):
        seen.append(sorted(sample.fields)[0] if sample.fields else "")
        return real(sample, options)

    monkeypatch.setattr(engine_module, "classify", counting)
    return seen


def _sql(url: str, statement: str) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as c:
        c.execute(sa.text(statement))
    engine.dispose()


def _run(cfg, as_of: datetime):
    run = run_audit(cfg, RunOptions(as_of=as_of, trigger="schedule:nightly"))
    return {d.name: d for d in run.datasets}


def _found(ds) -> dict[str, int]:
    return {p.type: p.count for p in ds.personal_data}


def test_an_unchanged_sample_is_not_classified_again_and_its_result_is_the_same(db, tmp_path, calls):
    cfg = _config(tmp_path, db)
    first = _run(cfg, T0)
    assert len(calls) == 2 and _found(first["public.customers"]) == {"email": 40, "phone": 40}
    second = _run(cfg, T0 + timedelta(days=1))
    assert len(calls) == 2, "the unchanged samples were classified again"
    for name in first:
        assert second[name].personal_data == first[name].personal_data
        assert second[name].classified == first[name].classified


def test_a_changed_value_is_classified_again(db, tmp_path, calls):
    cfg = _config(tmp_path, db)
    _run(cfg, T0)
    _sql(db, "UPDATE customers SET email = 'no address' WHERE id < 30")
    second = _run(cfg, T0 + timedelta(days=1))
    assert len(calls) == 3, calls  # customers again, people not
    assert _found(second["public.customers"])["email"] == 10  # the new values counted, not the kept 40


def test_new_options_and_new_classifier_code_classify_again(db, tmp_path, calls, monkeypatch):
    _run(_config(tmp_path, db), T0)
    detectors = """detectors:
  - name: acme_ticket
    regex: 'ok'
"""
    _run(_config(tmp_path, db, detectors), T0 + timedelta(days=1))
    assert len(calls) == 4, "a new detector did not classify the samples again"
    from auditor.classify import memo

    monkeypatch.setattr(memo, "code_digest", lambda: b"another version of the classifier")
    _run(_config(tmp_path, db, detectors), T0 + timedelta(days=2))
    assert len(calls) == 6, "another classifier's results were used again"


def test_a_result_that_read_todays_date_holds_for_that_day_only(db, tmp_path, calls, monkeypatch):
    """A value one day in the future is no birth date today and is one tomorrow: the result of a
    column whose validation read the date is kept for that day; another column's for any day."""
    day = [dt.date(2030, 6, 1)]
    monkeypatch.setattr(ids, "_today", lambda second: day[0])
    cfg = _config(tmp_path, db)
    first = _run(cfg, T0)
    assert "date_of_birth" not in _found(first["public.people"])
    _run(cfg, T0 + timedelta(hours=1))
    assert len(calls) == 2, "a result was not used again on its own day"
    day[0] = dt.date(2030, 6, 2)
    third = _run(cfg, T0 + timedelta(days=1))
    assert len(calls) == 3, calls  # people again (its result read the date), customers not
    assert _found(third["public.people"]).get("date_of_birth") == 30


def test_the_store_keeps_masked_results_only_and_a_damaged_one_is_classified_again(db, tmp_path, calls):
    cfg = _config(tmp_path, db)
    first = _run(cfg, T0)
    state = sa.create_engine(f"sqlite:///{tmp_path / 'state.db'}")
    with state.begin() as c:
        rows = c.execute(sa.text("SELECT digest, result FROM classify_memo")).all()
        assert len(rows) == 2
        kept = " ".join(f"{d} {r}" for d, r in rows)
        assert all(d.startswith("m1:") for d, _ in rows)
        for raw in EMAILS + PHONES + [p.replace(" ", "") for p in PHONES]:
            assert raw not in kept
        assert "w***" in kept or "***" in kept  # masked examples are kept
        c.execute(sa.text("UPDATE classify_memo SET result = 'not json'"))
    state.dispose()
    second = _run(cfg, T0 + timedelta(days=1))
    assert len(calls) == 4, "a damaged kept result was used"
    assert second["public.customers"].personal_data == first["public.customers"].personal_data


def test_a_dataset_gone_from_a_source_read_whole_has_its_kept_classification_dropped(db, tmp_path, calls):
    cfg = _config(tmp_path, db)
    _run(cfg, T0)
    _sql(db, "ALTER TABLE people RENAME TO people_gone")
    try:
        _run(cfg, T0 + timedelta(days=1))
        state = sa.create_engine(f"sqlite:///{tmp_path / 'state.db'}")
        with state.connect() as c:
            assert c.execute(sa.text("SELECT count(*) FROM classify_memo")).scalar() == 1
        state.dispose()
    finally:
        _sql(db, "ALTER TABLE people_gone RENAME TO people")


def test_a_sample_that_cannot_be_digested_is_classified_as_ever(db, tmp_path, calls, monkeypatch):
    from auditor.classify import memo

    def broken(*_a, **_k):
        raise MemoryError("no room for a digest")

    monkeypatch.setattr(memo, "sample_digest", broken)
    first = _run(_config(tmp_path, db), T0)
    assert _found(first["public.customers"]) == {"email": 40, "phone": 40}
    assert not any("classifier failed" in n for d in first.values() for n in d.notes)
    _run(_config(tmp_path, db), T0 + timedelta(days=1))
    assert len(calls) == 4  # nothing kept: classified again
