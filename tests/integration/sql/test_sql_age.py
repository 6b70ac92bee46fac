"""Which columns date a table, and how the signals are weighed (no server needed)."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, date, datetime

import sqlalchemy as sa

from connectors.sql import age, sampling

AS_OF = datetime(2020, 9, 30, tzinfo=UTC)


def _cols(**types):
    return [{"name": n, "type": t} for n, t in types.items()]


def test_candidates_by_type_and_name():
    cols = _cols(updated_at=sa.DateTime(), created_at=sa.DateTime(), birth_date=sa.Date(), expires_at=sa.DateTime(),
                 last_login=sa.DateTime(), shipped_at=sa.DateTime(), updated_by=sa.String(), note_at=sa.String(),
                 order_date=sa.Date())
    got = {c.column: c.tier for c in age.candidates(cols)}
    assert got == {"updated_at": 0, "last_login": 0, "shipped_at": 1, "created_at": 2}
    loose = {c.column for c in age.candidates(_cols(changed_at=sa.String(), note=sa.String()), loose_types=True)}
    assert loose == {"changed_at"}


def test_decide_prefers_update_columns_and_reads_naive_as_utc():
    a = age.decide({"updated_at": datetime(2019, 3, 26, 10), "created_at": datetime(2019, 9, 1)},
                   {"updated_at": 0, "created_at": 2}, [("information_schema.UPDATE_TIME", AS_OF, None)], AS_OF, "unknown")
    assert a.last_modified == datetime(2019, 3, 26, 10, tzinfo=UTC) and a.basis == "max(updated_at)"
    assert set(a.signals) == {"max(updated_at)", "max(created_at)", "information_schema.UPDATE_TIME"}


def test_decide_falls_back_in_order_and_ignores_the_future():
    future = {"updated_at": datetime(2031, 1, 1)}
    a = age.decide(future, {"updated_at": 0}, [("sqlite file mtime", datetime(2020, 1, 1, tzinfo=UTC), None)],
                   AS_OF, "unknown")
    assert a.basis == "sqlite file mtime" and "ignored" in a.signals["max(updated_at)"]
    b = age.decide({"updated_at": None, "created_at": "2018-02-03 04:05:06"}, {"updated_at": 0, "created_at": 2},
                   [], AS_OF, "unknown")
    assert b.last_modified == datetime(2018, 2, 3, 4, 5, 6, tzinfo=UTC) and "creation time" in b.basis
    c = age.decide({}, {}, [("information_schema.UPDATE_TIME", None, "NULL")], AS_OF, "unknown (no write-time column)")
    assert c.last_modified is None and c.basis.startswith("unknown") and c.signals == {"information_schema.UPDATE_TIME": "NULL"}


def test_to_utc_forms():
    assert age.to_utc(date(2019, 3, 1)) == datetime(2019, 3, 1, tzinfo=UTC)
    assert age.to_utc(1_551_398_400) == datetime(2019, 3, 1, tzinfo=UTC)
    assert age.to_utc("0000-00-00 00:00:00") is None and age.to_utc("garbage") is None


def test_sample_columns_and_fingerprint():
    cols = _cols(email=sa.String(), avatar=sa.LargeBinary(), flag=sa.Boolean(), n=sa.SmallInteger(), id=sa.BigInteger(),
                 price=sa.Numeric(10, 2), pan=sa.Numeric(16, 0), dob=sa.Date(), doc=sa.JSON())
    # every type but binary is sampled (booleans, small integers and money too: issue 15)
    assert sampling.sample_columns(cols) == ["email", "flag", "n", "id", "price", "pan", "dob", "doc"]
    assert sampling.column_plan(cols)[1] == {"avatar": "binary column (BLOB/bytea): its contents are not sampled"}
    f1, d1 = sampling.to_fields(["a", "b"], [("x", 1), ("y", None)])
    f2, d2 = sampling.to_fields(["a", "b"], [("y", None), ("x", 1)])
    assert f1 == {"a": ["x", "y"], "b": ["1"]} and d1 == d2 and f2 == {"a": ["y", "x"], "b": ["1"]}  # order-free digest
    assert sampling.fingerprint(2, "exact", d1) != sampling.fingerprint(3, "exact", d1)

def test_sample_seed_is_the_same_in_every_process():
    """The sample of a table is the same run after run: its seed comes from the table's name
    alone (not Python's per-process string hash)."""
    names = ["s.t", "public.customers"]
    assert [sampling.seed_for(n) for n in names] == [1599004705, 1605725707]
    code = "import sys; from connectors.sql.sampling import seed_for; print(*[seed_for(n) for n in sys.argv[1:]])"
    for seed in ("1", "2"):
        out = subprocess.run([sys.executable, "-c", code, *names], capture_output=True, text=True, check=True,
                             env={**os.environ, "PYTHONHASHSEED": seed}).stdout.split()
        assert out == ["1599004705", "1605725707"], seed
