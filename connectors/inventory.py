"""Inventory reports instead of listing: S3 Inventory and GCS Storage Insights.

A bucket of a billion objects takes hours to list; the store's own scheduled inventory report
(daily or weekly) holds the same facts (key, size, last modified; encryption status and object
ACLs where configured). :func:`find_s3_report` and :func:`find_gcs_report` find the newest
report of a bucket; :func:`load` streams its records into the same :class:`PrefixTree` a
listing feeds, and tallies what a listing cannot tell (per-object encryption status, every
object's ACL). The report's date is the basis of every age: a report older than
``inventory_max_age_days`` is not used (the connector lists, and says why in the facts).

Formats (the store's documented layouts):

- S3 Inventory: ``<prefix>/<source bucket>/<config id>/YYYY-MM-DDTHH-MMZ/manifest.json`` in the
  destination bucket, with ``fileFormat`` (CSV, ORC or Parquet), ``fileSchema`` (CSV: the column
  names; ORC/Parquet: the schema, whose snake_case names the files carry), ``creationTimestamp``
  (ms since the epoch) and ``files[].key``. CSV files are gzip'd, without a header, keys
  URL-encoded; ``ObjectAccessControlList`` is base64-encoded JSON (``status``, ``grants``).
- GCS Storage Insights: ``<config>_<snapshot>_manifest.json`` with ``snapshot_time`` and
  ``report_shards_file_names`` next to CSV (with a header row) or Parquet shards, under the
  configuration's destination (``gs://<bucket>/inventory_reports/`` unless configured).

Memory stays flat: one report file is on local disk at a time (a temporary file, deleted once
read), read in record batches (pyarrow's ORC, Parquet and streaming CSV readers).
"""

from __future__ import annotations

import base64
import binascii
import csv
import gzip
import json
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, Protocol
from urllib.parse import unquote_plus

from pydantic import Field

from connectors.base import Options as BaseOptions
from connectors.objects import PrefixTree, unique_tokens

MANIFEST_MAX_BYTES = 16 * 1024 * 1024  # a manifest lists file keys: a few KB per thousand files
BATCH_ROWS = 65_536  # ORC/Parquet record batch size; CSV rows per batch
ACL_CACHE = 4096  # distinct raw ACL values remembered (most objects share one)

Format = Literal["CSV", "ORC", "Parquet"]


class InventoryOptions(BaseOptions):
    """The option fields an object-store source adds (a base of its Options)."""

    # auto: read the newest inventory report of a bucket instead of listing it, when one is found and
    # fresh enough; off: always list
    inventory: Literal["auto", "off"] = "auto"
    # a report older than this (by its own date) is not used: the bucket is listed instead
    inventory_max_age_days: float = Field(8.0, gt=0, allow_inf_nan=False)
    # where the reports are when the inventory configuration cannot be read (S3) or is not in the
    # store's API (GCS): "s3://dest-bucket/prefix" (the standard <source>/<config id>/ layout below
    # it) or "gs://dest-bucket/path/" ("{bucket}" is replaced by the source bucket's name)
    inventory_location: str | None = None


# --------------------------------------------------------------------------- reports


@dataclass(frozen=True)
class Report:
    """One inventory report: where its files are, their format and the columns they hold."""

    provider: Literal["s3-inventory", "gcs-storage-insights"]
    bucket: str  # the destination bucket the files are in
    manifest: str  # the manifest's key
    date: datetime  # the report's snapshot time (UTC): the basis of every age
    format: Format
    files: tuple[str, ...]
    columns: tuple[str, ...] = ()  # CSV without a header row (S3): the column names in order
    header: bool = False  # CSV with a header row (GCS)
    config: str = ""

    def facts(self, loaded: Tally | None = None) -> dict[str, Any]:
        """``facts["listing"]`` of a bucket inventoried from this report (JSON-safe; no object keys)."""
        out: dict[str, Any] = {
            "source": self.provider, "inventory_date": self.date.isoformat(), "format": self.format,
            "files": len(self.files), "config": self.config,
            "manifest": f"{'s3' if self.provider == 's3-inventory' else 'gs'}://{self.bucket}/{self.manifest}",
        }
        if loaded is not None:
            out["records"] = loaded.records
            if loaded.delete_markers:
                out["delete_markers"] = loaded.delete_markers
            if loaded.skipped:
                out["skipped"] = dict(loaded.skipped)
        return out


