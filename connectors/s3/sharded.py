"""S3's two listings for :func:`connectors.sharding.sharded_listing`: the delimiter listing of a
level and the plain listing under a prefix (``ListObjectsV2``, 1,000 keys a page)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

from connectors.objects import unique_tokens
from connectors.sharding import sharded_listing

PAGE_SIZE = 1000


def next_token(page: dict[str, Any]) -> str | None:
    """A ListObjectsV2 page's continuation token (None on the last page): what ``unique_tokens``
    compares, here and in the connector's single-stream listings."""
    return page.get("NextContinuationToken") if page.get("IsTruncated") else None


def level(client: Any, bucket: str, page_size: int = PAGE_SIZE) -> Callable[[str], Iterator[tuple[list, list[str]]]]:
    def pages(prefix: str) -> Iterator[tuple[list, list[str]]]:
        paginator = client.get_paginator("list_objects_v2")
        for page in unique_tokens(paginator.paginate(Bucket=bucket, Prefix=prefix, Delimiter="/",
                                                     PaginationConfig={"PageSize": page_size}), next_token):
            yield page.get("Contents", []), [p["Prefix"] for p in page.get("CommonPrefixes", ())]
    return pages


def under(client: Any, bucket: str, page_size: int = PAGE_SIZE) -> Callable[[str], Iterator[list]]:
    def pages(prefix: str) -> Iterator[list]:
        paginator = client.get_paginator("list_objects_v2")
        for page in unique_tokens(paginator.paginate(Bucket=bucket, Prefix=prefix, PaginationConfig={"PageSize": page_size}),
                                  next_token):
            yield page.get("Contents", [])
    return pages


def objects(client: Any, bucket: str, *, workers: int, cancel: threading.Event | None = None,
            acquire: Callable[[], None] | None = None, page_size: int = PAGE_SIZE, depth: int = 1,
            buffer_pages: int = 16) -> Iterator[dict[str, Any]]:
    """Every object of the bucket (``ListObjectsV2`` entries), in the order one listing gives,
    listed one shard per top-level prefix, ``workers`` at a time. ``acquire``: None when the
    client's own ``before-send`` hook spaces its requests (the connector's clients do)."""
    return sharded_listing(level(client, bucket, page_size), under(client, bucket, page_size),
                           lambda o: o["Key"], workers=workers, acquire=acquire, cancel=cancel, depth=depth,
                           buffer_pages=buffer_pages)
