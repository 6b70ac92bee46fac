"""GCS's two listings for :func:`connectors.sharding.sharded_listing`: the delimiter listing of a
level (``objects.list`` with ``delimiter="/"``: a page's items and prefixes) and the plain
listing under a prefix. GCS lists names in lexicographic order, as one listing does."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

from connectors.objects import unique_tokens
from connectors.sharding import sharded_listing

PAGE_SIZE = 1000
ITEM = "name,size,updated"  # and timeDeleted when every generation is listed (a noncurrent one has it)


def _item(versions: bool) -> str:
    return f"{ITEM},timeDeleted" if versions else ITEM


def level(client: Any, bucket: str, page_size: int = PAGE_SIZE, versions: bool = False,
          **call: Any) -> Callable[[str], Iterator[tuple[list, list[str]]]]:
    def pages(prefix: str) -> Iterator[tuple[list, list[str]]]:
        blobs = client.list_blobs(bucket, prefix=prefix or None, delimiter="/", page_size=page_size, versions=versions,
                                  fields=f"items({_item(versions)}),prefixes,nextPageToken", **call)
        for page in unique_tokens(blobs.pages, lambda _: blobs.next_page_token):
            yield list(page), sorted(getattr(page, "prefixes", ()) or ())
    return pages


def under(client: Any, bucket: str, page_size: int = PAGE_SIZE, versions: bool = False,
          **call: Any) -> Callable[[str], Iterator[list]]:
    def pages(prefix: str) -> Iterator[list]:
        blobs = client.list_blobs(bucket, prefix=prefix or None, page_size=page_size, versions=versions,
                                  fields=f"items({_item(versions)}),nextPageToken", **call)
        for page in unique_tokens(blobs.pages, lambda _: blobs.next_page_token):
            yield list(page)
    return pages


def objects(client: Any, bucket: str, *, workers: int, cancel: threading.Event | None = None,
            acquire: Callable[[], None] | None = None, page_size: int = PAGE_SIZE, versions: bool = False,
            **call: Any) -> Iterator[Any]:
    """Every blob of the bucket (every generation when ``versions``), in the order one listing gives,
    one shard per top-level prefix, ``workers`` at a time; ``acquire`` spaces every page request
    (``max_requests_per_second``); ``call``: the client's ``timeout`` and ``retry``."""
    return sharded_listing(level(client, bucket, page_size, versions, **call),
                           under(client, bucket, page_size, versions, **call),
                           lambda blob: blob.name, workers=workers, acquire=acquire, cancel=cancel)
