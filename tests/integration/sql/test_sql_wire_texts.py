"""PostgreSQL: columns read as the server's text (integers, double precision, timestamps with
and without time zone, dates, booleans, UUIDs: ``CAST(c AS TEXT)``) give the classifier exactly
the texts, and the table exactly the fingerprint, that reading the driver's values gave.

The reference is the same scan with the text path turned off (every column read as the driver
gives it), over edge values: integral and non-integral doubles around the exponent switches,
NaN, infinities, negative zero, random bit patterns; timestamps with and without a fraction,
fractions whose trailing zeros the server drops, years below 1000."""

from __future__ import annotations

import random
import struct
import uuid
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from sql_helpers import by_name, connector

from connectors.sql.dialects import Postgres

pytestmark = pytest.mark.postgres
AS_OF = datetime(2026, 1, 1, tzinfo=UTC)

DOUBLES = ["0", "-0", "1", "-1.5", "0.1", "1e15", "1e15 + 0.5", "4111111111111111", "9007199254740993", "1e16",
           "1e21", "1e22", "1e-5", "0.0001", "5e-324", "1.7976931348623157e308", "'NaN'", "'Infinity'", "'-Infinity'",
           "123456789", "6591234567"]


def _random_doubles(n: int) -> list[str]:
    rnd = random.Random(24)
    out = []
    while len(out) < n:
        value = struct.unpack("<d", rnd.getrandbits(64).to_bytes(8, "little"))[0]
        if value == value and abs(value) != float("inf"):
            out.append(repr(value))
        out.append(repr(rnd.uniform(-1e6, 1e6)))
        out.append(repr(float(rnd.randint(-10**16, 10**16))))
    return out[:n]


@pytest.fixture(scope="module")
def typed(pg_url):
    engine = sa.create_engine(pg_url)
    rnd = random.Random(7)
    doubles = DOUBLES + _random_doubles(600)
    with engine.begin() as c:
        c.execute(sa.text("CREATE TABLE typed (id serial PRIMARY KEY, small smallint, big bigint, d double precision,"
                          " r real, ts timestamp, tstz timestamptz, day date, flag boolean, u uuid,"
                          # columns whose every value takes the column-wise path (no value by value)
                          " d2 double precision, ts2 timestamp, tstz2 timestamptz)"))
        for d in doubles:
            micro = rnd.choice([0, 0, 5, 500000, 120000, 123456, rnd.randint(1, 999999)])
            year = rnd.choice([2019, 1850, 44, 9999])
            c.execute(sa.text(
                f"INSERT INTO typed (small, big, d, r, ts, tstz, day, flag, u, d2, ts2, tstz2) VALUES (:s, :b,"
                f" CAST({d} AS double precision), :r, make_timestamp(:y, 3, 1, 7, 30, :sec),"
                " make_timestamptz(:y, 3, 1, 7, 30, :sec, 'Asia/Singapore'), make_date(:y, 12, 31), :f, CAST(:u AS uuid),"
                " :d2, make_timestamp(2019, 3, 1, 7, 30, :sec2), make_timestamptz(1999, 3, 1, 7, 30, :sec2, 'UTC'))"),
                {"s": rnd.randint(-32768, 32767), "b": rnd.randint(-2**63, 2**63 - 1), "r": rnd.uniform(-1e3, 1e3),
                 "y": year, "sec": 5 + micro / 1e6, "f": rnd.random() < 0.5, "u": str(uuid.UUID(int=rnd.getrandbits(128))),
                 "d2": rnd.choice([rnd.uniform(-1e6, 1e6), float(rnd.randint(-10**14, 10**14)), -0.0, 0.5]),
                 "sec2": 5 + rnd.choice([0, 123456, 100001]) / 1e6})
        c.execute(sa.text("INSERT INTO typed (id) VALUES (100000)"))  # a row of NULLs
        c.execute(sa.text("ANALYZE typed"))
    engine.dispose()
    return pg_url


def _scan(url: str, text_path: bool, monkeypatch: pytest.MonkeyPatch):
    with monkeypatch.context() as m:
        if not text_path:
            m.setattr(Postgres, "wire_texts", lambda self, *a: {})
        items = list(connector(url, AS_OF, sample_rows=5000).collect())
    return by_name(items)["public.typed"]


def test_texts_and_fingerprint_equal_the_driver_values(typed, monkeypatch):
    native = _scan(typed, False, monkeypatch)
    wire = _scan(typed, True, monkeypatch)
    assert native.dataset.status == wire.dataset.status == "assessed", (native.dataset.error, wire.dataset.error)
    assert native.sample is not None and wire.sample is not None
    assert set(wire.sample.fields) >= {"small", "big", "d", "ts", "tstz", "day", "flag", "u", "d2", "ts2", "tstz2"}
    for col, values in native.sample.fields.items():
        assert wire.sample.fields[col] == values, col
    assert wire.sample.fields == native.sample.fields
    assert wire.dataset.facts["fingerprint"] == native.dataset.facts["fingerprint"]
    assert wire.dataset.facts.get("unsampled") == native.dataset.facts.get("unsampled")


