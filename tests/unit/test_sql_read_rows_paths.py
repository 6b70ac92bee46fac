"""The column-wise conversion of a sample (read_rows' fast paths) gives exactly what reading
each cell on its own gives: the same texts per field, the same cut and unread counts, and the
same digest (so a table's fingerprint does not change with how its values were converted)."""

from __future__ import annotations

import hashlib
import random
import uuid
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import pytest

from connectors.sql.sampling import MAX_CHARS, SampleRead, _cell, read_rows

FLOATS = [0.0, -0.0, 1.0, -1.5, 1e15, 9007199254740993.0, 1e16, -1e16, 1e21, 1e22, 9.999e21, 1e300, 1e-5,
          float("nan"), float("inf"), -float("inf"), 4111111111111111.0, 0.1, 123456789.0, 5e-324, 10.0, 100.5]


def _cellwise(cols: list[str], rows: list[tuple], structured: set[str], cut: dict[str, int]) -> SampleRead:
    """Every cell through :func:`_cell`, row after row: the reference the fast paths must match."""
    fields: dict[str, list[str]] = {c: [] for c in cols if c not in structured}
    failed: dict[str, tuple[int, str]] = {}
    was_cut: dict[str, int] = {}
    json_cut: dict[str, int] = {}
    digests = []
    for row in rows:
        texts = []
        for col, raw in zip(cols, row):
            try:
                cell = _cell(col, raw, col in structured, cut.get(col), fields, was_cut, json_cut)
                texts.append("\x00" if cell is None else cell)
            except Exception as exc:  # noqa: BLE001
                count, _ = failed.get(col, (0, ""))
                failed[col] = (count + 1, type(exc).__name__)
                texts.append("\x01")
        digests.append(hashlib.sha256("\x1f".join(texts).encode()).digest())
    digest = hashlib.sha256(b"".join(sorted(digests))).hexdigest()
    return SampleRead({k: v for k, v in fields.items() if v or k in cols}, digest, {}, was_cut)


def _values(kind: str, n: int, rnd: random.Random) -> list:
    pick = {
        "int": lambda: rnd.choice([0, -1, 7, 2**63 - 1, -(2**63), rnd.randint(-10**12, 10**12)]),
        "float": lambda: rnd.choice(FLOATS + [rnd.uniform(-1e6, 1e6), float(rnd.randint(-10**15, 10**15))]),
        "str": lambda: rnd.choice(["", "a", "Name 12", "user1@example.com", "+65 91234567", "x" * 300, "y" * 2000,
                                   "\x1fz", "a.0", "é" * 40, "{not json", "[1, 2]", '{"email": "a@b.co"}', "1.0"]),
        "plainstr": lambda: rnd.choice(["", "a", "Name 12", "user1@example.com", "x" * 300, "y" * 2000, "a}{",
                                        "a\x00{b", "ends.0", "é" * 40]),
        "datetime": lambda: datetime(2019, 3, 1) + timedelta(seconds=rnd.randint(0, 10**8),
                                                             microseconds=rnd.choice([0, 5, 500000])),
        "datetimetz": lambda: datetime(2019, 3, 1, tzinfo=UTC) + timedelta(seconds=rnd.randint(0, 10**8)),
        "date": lambda: date(2000, 1, 1) + timedelta(days=rnd.randint(0, 9000)),
        "time": lambda: time(rnd.randint(0, 23), rnd.randint(0, 59), rnd.randint(0, 59)),
        "bool": lambda: rnd.random() < 0.5,
        "decimal": lambda: rnd.choice([Decimal("6591234567.00"), Decimal("1.50"), Decimal("NaN"), Decimal("1E+3")]),
        "uuid": lambda: uuid.UUID(int=rnd.getrandbits(128)),
        "interval": lambda: timedelta(seconds=rnd.randint(0, 10**6)),
        "bytes": lambda: rnd.choice([b"abc", b"\xff\xfe", b'{"a": 1}']),
        "mixed": lambda: rnd.choice([1, 1.5, "a", True, None, date(2020, 1, 1)]),
    }[kind]
    nulls = rnd.choice([0.0, 0.0, 0.3, 1.0])
    return [None if rnd.random() < nulls else pick() for _ in range(n)]


KINDS = ["int", "float", "str", "plainstr", "datetime", "datetimetz", "date", "time", "bool", "decimal", "uuid",
         "interval", "bytes", "mixed"]


@pytest.mark.parametrize("seed", range(40))
def test_column_paths_match_cell_by_cell(seed: int) -> None:
    rnd = random.Random(seed)
    width = rnd.randint(1, 9)
    cols = [f"c{i}" for i in range(width)]
    kinds = [rnd.choice(KINDS) for _ in cols]
    n = rnd.choice([0, 1, 2, 50, 200])
    columns = [_values(k, n, rnd) for k in kinds]
    rows = list(zip(*columns)) if columns else []
    cut = {c: rnd.choice([20, 256, MAX_CHARS, 5000]) for c, k in zip(cols, kinds)
           if k in ("str", "plainstr", "mixed") and rnd.random() < 0.8}
    got = read_rows(cols, rows, set(), cut)
    want = _cellwise(cols, rows, set(), cut)
    assert got.fields == want.fields
    assert got.cut == want.cut
    assert got.digest == want.digest


def test_floats_integral_below_and_above_the_exponent_switch() -> None:
    values = [1e15 + 1, 9007199254740992.0, 1e16, 2.5e16, 123.0, -0.0, 0.5, 1e22, 1.5e21]
    got = read_rows(["f"], [(v,) for v in values])
    assert got.fields["f"] == ["1000000000000001", "9007199254740992", "10000000000000000", "25000000000000000",
                               "123", "-0", "0.5", "1e+22", "1500000000000000000000"]


def test_server_text_columns_match_the_driver_values() -> None:
    """Columns read as PostgreSQL's text (``wire``) give what the driver's values give, with NULLs,
    with no rows, and with values that go value by value (a short fraction, NaN, an exponent)."""
    native = [(1, 0.5, datetime(2019, 3, 1, 7, 30, 5), datetime(2019, 3, 1, 7, 30, 5, 500000, tzinfo=UTC),
               date(2019, 12, 31), True),
              (None, None, None, None, None, None),
              (-7, float("nan"), datetime(2019, 3, 1, 7, 30, 5, 123456), datetime(2019, 3, 1, tzinfo=UTC),
               date(1, 1, 1), False),
              (2**62, 1e16, datetime(2019, 3, 1, 7, 30, 5, 120000), None, None, None)]
    wire = [("1", "0.5", "2019-03-01 07:30:05", "2019-03-01 07:30:05.5+00", "2019-12-31", "true"),
            (None, None, None, None, None, None),
            ("-7", "NaN", "2019-03-01 07:30:05.123456", "2019-03-01 00:00:00+00", "0001-01-01", "false"),
            (str(2**62), "1e+16", "2019-03-01 07:30:05.12", None, None, None)]
    cols = ["i", "f", "ts", "tz", "d", "b"]
    kinds = dict(zip(cols, ["int", "float", "timestamp", "timestamptz", "date", "bool"]))
    for n in (0, 1, 2, 4):
        want, got = read_rows(cols, native[:n]), read_rows(cols, wire[:n], wire=kinds)
        assert got.fields == want.fields and got.digest == want.digest and got.unsampled == want.unsampled, n