class ReportError(Exception):
    """A report that cannot be used (malformed manifest, unreadable file): list instead."""


class Store(Protocol):
    """What finding and reading a report needs of a store client."""

    def subdirs(self, bucket: str, prefix: str) -> list[str]:
        """The 'directories' directly under ``prefix`` (delimiter ``/``), full prefixes ending in ``/``."""

    def keys(self, bucket: str, prefix: str) -> Iterator[str]:
        """Every key under ``prefix``."""

    def get(self, bucket: str, key: str, max_bytes: int) -> bytes:
        """A small object whole (at most ``max_bytes``; more raises :class:`ReportError`)."""

    def download(self, bucket: str, key: str, out: Any) -> None:
        """An object streamed into the binary file ``out``."""


def _s3_token(page: dict[str, Any]) -> str | None:
    return page.get("NextContinuationToken") if page.get("IsTruncated") else None


class S3Store:
    """:class:`Store` over a boto3 S3 client."""

    def __init__(self, client: Any) -> None:
        self.client = client

    def subdirs(self, bucket: str, prefix: str) -> list[str]:
        out: list[str] = []
        pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix, Delimiter="/")
        for page in unique_tokens(pages, _s3_token):
            out.extend(p["Prefix"] for p in page.get("CommonPrefixes", ()))
        return out

    def keys(self, bucket: str, prefix: str) -> Iterator[str]:
        pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
        for page in unique_tokens(pages, _s3_token):
            for obj in page.get("Contents", ()):
                yield obj["Key"]

    def get(self, bucket: str, key: str, max_bytes: int) -> bytes:
        body = self.client.get_object(Bucket=bucket, Key=key)["Body"]
        try:
            data: bytes = body.read(max_bytes + 1)
        finally:
            body.close()
        if len(data) > max_bytes:
            raise ReportError(f"{key}: larger than {max_bytes} bytes")
        return data

    def download(self, bucket: str, key: str, out: Any) -> None:
        body = self.client.get_object(Bucket=bucket, Key=key)["Body"]
        try:
            shutil.copyfileobj(body, out, 1024 * 1024)
        finally:
            body.close()


class GCSStore:
    """:class:`Store` over a google-cloud-storage client (``call`` wraps each request: rate limits)."""

    def __init__(self, client: Any, timeout: Any = 60.0, retry: Any = None,
                 call: Callable[[Callable[[], Any]], Any] = lambda fn: fn()) -> None:
        self.client, self.timeout, self.retry, self.call = client, timeout, retry, call

    def _kw(self) -> dict[str, Any]:
        return {"timeout": self.timeout, **({"retry": self.retry} if self.retry is not None else {})}

    def subdirs(self, bucket: str, prefix: str) -> list[str]:
        blobs = self.client.list_blobs(bucket, prefix=prefix, delimiter="/", **self._kw())
        pages = unique_tokens(blobs.pages, lambda _: blobs.next_page_token)
        while self.call(lambda: next(pages, None)) is not None:
            pass
        return sorted(blobs.prefixes)

    def keys(self, bucket: str, prefix: str) -> Iterator[str]:
        blobs = self.client.list_blobs(bucket, prefix=prefix, fields="items(name),nextPageToken", **self._kw())
        pages = unique_tokens(blobs.pages, lambda _: blobs.next_page_token)
        while (page := self.call(lambda: next(pages, None))) is not None:
            for blob in page:
                yield blob.name

    def get(self, bucket: str, key: str, max_bytes: int) -> bytes:
        blob = self.client.bucket(bucket).blob(key)
        data: bytes = self.call(lambda: blob.download_as_bytes(end=max_bytes, **self._kw()))
        if len(data) > max_bytes:
            raise ReportError(f"{key}: larger than {max_bytes} bytes")
        return data

    def download(self, bucket: str, key: str, out: Any) -> None:
        blob = self.client.bucket(bucket).blob(key)
        self.call(lambda: blob.download_to_file(out, **self._kw()))


# --------------------------------------------------------------------------- finding the newest report

S3_DATE = re.compile(r"(\d{4}-\d{2}-\d{2}T\d{2}-\d{2}Z)/$")
GCS_MANIFEST = re.compile(r"(?:^|/)([^/]+?)_(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2})?[^_/]*)_manifest\.json$")


