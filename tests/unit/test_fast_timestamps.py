"""The fast timestamp parsers give botocore's (S3) and google-cloud-storage's (GCS) values (issue 24, item 4)."""

from __future__ import annotations

from datetime import timedelta, timezone

import botocore.session
import pytest
from botocore.utils import parse_timestamp as botocore_default
from google.cloud.storage.blob import Blob

from connectors.gcs.connector import updated
from connectors.s3.runtime import parse_timestamp, use_fast_timestamps

SHAPES = [
    "2024-01-02T03:04:05Z",  # ListObjectsV2 LastModified as S3 sends it (fractions are ".000Z")
    "2024-01-02T03:04:05.000Z",
    "2024-01-02T03:04:05.123Z",
    "2024-01-02T03:04:05.123456Z",
    "2024-01-02T03:04:05.123456789Z",  # nanoseconds: both truncate to microseconds
    "2024-01-02T03:04:05+00:00",
    "2024-01-02T03:04:05.5+00:00",
    "2024-01-02T03:04:05-07:00",
    "2024-01-02T03:04:05+05:30",
    "1999-12-31T23:59:59.999999Z",
    "Tue, 02 Jan 2024 03:04:05 GMT",  # RFC 822, as in Last-Modified headers: botocore's parser
    "Tue, 02 Jan 2024 03:04:05 +0000",
    "1704164645",  # epoch seconds: botocore's parser
    "1704164645.25",
    "2024-01-02T03:04:05",  # naive: botocore's parser
    1704164645,
]


@pytest.mark.parametrize("value", SHAPES)
def test_same_value_and_offset_as_botocore(value):
    ours, theirs = parse_timestamp(value), botocore_default(value)
    assert ours == theirs
    assert ours.utcoffset() == theirs.utcoffset()
    assert ours.isoformat() == theirs.isoformat()


def test_not_a_timestamp_is_refused_as_botocore_refuses_it():
    with pytest.raises(ValueError):
        botocore_default("yesterday-ish")
    with pytest.raises(ValueError):
        parse_timestamp("yesterday-ish")


def test_installed_on_the_session_parses_a_listing():
    session = botocore.session.get_session()
    use_fast_timestamps(session)
    factory = session.get_component("response_parser_factory")
    parser = factory.create_parser("rest-xml")
    assert parser._timestamp_parser is parse_timestamp
    body = (b'<?xml version="1.0" encoding="UTF-8"?><ListBucketResult><Name>b</Name><KeyCount>1</KeyCount>'
            b"<Contents><Key>a.csv</Key><LastModified>2024-01-02T03:04:05.123Z</LastModified><Size>3</Size>"
            b"</Contents></ListBucketResult>")
    model = session.get_service_model("s3").operation_model("ListObjectsV2").output_shape
    parsed = parser.parse({"status_code": 200, "headers": {}, "body": body}, model)
    got = parsed["Contents"][0]["LastModified"]
    assert got == botocore_default("2024-01-02T03:04:05.123Z")
    assert got.tzinfo is timezone.utc  # the fast path, not dateutil's tzutc()


@pytest.mark.parametrize("value", ["2024-01-02T03:04:05Z", "2024-01-02T03:04:05.123Z", "2024-01-02T03:04:05.123456789Z",
                                   "1999-12-31T23:59:59.999999Z"])
def test_gcs_updated_matches_the_library(value):
    blob = Blob.from_uri("gs://b/a.csv")
    blob._properties["updated"] = value
    assert updated(blob) == blob.updated
    assert updated(blob).utcoffset() == blob.updated.utcoffset() == timedelta(0)
