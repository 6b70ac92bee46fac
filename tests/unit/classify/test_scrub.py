"""Names that are really values are masked; names that are names are left alone."""

import json
import os
import subprocess
import sys

import pytest

from auditor.classify.scrub import scrub_text


@pytest.mark.parametrize(("raw", "hidden"), [
    ("S1234567D", "S1234567D"),
    ("user0@example.com", "user0@example.com"),
    ("vip0@example.com.phone", "vip0@example.com"),
    ("+65 9123 4500", "9123 4500"),
    ("exports/4111111111111111.csv", "4111111111111111"),
    ("users/ana.tan@gmail.com/orders/", "ana.tan@gmail.com"),
    ("11010519491231002X", "11010519491231002X"),
])
def test_values_are_masked(raw, hidden):
    out = scrub_text(raw)
    assert hidden not in out and out != raw


@pytest.mark.parametrize("name", [
    "legacy/redmart-2019/", "events/2026/11/27/part-000.jsonl", "public.customers", "order_20261127143000",
    "column_1", 'x"><img src=x onerror=alert(1)>', "a\"; drop table b; --", "S1234567A",  # wrong check letter
    "build_sha_0123456789abcdef", "main.card_vault",
])
def test_names_stay_as_they_are(name):
    assert scrub_text(name) == name


SAME = {"users/ana.tan@gmail.com/": "users/a***@g***.com/",
        "exports/4111111111111111.csv": "exports/411111******1111.csv",
        "vip0@example.com.phone": "v***@e***.com.phone"}


def test_the_same_name_always_scrubs_the_same_text():
    """Finding ids hash scrubbed names: the text must be this exact one, with or without the
    cache, and in another process with another hash seed."""
    for raw, scrubbed in SAME.items():
        assert scrub_text(raw) == scrubbed
        assert scrub_text.__wrapped__(raw) == scrubbed  # uncached
    code = "import json, sys; from auditor.classify.scrub import scrub_text; print(json.dumps([scrub_text(n) for n in json.loads(sys.argv[1])]))"
    for seed in ("1", "2"):
        out = subprocess.run([sys.executable, "-c", code, json.dumps(list(SAME))], capture_output=True, text=True,
                             check=True, env={**os.environ, "PYTHONHASHSEED": seed}).stdout
        assert json.loads(out) == list(SAME.values()), seed


@pytest.mark.parametrize(("raw", "hidden", "scrubbed"), [
    ("postgresql://h:5432/db/public.jane.doe%40example.com", "jane.doe", "postgresql://h:5432/db/p***@e***.com"),
    ("postgresql://h:5432/db/public.%2B6591234567", "6591234567", "postgresql://h:5432/db/public.*******567"),
    ("postgresql://h:5432/db/public.%2B65%209123%204567", "9123", "postgresql://h:5432/db/public.*******567"),
    ("s3://b/exports/4111111111111111%2Ecsv", "4111111111111111", "s3://b/exports/411111******1111.csv"),
    # a -vvv log line of urllib3 (botocore encodes the key's '@')
    ('"GET /exports/customers/jane.doe%40example.com.csv?acl HTTP/1.1" 200', "jane.doe",
     '"GET /exports/customers/j***@e***.com.csv?acl HTTP/1.1" 200'),
])
def test_values_percent_encoded_in_a_uri_are_masked(raw, hidden, scrubbed):
    """A SQL dataset's URI percent-encodes its table name: the address or number in it is masked
    there as in the name (the URI reached every report raw)."""
    out = scrub_text(raw)
    assert hidden not in out and out == scrubbed


@pytest.mark.parametrize("name", ["postgresql://h:5432/db%20name/public.order%20lines",
                                  "s3://b/a%2Fb/c%40d", "sqlite:///tmp/x%25y.db", "public.100%25"])
def test_encoded_names_without_values_stay_as_written(name):
    assert scrub_text(name) == name


def test_a_long_text_with_a_stray_percent_is_scrubbed_in_linear_time():
    """A long log line (a -vvv response body) holding a '%' that starts no escape: the encoded-run
    pattern backtracked over the whole text from every position (16,000 characters took 5 s)."""
    import time

    text = "," * 200_000 + "%zz 1 jane.doe%40example.com"
    started = time.perf_counter()
    out = scrub_text.__wrapped__(text)
    assert time.perf_counter() - started < 2.0
    assert "jane.doe" not in out


@pytest.mark.parametrize("run", ["a" * 200_000, "a." * 100_000, "a-b_" * 50_000])
def test_a_long_run_without_an_at_is_scrubbed_in_linear_time(run):
    """A long run of letters, dots or dashes in a log line or a name (a -vvv response body): the
    e-mail pattern tried a local part from every character and scanned the run from each (32,000
    characters: 1.1 s); an address after the run is still masked."""
    import time

    started = time.perf_counter()
    out = scrub_text.__wrapped__(run + " write to jane.doe@example.com")
    assert time.perf_counter() - started < 5.0  # quadratic: minutes; linear: milliseconds
    assert "jane.doe@example.com" not in out and out.startswith(run[:100])


@pytest.mark.parametrize("text", ["a@b@example.com", "x!jane.doe@example.com", "%41jane@example.com",
                                  "+65jane@example.com", "jane@example.com.", "..jane@example.com"])
def test_addresses_are_masked_where_they_were(text):
    """The linear pattern finds the matches the first one did (a local part starts a run)."""
    import re

    from auditor.classify import scrub

    before = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}")
    assert scrub._EMAIL.sub("*", text) == before.sub("*", text) != text