@dataclass
class Found:
    """What looking for a report gave: the report to use, or None and why not (for the facts)."""

    report: Report | None
    why_not: str | None = None
    age_days: float | None = None


def split_location(location: str, bucket: str, scheme: str) -> tuple[str, str]:
    """``"s3://dest/prefix"`` -> (``dest``, ``prefix/``), with ``{bucket}`` replaced."""
    loc = location.replace("{bucket}", bucket)
    if loc.startswith(f"{scheme}://"):
        loc = loc[len(scheme) + 3:]
    dest, _, prefix = loc.partition("/")
    prefix = prefix.strip("/")
    return dest, f"{prefix}/" if prefix else ""


def s3_configurations(client: Any, bucket: str) -> list[dict[str, Any]]:
    """The bucket's inventory configurations (ListBucketInventoryConfigurations, every page)."""
    configs: list[dict[str, Any]] = []
    token: str | None = None
    while True:
        resp = client.list_bucket_inventory_configurations(Bucket=bucket, **({"ContinuationToken": token} if token else {}))
        configs.extend(resp.get("InventoryConfigurationList", ()))
        token = resp.get("NextContinuationToken")
        if not resp.get("IsTruncated") or not token:
            return configs


def s3_locations(configs: list[dict[str, Any]], bucket: str) -> tuple[list[tuple[str, str, str]], list[str]]:
    """(destination bucket, key prefix of the config's reports, config id) of each configuration that
    inventories the whole bucket, and why the others were passed over."""
    out: list[tuple[str, str, str]] = []
    passed: list[str] = []
    for cfg in configs:
        cid = str(cfg.get("Id", ""))
        if not cfg.get("IsEnabled", False):
            passed.append(f"configuration {cid} is disabled")
            continue
        if ((cfg.get("Filter") or {}).get("Prefix") or ""):
            passed.append(f"configuration {cid} covers a prefix only")
            continue
        dest = (cfg.get("Destination") or {}).get("S3BucketDestination") or {}
        arn = str(dest.get("Bucket", ""))
        name = arn.rsplit(":", 1)[-1] if arn.startswith("arn:") else arn
        if not name:
            passed.append(f"configuration {cid} has no destination bucket")
            continue
        prefix = str(dest.get("Prefix") or "").strip("/")
        out.append((name, f"{prefix}/{bucket}/{cid}/" if prefix else f"{bucket}/{cid}/", cid))
    return out, passed


def s3_manifest(data: bytes, dest: str, key: str, config: str) -> Report:
    """An S3 Inventory ``manifest.json`` as a :class:`Report`."""
    try:
        doc = json.loads(data)
        fmt = {"csv": "CSV", "orc": "ORC", "parquet": "Parquet"}[str(doc["fileFormat"]).lower()]
        files = tuple(str(f["key"]) for f in doc["files"])
        created = doc.get("creationTimestamp")
        if created is not None:
            date = datetime.fromtimestamp(int(created) / 1000, tz=UTC)
        else:
            m = S3_DATE.search(key.rsplit("/", 1)[0] + "/")
            if not m:
                raise ReportError(f"{key}: no creationTimestamp and no date in its key")
            date = datetime.strptime(m.group(1), "%Y-%m-%dT%H-%MZ").replace(tzinfo=UTC)
    except (ValueError, KeyError, TypeError) as exc:
        raise ReportError(f"{key}: not an S3 Inventory manifest ({type(exc).__name__})") from None
    columns: tuple[str, ...] = ()
    if fmt == "CSV":
        columns = tuple(c.strip() for c in str(doc.get("fileSchema", "")).split(","))
        if "Key" not in columns:
            raise ReportError(f"{key}: fileSchema names no Key column")
    return Report("s3-inventory", dest, key, date, fmt, files, columns=columns, config=config)  # type: ignore[arg-type]


def find_s3_report(store: Store, bucket: str, locations: list[tuple[str, str, str]]) -> Report | None:
    """The newest report among the configurations' ``locations`` (from :func:`s3_locations`, or a
    configured ``inventory_location`` with the config ids found under it)."""
    best: Report | None = None
    for dest, prefix, cid in locations:
        dates = sorted((d for d in store.subdirs(dest, prefix) if S3_DATE.search(d)), reverse=True)
        for folder in dates[:3]:  # the newest may still be being written: its manifest comes last
            try:
                data = store.get(dest, f"{folder}manifest.json", MANIFEST_MAX_BYTES)
            except ReportError:
                raise
            except Exception:  # noqa: BLE001 - a missing manifest (NoSuchKey / NotFound): the next date
                continue
            report = s3_manifest(data, dest, f"{folder}manifest.json", cid)
            if best is None or report.date > best.date:
                best = report
            break
    return best


