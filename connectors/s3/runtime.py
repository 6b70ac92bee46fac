"""botocore's timestamp parser with a fast path (:func:`connectors.runtime.iso_timestamp`) for
the ISO-8601 shapes listings carry. The politeness and parallelism helpers live in
:mod:`connectors.runtime`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from botocore.utils import parse_timestamp as botocore_parse_timestamp

from connectors.runtime import iso_timestamp


def parse_timestamp(value: Any) -> datetime:
    """botocore's default timestamp parser, with ``datetime.fromisoformat`` for the ISO-8601
    shapes with an explicit offset (``...Z``, ``...+00:00``, fractional seconds) that every
    listed object's LastModified has: dateutil, botocore's default, spends about a third of a
    listing's client CPU on them. Anything else (RFC 822 dates in headers, epoch seconds,
    naive values) goes to botocore's parser unchanged. Values are equal to botocore's; the
    zone of a UTC value is ``timezone.utc`` rather than dateutil's ``tzutc()``/``tzlocal()``."""
    fast = iso_timestamp(value)
    return fast if fast is not None else botocore_parse_timestamp(value)


def use_fast_timestamps(core_session: Any) -> None:
    """Make every client of this botocore session parse response timestamps with :func:`parse_timestamp`."""
    core_session.get_component("response_parser_factory").set_parser_defaults(timestamp_parser=parse_timestamp)
