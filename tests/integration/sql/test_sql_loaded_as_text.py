"""A table's query sent ahead on PostgreSQL selects its integer, uuid, double, timestamp and date
columns as they are and loads them as the server's text (``sendahead.receive``'s ``as_text``),
where the other paths ask the server for ``CAST(c AS TEXT)``: for these types the cast is their
output function, so the texts, and so every fingerprint, are the same, and the server is spared
a copy of each value. A boolean keeps its cast (its cast says 'true', its output 't'). On the real
server, with the values at the edges of each type's text."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from sql_helpers import dump_items, scan

from auditor.models import Observation
from connectors.sql import connector as sql_connector
from connectors.sql import sendahead

AS_OF = datetime(2026, 1, 1, tzinfo=UTC)
TABLES = ["wire_a", "wire_b", "wire_c", "wire_d"]

COLUMNS = ("s smallint, i integer, b bigint, f double precision, r real, n numeric(12,2), ok boolean, u uuid, "
           "pa timestamp, pb timestamptz, pc date, pd timestamp(3), t text, updated_at timestamp")  # p*: no write-time names
VALUES = [
    "(1, -32768, -2147483648, -9223372036854775808, 0.1, 0.25, 1.50, true, 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', "
    "'2024-01-02 03:04:05', '2024-01-02 03:04:05+00', '2024-01-02', '2024-01-02 03:04:05.123', 'x', '2024-01-01')",
    "(2, 32767, 2147483647, 9223372036854775807, 'NaN', 'Infinity', 0, false, '00000000-0000-0000-0000-000000000000', "
    "'infinity', '-infinity', 'infinity', '2024-01-02 03:04:05.1', 'y', '2024-01-02')",
    "(3, 0, 0, 0, '-Infinity', -0.0, -1.01, NULL, NULL, '0044-03-15 12:00:00 BC', '2024-06-30 23:59:59.999999+00', "
    "'0001-01-01 BC', '2024-01-02 03:04:05', NULL, '2024-01-03')",
    "(4, NULL, NULL, NULL, 1e300, 1e-30, NULL, true, 'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11', '12345-01-01 00:00:00', "
    "'2024-01-02 03:04:05.5+00', '9999-12-31', NULL, 'z', '2024-01-04')",
    "(5, 7, 7, 4111111111111111, 4111111111111111, 7.5, 12345678.90, false, NULL, '2024-02-29 00:00:00.000001', "
    "'1970-01-01 00:00:00+00', '2000-02-29', '2024-01-02 03:04:05.12', '', '2024-01-05')",
    "(6, 1, 2, 3, -0.0, 1e10, 0.01, NULL, NULL, NULL, NULL, NULL, NULL, NULL, '2024-01-06')",
]


@pytest.fixture(scope="module")
def seeded(pg_url: str) -> str:
    engine = sa.create_engine(pg_url)
    with engine.begin() as c:
        for name in TABLES:
            c.exec_driver_sql(f"CREATE TABLE {name} (id integer primary key, {COLUMNS})")
            c.exec_driver_sql(f"INSERT INTO {name} (id, s, i, b, f, r, n, ok, u, pa, pb, pc, pd, t, updated_at) "
                              f"VALUES {', '.join(VALUES)}")
    engine.dispose()
    return pg_url


def _scan(url: str, monkeypatch: pytest.MonkeyPatch) -> tuple[list, list[tuple[str, tuple[int, ...]]]]:
    sent: list[tuple[str, tuple[int, ...]]] = []
    real = sql_connector._send_ahead

    def send_ahead(conn: Any, key: Any, sql: str, plan: Any, as_text: tuple[int, ...] = ()) -> Any:
        sent.append((sql, as_text))
        return real(conn, key, sql, plan, as_text)

    monkeypatch.setattr(sql_connector, "_send_ahead", send_ahead)
    return scan(url, AS_OF), sent


def test_the_texts_loaded_are_the_texts_cast(seeded: str, monkeypatch: pytest.MonkeyPatch) -> None:
    with monkeypatch.context() as m:
        loaded, sent = _scan(seeded, m)
    with monkeypatch.context() as m:
        m.setattr(sql_connector, "LOADED_AS_TEXT", frozenset())  # every wire column cast, as before
        cast, sent_cast = _scan(seeded, m)
    assert dump_items(loaded) == dump_items(cast)  # the same datasets, fingerprints and samples
    got = {o.dataset.name.split(".", 1)[1]: o for o in loaded if isinstance(o, Observation)}
    for name in TABLES:
        assert got[name].dataset.status == "assessed", got[name].dataset.error
        assert got[name].sample is not None and got[name].sample.fields["pa"], name
    assert "2024-01-02T03:04:05" in got["wire_a"].sample.fields["pa"]  # the driver's texts, as ever
    ahead = [(sql, at) for sql, at in sent if "wire_" in sql]
    assert len(ahead) >= len(TABLES) - 1, sent  # every table after the first went ahead
    for sql, at in ahead:
        table = next(n for n in TABLES if f"public.{n}." in sql)
        for col in ("s", "i", "b", "f", "u", "pa", "pb", "pc", "pd", "updated_at"):  # selected as they are, loaded as text
            assert f"CAST(public.{table}.{col} AS TEXT)" not in sql, (col, sql)
        assert f"CAST(public.{table}.ok AS TEXT)" in sql  # a boolean keeps its cast
        assert len(at) == 11  # those ten and the integer id
    for sql, at in sent_cast:
        if "wire_" in sql:
            table = next(n for n in TABLES if f"public.{n}." in sql)
            assert f"CAST(public.{table}.pa AS TEXT)" in sql and at == ()


def test_receive_loads_the_named_columns_as_the_server_wrote_them(seeded: str) -> None:
    import psycopg

    url = sa.engine.make_url(seeded)
    with psycopg.connect(f"host={url.host} port={url.port} user={url.username} dbname={url.database}",
                         autocommit=True) as conn:
        sendahead.send(conn, "SELECT 1; SELECT i, pa, ok, f FROM wire_a ORDER BY id")
        first, rows = sendahead.receive(conn, (1, 3))
        assert first == (1,)
        assert rows is not None and rows[0] == (-2147483648, "2024-01-02 03:04:05", True, "0.1")
        assert rows[1][1] == "infinity" and rows[2][1] == "0044-03-15 12:00:00 BC"
        sendahead.send(conn, "SELECT 1; SELECT pa FROM wire_a WHERE id = 1")
        _first, plain = sendahead.receive(conn)
        assert plain is not None and plain[0] == (datetime(2024, 1, 2, 3, 4, 5),)