def s3_location_configs(store: Store, location: str, bucket: str) -> list[tuple[str, str, str]]:
    """The report locations under a configured ``inventory_location`` (every config id of ``bucket``)."""
    dest, prefix = split_location(location, bucket, "s3")
    base = f"{prefix}{bucket}/"
    return [(dest, sub, sub[len(base):].rstrip("/")) for sub in store.subdirs(dest, base)]


def gcs_manifest(data: bytes, dest: str, key: str) -> Report:
    """A Storage Insights ``..._manifest.json`` as a :class:`Report` (shards next to it)."""
    try:
        doc = json.loads(data)
        names = [str(n) for n in doc["report_shards_file_names"]]
        snapshot = str(doc.get("snapshot_time") or "")
        date = parse_time(snapshot) if snapshot else None
    except (ValueError, KeyError, TypeError) as exc:
        raise ReportError(f"{key}: not a Storage Insights manifest ({type(exc).__name__})") from None
    m = GCS_MANIFEST.search(key)
    if date is None:
        if not m:
            raise ReportError(f"{key}: no snapshot_time")
        date = parse_time(m.group(2))
    folder = key.rsplit("/", 1)[0] + "/" if "/" in key else ""
    files = tuple(n if "/" in n else folder + n for n in names)
    fmt: Format = "Parquet" if all(f.endswith(".parquet") for f in files) and files else "CSV"
    config = str((doc.get("report_config") or {}).get("display_name") or (m.group(1) if m else ""))
    return Report("gcs-storage-insights", dest, key, date, fmt, files, header=True, config=config)


def find_gcs_report(store: Store, dest: str, prefix: str) -> Report | None:
    """The newest Storage Insights report under ``gs://dest/prefix`` (by the snapshot time in the
    manifests' names)."""
    manifests = [(m.group(2), k) for k in store.keys(dest, prefix) if (m := GCS_MANIFEST.search(k))]
    for _, key in sorted(manifests, reverse=True)[:3]:
        try:
            data = store.get(dest, key, MANIFEST_MAX_BYTES)
        except ReportError:
            raise
        except Exception:  # noqa: BLE001 - deleted between the listing and the read: the next one
            continue
        return gcs_manifest(data, dest, key)
    return None


def fresh(report: Report | None, as_of: datetime, max_age_days: float) -> Found:
    """The report if it is recent enough by its own date (as of the run), else why not."""
    if report is None:
        return Found(None, "no inventory report found")
    age = (as_of - report.date) / timedelta(days=1)
    if age > max_age_days:
        return Found(None, f"newest inventory report ({report.date.isoformat()}) is {age:.1f} days old, "
                           f"over inventory_max_age_days {max_age_days:g}", age)
    return Found(report, None, age)


# --------------------------------------------------------------------------- reading records


def parse_time(value: str) -> datetime:
    """An inventory timestamp (RFC 3339 / ISO 8601, ``Z`` or an offset, or ``... UTC``) as UTC."""
    v = value.strip()
    if v.endswith(" UTC"):
        v = v[:-4] + "+00:00"
    t = datetime.fromisoformat(v)
    return t.replace(tzinfo=UTC) if t.tzinfo is None else t.astimezone(UTC)


# canonical column -> the names the formats use, compared lower-case without "_" (S3 CSV "LastModifiedDate",
# S3 ORC/Parquet "last_modified_date", GCS "updated")
COLUMNS: dict[str, tuple[str, ...]] = {
    "bucket": ("bucket",),
    "key": ("key", "name"),
    "size": ("size",),
    "modified": ("lastmodifieddate", "updated"),
    "current": ("islatest",),
    "delete_marker": ("isdeletemarker",),
    "deleted": ("timedeleted",),  # GCS: a noncurrent (or soft-deleted) generation
    "encryption": ("encryptionstatus", "kmskeyname"),
    "acl": ("objectaccesscontrollist",),
}


