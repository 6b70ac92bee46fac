"""Helpers for the SQL connector's integration tests: seeding, scanning, counting queries (imported by name)."""

from __future__ import annotations

import hashlib
import random
import socket
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from auditor.models import CollectionError, Observation, Vendor
from connectors.base import CollectContext, SourceSpec
from connectors.sql import Connector

HOSTILE = ['x"><img src=x>', 'a"; drop table b; --']

FIRST = ["Wei Ling", "Siti", "Arjun", "Mei Hua", "Muhammad", "Priya", "Jun Jie", "Nur Aisyah", "Kumar", "Hui Min"]
LAST = ["Tan", "Lim", "Ng", "Rahman", "Pillai", "Wong", "Goh", "Ismail", "Chua", "Raj"]
STREETS = ["Orchard Road", "Ang Mo Kio Ave 3", "Tampines St 81", "Jurong West St 42", "Bukit Timah Road"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def redmart_table(metadata: sa.MetaData, name: str = "customers") -> sa.Table:
    return sa.Table(
        name, metadata,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("full_name", sa.String(100)),
        sa.Column("email", sa.String(200)),
        sa.Column("phone", sa.String(20)),
        sa.Column("address", sa.String(300)),
        sa.Column("password_hash", sa.String(64)),
        sa.Column("card_masked", sa.String(19)),
        sa.Column("avatar", sa.LargeBinary),
        sa.Column("balance", sa.Float),
        sa.Column("created_at", sa.DateTime),
        sa.Column("updated_at", sa.DateTime),
    )


def redmart_rows(n: int) -> list[dict]:
    rng = random.Random(1103)
    start = datetime(2019, 3, 1, 8, 0)
    rows = []
    for i in range(1, n + 1):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        rows.append({
            "id": i,
            "full_name": f"{first} {last}",
            "email": f"{first.split()[0].lower()}.{last.lower()}{i}@example.com.sg",
            "phone": f"+65 {rng.choice('89')}{rng.randint(100, 999)} {rng.randint(1000, 9999)}",
            "address": f"Blk {rng.randint(1, 999)} {rng.choice(STREETS)} #0{rng.randint(1, 9)}-{rng.randint(10, 99)}, "
                       f"Singapore {rng.randint(100000, 829999)}",
            "password_hash": hashlib.md5(f"pw{i}".encode()).hexdigest(),
            "card_masked": f"411111******{rng.randint(1000, 9999)}",
            "avatar": b"\x89PNG",
            "balance": rng.random() * 100,
            "created_at": datetime(2017, 1, 1) + timedelta(days=rng.randint(0, 600)),
            "updated_at": start + timedelta(minutes=rng.randint(0, 60 * 24 * 25)),  # 2019-03-01 .. 03-26
        })
    return rows


def newest_update(rows: list[dict]) -> datetime:
    return max(r["updated_at"] for r in rows).replace(tzinfo=UTC)


def connector(url: str, as_of: datetime | None = None, **options) -> Connector:
    spec = SourceSpec(id="db", kind="sql", vendor=Vendor(id="v"), options=Connector.Options(url=url, **options))
    return Connector(spec, CollectContext(as_of=as_of or datetime.now(UTC)))


def scan(url: str, as_of: datetime | None = None, **options) -> list[Observation | CollectionError]:
    return list(connector(url, as_of, **options).collect())


def by_name(items: list) -> dict[str, Observation]:
    out = {o.dataset.name: o for o in items if isinstance(o, Observation)}
    assert len(out) == len([o for o in items if isinstance(o, Observation)]), "duplicate dataset names"
    return out


@contextmanager
def count_queries() -> Iterator[Counter]:
    """Count every statement any engine sends, by the connector's ``auditor_phase`` option."""
    counts: Counter = Counter()

    def hook(conn, cursor, statement, parameters, context, executemany):
        phase = context.execution_options.get("auditor_phase", "other") if context is not None else "other"
        counts[phase] += 1

    sa.event.listen(sa.engine.Engine, "before_cursor_execute", hook)
    try:
        yield counts
    finally:
        sa.event.remove(sa.engine.Engine, "before_cursor_execute", hook)


def dump_items(items: list) -> list:
    """A scan's observations (dataset, sample fields) and collection errors as plain data, to compare two scans."""
    out = []
    for o in items:
        if isinstance(o, Observation):
            out.append((o.dataset.model_dump(), None if o.sample is None else o.sample.fields))
        else:
            assert isinstance(o, CollectionError)
            out.append(o.model_dump())
    return out
