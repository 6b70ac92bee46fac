"""The SQL connector's cheaper per-table paths keep every output: the sample digest is pinned
(bit for bit what earlier versions stored: state stores stay comparable), each row's hash from a
copy of an empty hash equals a new one, a column's write-time tier and wire kind remembered per
name / type equal the ones worked out each time, and a compiled column type is remembered per
type class and attributes (VARCHAR(20) never answers for VARCHAR(200))."""

from __future__ import annotations

import hashlib
import re
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.dialects import mysql, postgresql

from connectors.sql import age, dialects
from connectors.sql.sampling import _row_digests, read_rows


def _rows() -> list[tuple]:
    return [(i, f"Name {i} \u00e9\u4e2d\x1e|\x1f", i / 7, datetime(2020, 1, 1, i % 24, tzinfo=UTC), date(1990, 1, 1 + i % 28),
             '{"email": "u%d@example.com"}' % i, i % 2 == 0, uuid.UUID(int=i), None if i % 3 else Decimal("10.50"))
            for i in range(1, 41)]


def test_sample_digest_pinned() -> None:
    # computed by the connector before these paths (commit 5962689): a stored digest stays comparable
    cols = ["id", "name", "score", "seen", "born", "doc", "flag", "key", "note"]
    assert read_rows(cols, _rows(), set(), {"name": 10}).digest == \
        "1364f4092cdc6d4bcd4c0aa890dcd4353b6370ebceb9a7556807a6caef267d33"
    wire_rows = [(str(i), f"2020-01-0{1 + i % 9} 10:00:00", str(i * 1.5)) for i in range(50)] + [(None, None, None)]
    got = read_rows(["id", "ts", "f"], wire_rows, set(), {}, {"id": "int", "ts": "timestamp", "f": "float"})
    assert got.digest == "ae579f85d5781d34f7f6efb02a862e13fe1772b1ee65ebb8236fdb6de6e4274a"


def test_row_digests_are_sha256() -> None:
    rows = [b"", b"a", "\u00e9\x1f\x1e".encode(), b"x" * 100_000, bytes(range(256))] * 3
    assert _row_digests(iter(rows)) == [hashlib.sha256(r).digest() for r in rows]
    assert _row_digests(iter([])) == []


_MODIFIED, _CREATED, _EVENT, _NOT_WRITES = age._MODIFIED, age._CREATED, age._EVENT, age._NOT_WRITES


def _tier_each_time(name: str) -> int | None:  # the rule as candidates() applied it before
    if _NOT_WRITES.search(name):
        return None
    if _MODIFIED.search(name):
        return 0
    if _CREATED.search(name):
        return 2
    if _EVENT.search(name):
        return 1
    return None


def test_write_time_tier_by_name() -> None:
    names = ["updated_at", "UPDATED_AT", "modified", "last_login", "created_at", "inserted_on", "event_ts",
             "timestamp", "ts", "birth_date", "expires_at", "valid_until", "start_time", "publish_date",
             "name", "", "x_updated", "row_changed_at", "date_added", "ctime", "mtime", "seen_at"]
    for _ in range(2):  # the second time from the memo
        for name in names:
            assert age._tier(name) == _tier_each_time(name), name
    cols = [{"name": n, "type": sa.DateTime()} for n in names]
    got = age.candidates(cols)
    want = sorted([age.Candidate(n, t) for n in names if (t := _tier_each_time(n)) is not None],
                  key=lambda c: c.tier)[:age.MAX_CANDIDATES]
    assert got == want
    assert age.candidates([{"name": "updated_at", "type": sa.Text()}]) == []
    assert age.candidates([{"name": "updated_at", "type": sa.Text()}], loose_types=True) == [age.Candidate("updated_at", 0)]


def test_wire_kind_by_class_and_zone() -> None:
    types = [postgresql.TIMESTAMP(), postgresql.TIMESTAMP(timezone=True), postgresql.TIMESTAMP(timezone=False),
             sa.DateTime(timezone=True), sa.Integer(), sa.BigInteger(), postgresql.DOUBLE_PRECISION(), postgresql.REAL(),
             sa.Boolean(), sa.Date(), sa.Uuid(), postgresql.UUID(), sa.Text(), sa.String(20), postgresql.JSONB()]
    for _ in range(2):
        for t in types:
            assert dialects._wire_kind(t) == dialects._wire_kind_of(t), t
    assert dialects._wire_kind(postgresql.TIMESTAMP(timezone=True)) == "timestamptz"
    assert dialects._wire_kind(postgresql.TIMESTAMP()) == "timestamp"


def test_type_text_per_type_attributes() -> None:
    from auditor.models import Vendor
    from connectors.base import CollectContext, SourceSpec
    from connectors.sql import Connector

    for url, types in (
        ("postgresql+psycopg://u@127.0.0.1/db", [sa.String(20), sa.String(200), postgresql.VARCHAR(20),
                                               sa.Numeric(10, 2), sa.Numeric(12, 4), postgresql.TIMESTAMP(),
                                               postgresql.TIMESTAMP(timezone=True), postgresql.ARRAY(sa.Text),
                                               postgresql.ARRAY(sa.Integer), postgresql.ENUM("a", "b", name="k"),
                                               sa.types.NullType()]),
        ("mysql+pymysql://u@127.0.0.1/db", [mysql.VARCHAR(20), mysql.VARCHAR(200), mysql.ENUM("a", "b"),
                                           mysql.ENUM("a", "c"), mysql.DECIMAL(10, 2), mysql.DECIMAL(12, 4),
                                           mysql.DATETIME(fsp=6), mysql.DATETIME(), sa.types.NullType()]),
    ):
        spec = SourceSpec(id="s", kind="sql", vendor=Vendor(id="v"), options=Connector.Options(url=url))
        c = Connector(spec, CollectContext(as_of=datetime(2026, 1, 1, tzinfo=UTC)))
        impl = c.dialect_impl

        def each_time(t: object) -> str:
            try:
                return t.compile(dialect=impl)  # type: ignore[attr-defined]
            except sa.exc.CompileError:
                return type(t).__name__

        for _ in range(2):
            for t in types:
                assert c._type_text(t) == each_time(t), t
        texts = [c._type_text(t) for t in types[:2]]
        assert texts[0] != texts[1] and re.search(r"\b20\b", texts[0]) and re.search(r"\b200\b", texts[1])