def _canonical(names: list[str] | tuple[str, ...]) -> dict[str, str]:
    """canonical column -> the report's own column name."""
    norm = {n.lower().replace("_", "").replace(" ", ""): n for n in names}
    out: dict[str, str] = {}
    for canon, spellings in COLUMNS.items():
        for s in spellings:
            if s in norm:
                out[canon] = norm[s]
                break
    return out


@dataclass(slots=True)
class Side:
    """What one batch told beyond the tree, over its current objects: encryption status counts and
    object ACLs (None: the report lacks the column)."""

    encryption: dict[str, int] | None = None
    acl_checked: int = 0
    acl_unavailable: int = 0
    acl_public: int = 0
    acl_examples: list[tuple[str, str]] = field(default_factory=list)  # (grant, key) of public objects
    has_acl: bool = False


@dataclass(slots=True)
class Batch:
    """Records of one slice of a report file, column by column. ``current`` / ``delete_marker``: None
    when the report lists current objects only; ``modified`` None: the row has no time."""

    keys: list[str]
    sizes: list[int]
    modified: list[datetime | None]
    current: list[bool] | None = None
    delete_marker: list[bool] | None = None
    bucket: str | None = None  # the source bucket the rows name (the first row's)
    side: Side = field(default_factory=Side)


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MAX_EXAMPLES = 5


@lru_cache(maxsize=ACL_CACHE)
def acl_public_grants(raw: str) -> tuple[bool, tuple[str, ...]]:
    """(available, public grants) of one ``ObjectAccessControlList`` value (base64 JSON, or JSON)."""
    if not raw:
        return False, ()
    try:
        text = raw if raw.lstrip().startswith("{") else base64.b64decode(raw, validate=True).decode("utf-8")
        doc = json.loads(text)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return False, ()
    if not isinstance(doc, dict) or str(doc.get("status", "AVAILABLE")).upper() != "AVAILABLE":
        return False, ()
    found: list[str] = []
    for g in doc.get("grants") or ():
        if not isinstance(g, dict):
            continue
        who = str(g.get("uri") or "").rsplit("/", 1)[-1]
        if str(g.get("type")) == "Group" and who in ("AllUsers", "AuthenticatedUsers"):
            found.append(f"{who} {g.get('permission')}")
    return True, tuple(found)


def _encryption_label(value: Any) -> str:
    """S3 ``EncryptionStatus`` as given (NOT-SSE, SSE-S3, SSE-KMS, DSSE-KMS, SSE-C); GCS ``kmsKeyName``:
    ``CMEK`` when set, ``Google-managed`` when empty."""
    v = "" if value is None else str(value)
    if v.startswith("projects/"):
        return "CMEK"
    return v or "Google-managed"


