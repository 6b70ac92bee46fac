"""A PostgreSQL column that holds large-object references (``oid``, the ``lo`` extension's domain)
is named in ``unsampled``: its contents live in ``pg_largeobject``, not in the table.

Hibernate/JPA maps ``@Lob`` fields to such columns on PostgreSQL, so a vendor's notes or
attachments (e-mail addresses, phone numbers) sit in large objects while the table holds only
numbers. The sample read the numbers, found nothing, named nothing: the table was clean and the
scan exited 0 (a silent pass). Real PostgreSQL.
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from sql_helpers import by_name, scan

from auditor.classify import classify


def test_large_object_columns_are_named_not_read_as_numbers(pg_url):
    engine = sa.create_engine(pg_url)
    with engine.begin() as c:
        c.execute(sa.text("CREATE EXTENSION IF NOT EXISTS lo"))
        c.execute(sa.text("CREATE TABLE tickets (id int primary key, subject varchar(100), body oid, attachment lo)"))
        c.execute(sa.text("INSERT INTO tickets SELECT i, 'order ' || i,"
                          " lo_from_bytea(0, convert_to('from customer' || i || '@example.com', 'UTF8')),"
                          " lo_from_bytea(0, convert_to('call +65 9123 ' || (4000 + i), 'UTF8'))"
                          " FROM generate_series(1, 20) i"))
    obs = by_name(scan(pg_url))["public.tickets"]
    with engine.begin() as c:
        c.execute(sa.text("SELECT lo_unlink(body), lo_unlink(attachment) FROM tickets"))
    engine.dispose()
    assert obs.dataset.status == "assessed"
    unsampled = obs.dataset.facts.get("unsampled", {})
    assert set(unsampled) == {"body", "attachment"}, unsampled
    assert all("large object" in why for why in unsampled.values()), unsampled
    assert obs.sample is not None and "subject" in obs.sample.fields and "body" not in obs.sample.fields
    assert not classify(obs.sample)  # what was read holds nothing: the verdict rests on what was not


def test_a_domain_is_read_as_its_base_type(pg_url):
    """A domain over bytea was cast to text and sampled as hex ('\\x6a...'): its contents never
    classified and never named. A domain over a timestamp was not a write-time column."""
    engine = sa.create_engine(pg_url)
    with engine.begin() as c:
        c.execute(sa.text("CREATE DOMAIN payload AS bytea"))
        c.execute(sa.text("CREATE DOMAIN stamp AS timestamp"))
        c.execute(sa.text("CREATE DOMAIN stamp2 AS stamp"))
        c.execute(sa.text("CREATE TABLE uploads (id int primary key, body payload, updated_at stamp2)"))
        c.execute(sa.text("INSERT INTO uploads SELECT i, convert_to('from customer' || i || '@example.com', 'UTF8'),"
                          " timestamp '2019-03-01 08:00' + i * interval '1 hour' FROM generate_series(1, 20) i"))
    engine.dispose()
    obs = by_name(scan(pg_url))["public.uploads"]
    assert "binary" in obs.dataset.facts.get("unsampled", {}).get("body", ""), obs.dataset.facts.get("unsampled")
    assert obs.dataset.last_modified == datetime(2019, 3, 2, 4, 0, tzinfo=UTC), obs.dataset.last_modified_basis