def test_the_text_path_is_taken(typed):
    seen: list[str] = []

    def hook(conn, cursor, statement, *_args):
        seen.append(statement)

    sa.event.listen(sa.engine.Engine, "before_cursor_execute", hook)
    try:
        list(connector(typed, AS_OF, sample_rows=5000).collect())
    finally:
        sa.event.remove(sa.engine.Engine, "before_cursor_execute", hook)
    sample = next(s for s in seen if "typed.tstz" in s and "LIMIT" in s).split(";")[-1]  # the sample statement
    for col in ("small", "big", "d", "ts", "tstz", "day", "flag", "u", "d2", "ts2", "tstz2"):
        assert f"CAST(public.typed.{col} AS TEXT)" in sample, (col, sample)
    assert "CAST(public.typed.r AS TEXT)" not in sample  # real: the driver's widened double, not the server's text


def test_a_value_python_cannot_hold_is_that_cells_problem(pg_url):
    """'infinity' and a BC timestamp have no Python datetime: those cells are named unread, the rest
    of the column and of the table is read (the driver's values failed the whole table before)."""
    engine = sa.create_engine(pg_url)
    with engine.begin() as c:
        c.execute(sa.text("CREATE TABLE odd_times (id int PRIMARY KEY, seen timestamp, email text)"))
        c.execute(sa.text("INSERT INTO odd_times VALUES (1, 'infinity', 'a@example.com'),"
                          " (2, '0044-03-15 BC', 'b@example.com'), (3, '2020-01-02 03:04:05.5', 'c@example.com')"))
    engine.dispose()
    obs = by_name(list(connector(pg_url, AS_OF, include=["public.odd_times"]).collect()))["public.odd_times"]
    assert obs.dataset.status == "assessed", obs.dataset.error
    assert obs.sample is not None
    assert obs.sample.fields["seen"] == ["2020-01-02T03:04:05.500000"]
    assert obs.sample.fields["email"] == ["a@example.com", "b@example.com", "c@example.com"]
    assert obs.dataset.facts["unsampled"]["seen"].startswith("2 sampled value(s) could not be read (ValueError)")


def test_a_value_python_cannot_hold_with_the_length_of_one_it_can(pg_url):
    """A BC timestamp with a 3-digit fraction and a 5-digit year with a 5-digit fraction have the
    server text's length of a value with a 6-digit fraction (26; 29 with '+00'): still that cell's
    problem (named unread), never a rewritten text passed on as read; the rest of the table read.
    A date past 9999 or BC goes the same way."""
    engine = sa.create_engine(pg_url)
    with engine.begin() as c:
        c.execute(sa.text("CREATE TABLE bc (id int PRIMARY KEY, ts timestamp, day date, email text)"))
        c.execute(sa.text("INSERT INTO bc VALUES (1, '0044-03-15 12:00:00.123 BC', '0044-03-15 BC', 'a@example.com'),"
                          " (2, '2020-01-01 00:00:00', '2020-01-01', 'b@example.com')"))
        c.execute(sa.text("CREATE TABLE bigyear2 (id int PRIMARY KEY, born timestamp, bornz timestamptz, day date,"
                          " email text)"))
        c.execute(sa.text("INSERT INTO bigyear2 VALUES (1, '12345-01-02 03:04:05.12345',"
                          " '12345-01-02 03:04:05.12345+00', '12345-01-02', 'a@example.com'),"
                          " (2, '2020-01-02 03:04:05.123456', '2020-01-02 03:04:05.123456+00', '2020-01-02',"
                          " 'b@example.com')"))
    engine.dispose()
    got = by_name(list(connector(pg_url, AS_OF, include=["public.bc", "public.bigyear2"]).collect()))
    bc, big = got["public.bc"], got["public.bigyear2"]
    for obs in (bc, big):
        assert obs.dataset.status == "assessed", obs.dataset.error
        assert obs.sample is not None
        assert obs.sample.fields["email"] == ["a@example.com", "b@example.com"]
    assert bc.sample.fields["ts"] == ["2020-01-01T00:00:00"]
    assert bc.sample.fields["day"] == ["2020-01-01"]
    assert big.sample.fields["born"] == ["2020-01-02T03:04:05.123456"]
    assert big.sample.fields["bornz"] == ["2020-01-02T03:04:05.123456+00:00"]
    assert big.sample.fields["day"] == ["2020-01-02"]
    for obs, cols in ((bc, ("ts", "day")), (big, ("born", "bornz", "day"))):
        unsampled = obs.dataset.facts.get("unsampled") or {}
        assert sorted(unsampled) == sorted(cols), unsampled
        for col in cols:
            assert unsampled[col].startswith("1 sampled value(s) could not be read (ValueError)"), unsampled[col]