def _csv_batches(path: str, report: Report) -> Iterator[Batch]:
    """A CSV report file (gzip'd or not), streamed block by block through pyarrow's CSV reader (the csv
    module parses the same fields at less than half its rate: benchmarks/inventory_reports.py)."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pacsv

    gz = _is_gzip(path)
    if report.header:
        fh = gzip.open(path, "rt", encoding="utf-8", newline="") if gz else open(path, encoding="utf-8", newline="")
        with fh:
            names = next(csv.reader(fh), None)
        if not names:
            return
    else:
        names = list(report.columns)
    cols = _canonical(names)
    if "key" not in cols:
        raise ReportError(f"{report.format} file names no key column")
    wanted = sorted(set(cols.values()))
    types = {n: pa.string() for n in wanted}  # never inferred: a key "0123" stays a string
    if "size" in cols:
        types[cols["size"]] = pa.int64()
    raw = pa.OSFile(path)
    stream = pa.CompressedInputStream(raw, "gzip") if gz else raw
    reader = pacsv.open_csv(
        stream, read_options=pacsv.ReadOptions(column_names=names, skip_rows=1 if report.header else 0,
                                               block_size=4 * 1024 * 1024),
        convert_options=pacsv.ConvertOptions(column_types=types, include_columns=wanted,
                                             strings_can_be_null=False))
    urlencoded = report.provider == "s3-inventory"  # S3 CSV keys are URL-encoded
    try:
        for rb in reader:
            if urlencoded:
                i = rb.schema.get_field_index(cols["key"])
                keys = rb.column(i)
                if pc.any(pc.match_substring_regex(keys, r"[%+]")).as_py():
                    decoded = [unquote_plus(k) if ("%" in k or "+" in k) else k for k in keys.to_pylist()]
                    rb = rb.set_column(i, cols["key"], pa.array(decoded, type=pa.string()))
            yield _arrow_batch(rb, cols)
    finally:
        reader.close()
        stream.close()


def _is_gzip(path: str) -> bool:
    with open(path, "rb") as fh:
        return fh.read(2) == b"\x1f\x8b"


def _arrow_batch(rb: Any, cols: dict[str, str]) -> Batch:
    import pyarrow as pa
    import pyarrow.compute as pc

    def col(c: str) -> Any:
        return rb.column(rb.schema.get_field_index(cols[c])) if c in cols else None

    key_arr = col("key")
    keys = key_arr.to_pylist()
    n = len(keys)
    size = col("size")
    sizes = pc.cast(size.fill_null(0), pa.int64()).to_pylist() if size is not None else [0] * n
    mod = col("modified")
    modified: list[Any]
    if mod is None:
        modified = [None] * n
    elif pa.types.is_timestamp(mod.type):  # microseconds since the epoch (UTC) -> datetimes, fast
        micros = pc.cast(pc.cast(mod, pa.timestamp("us", tz=mod.type.tz)), pa.int64()).to_pylist()
        epoch, td = EPOCH, timedelta
        modified = [None if v is None else epoch + td(microseconds=v) for v in micros]
    else:  # text (CSV): RFC 3339 with a zone parsed by Arrow; anything else one at a time
        text = pc.if_else(pc.equal(mod, ""), pa.scalar(None, pa.string()), mod) if pa.types.is_string(mod.type) else mod
        try:
            micros = pc.cast(pc.cast(text, pa.timestamp("us", tz="UTC")), pa.int64()).to_pylist()
            epoch, td = EPOCH, timedelta
            modified = [None if v is None else epoch + td(microseconds=v) for v in micros]
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            modified = [parse_time(v) if v else None for v in text.to_pylist()]
    b = Batch(keys, sizes, modified)
    live_mask = None
    if (cur := col("current")) is not None:
        live_mask = pc.invert(pc.equal(cur, "false")) if pa.types.is_string(cur.type) else \
            pc.fill_null(pc.cast(cur, pa.bool_()), True)
    if (deleted := col("deleted")) is not None:
        live_mask = pc.or_(pc.is_null(deleted), pc.equal(deleted, "")) if pa.types.is_string(deleted.type) else \
            pc.is_null(deleted)
    if live_mask is not None:
        live_mask = pc.fill_null(live_mask, True)
        b.current = live_mask.to_pylist()
    if (dm := col("delete_marker")) is not None:
        marker = pc.equal(dm, "true") if pa.types.is_string(dm.type) else pc.cast(dm, pa.bool_())
        marker = pc.fill_null(marker, False)
        b.delete_marker = marker.to_pylist()
        live_mask = pc.and_(live_mask, pc.invert(marker)) if live_mask is not None else pc.invert(marker)
    if (bk := col("bucket")) is not None and n:
        b.bucket = bk[0].as_py()
    side = b.side
    if (enc := col("encryption")) is not None:
        if live_mask is not None:
            enc = pc.filter(enc, live_mask)
        counts: dict[str, int] = {}
        for item in pc.value_counts(enc).to_pylist():
            label = _encryption_label(item["values"])
            counts[label] = counts.get(label, 0) + int(item["counts"])
        side.encryption = counts
    if (acl := col("acl")) is not None:
        side.has_acl = True
        live_keys = key_arr
        if live_mask is not None:
            acl, live_keys = pc.filter(acl, live_mask), pc.filter(key_arr, live_mask)
        coded = acl if pa.types.is_dictionary(acl.type) else pc.dictionary_encode(acl)
        info = [acl_public_grants(v or "") for v in coded.dictionary.to_pylist()]
        indices = coded.indices
        side.acl_unavailable += indices.null_count
        public_ids = []
        for item in pc.value_counts(indices.drop_null()).to_pylist():
            available, public = info[item["values"]]
            if not available:
                side.acl_unavailable += int(item["counts"])
                continue
            side.acl_checked += int(item["counts"])
            if public:
                side.acl_public += int(item["counts"])
                public_ids.append(item["values"])
        if public_ids:
            rows = pc.indices_nonzero(pc.is_in(indices, value_set=pa.array(public_ids, type=indices.type)))
            for i in rows.to_pylist()[:MAX_EXAMPLES]:
                side.acl_examples.extend((p, live_keys[i].as_py()) for p in info[indices[i].as_py()][1])
    return b


def _parquet_batches(path: str) -> Iterator[Batch]:
    import pyarrow.parquet as pq

    with pq.ParquetFile(path) as pf:
        cols = _canonical(pf.schema_arrow.names)
        if "key" not in cols:
            raise ReportError("Parquet file names no key column")
        for rb in pf.iter_batches(batch_size=BATCH_ROWS, columns=sorted(set(cols.values()))):
            yield _arrow_batch(rb, cols)


def _orc_batches(path: str) -> Iterator[Batch]:
    from pyarrow import orc

    of = orc.ORCFile(path)
    cols = _canonical(of.schema.names)
    if "key" not in cols:
        raise ReportError("ORC file names no key column")
    wanted = sorted(set(cols.values()))
    for i in range(of.nstripes):
        stripe = of.read_stripe(i, columns=wanted)  # a RecordBatch: S3 Inventory stripes are ~64 MB
        for start in range(0, stripe.num_rows, BATCH_ROWS):
            yield _arrow_batch(stripe.slice(start, BATCH_ROWS), cols)


def file_batches(path: str, report: Report) -> Iterator[Batch]:
    """The records of one downloaded report file, a batch at a time."""
    if report.format == "Parquet":
        return _parquet_batches(path)
    if report.format == "ORC":
        return _orc_batches(path)
    return _csv_batches(path, report)


def batches(store: Store, report: Report) -> Iterator[Batch]:
    """Every record of ``report``: each file downloaded into a private temporary folder (object keys may
    name people: ``auditor.tempdirs``, mode 0700, removed when done and at exit), read, deleted."""
    from auditor import tempdirs

    folder = tempdirs.make()
    try:
        for key in report.files:
            with tempfile.NamedTemporaryFile(dir=folder, prefix="report-", suffix=".part") as tmp:
                store.download(report.bucket, key, tmp)
                tmp.flush()
                try:
                    yield from file_batches(tmp.name, report)
                except ReportError as exc:
                    raise ReportError(f"report file {key}: {exc}") from None
                except Exception as exc:  # noqa: BLE001 - pyarrow, gzip, csv: a file we cannot read is a report we cannot use
                    # the exception's type only: its message may quote a cell (an object key can name a person)
                    raise ReportError(f"report file {key}: {type(exc).__name__} (not a readable {report.format} "
                                      "inventory file)") from None
    finally:
        tempdirs.remove(folder)


# --------------------------------------------------------------------------- into the prefix tree


@dataclass
class Tally:
    """What a report told beyond the prefix tree: records read, delete markers, current objects per
    encryption status and object ACLs (when the report has them), and rows skipped (by reason)."""

    records: int = 0
    delete_markers: int = 0
    encryption: dict[str, int] | None = None
    has_acl: bool = False
    acl_checked: int = 0  # current objects whose ACL the report holds (status AVAILABLE)
    acl_unavailable: int = 0
    acl_public: int = 0
    acl_reasons: list[str] = field(default_factory=list)  # "object acl grants AllUsers READ: <key>"
    skipped: dict[str, int] = field(default_factory=dict)


def load(tree: PrefixTree, source: Iterator[Batch], bucket: str, max_reasons: int = MAX_EXAMPLES,
         cancel: Callable[[], bool] = lambda: False) -> Tally:
    """Feed every record of a report into ``tree`` (as a listing would), and tally the rest.

    Delete markers are counted, never added; rows naming another bucket (a report of a different
    source) make the report unusable (:class:`ReportError`)."""
    tally = Tally()
    add_many = tree.add_many
    versions = False
    for b in source:
        tally.records += len(b.keys)
        if b.bucket is not None and b.bucket != bucket:
            raise ReportError("the report lists another bucket's objects")
        untimed = b.modified.count(None)
        if b.delete_marker is None and not untimed:
            add_many(b.keys, b.sizes, b.modified, b.current)  # type: ignore[arg-type]  # no None: counted
        else:
            versions = versions or b.delete_marker is not None
            n = len(b.keys)
            dms = b.delete_marker if b.delete_marker is not None else [False] * n
            keep = [not d and m is not None for d, m in zip(dms, b.modified)]
            markers = sum(1 for d in dms if d)
            tally.delete_markers += markers
            untimed = n - markers - sum(keep)
            add_many([k for k, ok in zip(b.keys, keep) if ok], [s for s, ok in zip(b.sizes, keep) if ok],
                     [m for m, ok in zip(b.modified, keep) if ok and m is not None],
                     None if b.current is None else [c for c, ok in zip(b.current, keep) if ok])
        if untimed:
            tally.skipped["no last modified time"] = tally.skipped.get("no last modified time", 0) + untimed
        side = b.side
        if side.encryption is not None:
            enc = tally.encryption = tally.encryption or {}
            for label, count in side.encryption.items():
                enc[label] = enc.get(label, 0) + count
        if side.has_acl:
            tally.has_acl = True
            tally.acl_checked += side.acl_checked
            tally.acl_unavailable += side.acl_unavailable
            tally.acl_public += side.acl_public
            for grant, key in side.acl_examples:
                if len(tally.acl_reasons) < max_reasons:
                    tally.acl_reasons.append(f"object acl grants {grant}: {key}")
        if cancel():
            break
    if versions:
        tree.versions_listed = True
    return tally


def encryption_facts(tally: Tally, provider: str) -> dict[str, Any] | None:
    """``facts["object_encryption"]``: current objects per encryption status, from the report."""
    if tally.encryption is None:
        return None
    return {"by_status": dict(sorted(tally.encryption.items())), "basis": f"{provider} report"}


# --------------------------------------------------------------------------- in place of a listing


@dataclass
class Where:
    """Where a store's inventory reports of one bucket are: ``find`` the newest (None: there is none),
    the ``store`` client that reads its files, ``describe`` a refused or failed call; ``quiet_if_none``:
    say nothing in the facts when there is simply no report (no configuration)."""

    find: Callable[[], Report | None]
    store: Store
    describe: Callable[[BaseException], str]
    quiet_if_none: bool = True


@dataclass
class Used:
    """A report read in place of a listing: the tree it filled, the report and what else it told."""

    tree: PrefixTree
    report: Report
    tally: Tally
    age_days: float

    def basis(self, listed_basis: str) -> str:
        """A dataset's ``last_modified_basis`` when its objects came from the report."""
        return f"{listed_basis} in the {self.report.provider} report of {self.report.date.isoformat()}"


