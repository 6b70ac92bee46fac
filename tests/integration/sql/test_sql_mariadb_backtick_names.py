"""A MariaDB column whose name holds a backtick is read, not reported unreadable.

SQLAlchemy's MySQL reflection parses SHOW CREATE TABLE and keeps a name's escaped backtick
doubled (`e``mail` came back as 'e``mail'); quoted again for the sample it became `e````mail`, a
column that does not exist, and the whole table was not assessed ("Unknown column"). Real MariaDB.
"""

from __future__ import annotations

import sqlalchemy as sa
from sql_helpers import by_name, scan

from auditor.classify import classify


def test_column_and_key_names_with_backticks_are_read(mysql_url):
    engine = sa.create_engine(mysql_url)
    with engine.begin() as c:
        c.execute(sa.text("CREATE TABLE `cust``omers` (`i``d` int primary key, `e``mail` varchar(100),"
                          " `updated``at` datetime)"))
        c.execute(sa.text("INSERT INTO `cust``omers` VALUES (:i, :e, '2019-03-01 08:00:00')"),
                  [{"i": i, "e": f"user{i}@example.com"} for i in range(1, 21)])
    engine.dispose()
    schema = sa.engine.make_url(mysql_url).database
    obs = by_name(scan(mysql_url))[f"{schema}.cust`omers"]
    assert obs.dataset.status == "assessed", obs.dataset.error
    assert obs.dataset.records == 20
    assert obs.sample is not None and "e`mail" in obs.sample.fields
    assert [p.where for p in classify(obs.sample) if p.type == "email"] == [("e`mail",)]