def instead_of_listing(find: Callable[[], Report | None], store: Store, bucket: str, *, depth: int,
                       sample_objects: int, as_of: datetime, max_age_days: float, facts: dict[str, Any],
                       describe: Callable[[BaseException], str], cancel: Callable[[], bool] = lambda: False,
                       quiet_if_none: bool = True) -> Used | None:
    """Find the newest report of ``bucket`` (``find``), and when it is fresh read it into a new prefix tree.

    None: list the bucket instead; ``facts["listing"]`` then says why (a report too old, unreadable, a
    refused call), except when there was simply no report and ``quiet_if_none``."""
    try:
        report = find()
    except ReportError as exc:
        facts["listing"] = {"source": "listing", "inventory_not_used": str(exc)}
        return None
    except Exception as exc:  # noqa: BLE001 - the store's SDK errors: a refused or failed call, then list
        facts["listing"] = {"source": "listing", "inventory_not_used": describe(exc)}
        return None
    found = fresh(report, as_of, max_age_days)
    if found.report is None:
        if report is not None or not quiet_if_none:
            facts["listing"] = {"source": "listing", "inventory_not_used": found.why_not,
                                **({"inventory_date": report.date.isoformat()} if report is not None else {})}
        return None
    tree = PrefixTree(depth, sample_objects, seed=bucket)
    try:
        tally = load(tree, batches(store, found.report), bucket, cancel=cancel)
    except ReportError as exc:
        facts["listing"] = {"source": "listing", "inventory_not_used": str(exc),
                            "inventory_date": found.report.date.isoformat()}
        return None
    except Exception as exc:  # noqa: BLE001 - a report file refused or failed mid-read: list instead
        facts["listing"] = {"source": "listing", "inventory_not_used": describe(exc),
                            "inventory_date": found.report.date.isoformat()}
        return None
    facts["listing"] = {**found.report.facts(tally), "age_days": round(found.age_days or 0.0, 2)}
    if (enc := encryption_facts(tally, found.report.provider)) is not None:
        facts["object_encryption"] = enc
    return Used(tree, found.report, tally, found.age_days or 0.0)
